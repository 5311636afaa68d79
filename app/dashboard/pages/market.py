"""Market: unregistered placements with step-down options; profit and fee outliers with evidence; concentration
and the largest provider's exit stress test."""

import streamlit as st

from app.dashboard import charts, loaders, ui
from app.dashboard.figures import group_shares
from app.reports.readable import in_words

UNLAWFUL = ("unregistered_placement", "under_16_supported", "secure_need_unmet")
FLAG_VIEW = {
    "severity": st.column_config.TextColumn("severity"),
    "subject_id": st.column_config.TextColumn("about"),
    "evidence": st.column_config.TextColumn("evidence", width="large"),
    "action": st.column_config.TextColumn("what to do (with the step-down option)", width="large"),
}

who = ui.user()
ui.header("Market", who)
run_id = ui.chosen_run()
flags = loaders.table(who, run_id, "flags")
if flags is None:
    st.info("This run has no market flags (its flags stage did not run).")
    st.stop()


def flag_rows(*kinds: str):
    rows = flags[flags["flag"].isin(kinds)]
    order = {"high": 0, "medium": 1, "low": 2}
    return rows.sort_values("severity", key=lambda s: s.map(order))[list(FLAG_VIEW)]


def flag_table(rows, key: str) -> None:
    """The flags as a short table, then each flag's evidence and action in full in its own expander (they are
    sentences, cut off in a table's cells)."""
    if rows.empty:
        st.caption("No flag of this kind this month.")
        return
    names = loaders.council_names()
    ui.table(rows, ["severity", "subject_id", "evidence"], key=key)
    st.caption("Open a flag below to read its evidence and what to do in full.")
    for row in rows.itertuples(index=False):
        with st.expander(f"{row.severity} severity: {in_words(row.subject_id, names)}"):
            st.markdown(f"**Evidence.** {in_words(row.evidence, names)}")
            st.markdown(f"**What to do.** {in_words(row.action, names)}")


unlawful_tab, money_tab, concentration_tab = st.tabs(
    ["Unregistered and unlawful placements", "Profit and fee outliers", "Concentration and stress test"])

with unlawful_tab:
    summary = loaders.table(who, run_id, "unregistered_summary")
    if summary is not None:
        region_row = summary[summary["level"] == "region"]
        if len(region_row):
            r = region_row.iloc[0]
            a, b, c = st.columns(3)
            a.metric("Children living unlawfully (region)", f"{int(r['children_unlawful']):,} children")
            b.metric("Unregistered settings in use (region)", f"{int(r['settings']):,} settings")
            c.metric("Spent on unregistered settings (region)", f"£{r['weekly_spend']:,.0f} a week",
                     help=f"£{r['annual_spend']:,.0f} a year")
        councils = summary[summary["level"] == "council"]
        st.altair_chart(charts.count_bars(councils.assign(council=councils["name"]), "council",
                                          "children_unlawful", "children living unlawfully"), width="stretch")
        ui.table(councils, ["name", "children_unlawful", "children_in_unregistered", "weekly_spend", "annual_spend"],
                 labels={"name": ("council", "text")})
    st.markdown("**Each child, with the registered home the regional match proposes**")
    flag_table(flag_rows(*UNLAWFUL), "unlawful_flags")
    st.markdown("**Unregistered settings to report to Ofsted**")
    flag_table(flag_rows("unregistered_setting"), "unregistered_setting_flags")
    ui.source(run_id, "flags", "unregistered_summary")

with money_tab:
    st.markdown("**Providers' profit margins far above their peers'**")
    flag_table(flag_rows("profit_outlier", "group_profit_outlier"), "profit_flags")
    margins = loaders.table(who, run_id, "margins")
    if margins is not None:
        with st.expander("All providers' margins against their peers"):
            ui.table(margins, ["level", "name", "sector", "revenue", "operating_profit", "margin", "peer_median",
                               "robust_z", "flagged", "children", "weekly_spend"],
                     labels={"weekly_spend": ("region pays (£ a week)", "money")})
    st.markdown("**Placements far above the fee the region's own placements predict, and over £10,000 a week**")
    flag_table(flag_rows("fee_outlier", "high_cost_placement"), "fee_flags")
    ui.source(run_id, "flags", "margins", "fees")

with concentration_tab:
    st.markdown("**Who owns the region's places: provider groups' shares**")
    home_kinds = {"childrens_home": "children's homes", "foster_ifa": "agency foster care",
                  "supported": "supported accommodation"}
    market_kind = st.selectbox("Kind of home", list(home_kinds), format_func=home_kinds.get, key="market_kind")
    shares = group_shares(loaders.supply(), market_kind)
    st.altair_chart(charts.share_bars(shares, f"share of the region's {home_kinds[market_kind]} places"),
                    width="stretch")
    st.caption("Places in registered settings in the region's councils, by the group that owns the provider (its "
               "parent group, else the provider itself); the twelve largest, then the rest together. Source: the "
               "region's settings.csv and providers.csv.")
    st.markdown("**Markets where a few owners hold most places**")
    flag_table(flag_rows("market_concentration", "difficult_to_replace_exposure"), "concentration_flags")
    concentration = loaders.table(who, run_id, "concentration")
    if concentration is not None:
        assessed = concentration[concentration["assessed"].astype(bool)]
        councils = assessed[assessed["level"].eq("council") & assessed["market"].eq(market_kind)]
        if len(councils):
            st.altair_chart(charts.concentration_bars(councils.assign(
                council=councils["area"].map(ui.council))), width="stretch")
            st.caption("Concentration of each council's independent places (HHI: above 2,500 is highly "
                       "concentrated, the dashed line), for the kind of home chosen above.")
        ui.table(assessed, ["area_name", "market", "independent_places", "owners", "hhi", "top_owner_name",
                            "top_share", "top3_share", "flagged"],
                 labels={"market": ("kind of home", "group")})
    st.markdown("**Stress test: if the largest provider group left the market**")
    stress_flag = flags[flags["flag"] == "provider_exit_stress"]
    for row in stress_flag.itertuples():
        st.write(row.evidence)
        st.write(f"What to do: {row.action}")
    stress = loaders.table(who, run_id, "stress_test")
    if stress is not None and len(stress):
        a, b = st.columns(2)
        a.metric("Children who could be re-housed", f"{int((stress['status'] == 'matched').sum()):,} children")
        b.metric("Children with nowhere to go", f"{int((stress['status'] == 'unmatched').sum()):,} children")
        ui.table(stress)
    elif stress is None:
        st.info("This run has no stress test.")
    ui.source(run_id, "flags", "concentration", "stress_test")

from app.dashboard.market_oversight import section as market_oversight  # noqa: E402  (issue 21's section, last)

market_oversight(who, run_id)
