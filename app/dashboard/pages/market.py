"""Market: unregistered placements with step-down options; profit and fee outliers with evidence; concentration
and the largest provider's exit stress test."""

import streamlit as st

from app.dashboard import loaders, ui

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
    """The flags as a table; the row picked is shown in full below it (evidence and action are long)."""
    picked = st.dataframe(rows, hide_index=True, width="stretch", column_config=FLAG_VIEW, key=key,
                          on_select="rerun", selection_mode="single-row")
    chosen = picked.selection.rows if picked else []
    if chosen:
        row = rows.iloc[chosen[0]]
        st.markdown(f"**{row['subject_id']}** ({row['severity']} severity)")
        st.write(row["evidence"])
        st.write(f"What to do: {row['action']}")
    elif len(rows):
        st.caption("Click a row to read its evidence and action in full.")


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
        st.dataframe(councils[["name", "children_unlawful", "children_in_unregistered", "weekly_spend",
                               "annual_spend"]], hide_index=True, width="stretch", column_config={
            "name": "council", "children_unlawful": "children living unlawfully",
            "children_in_unregistered": "in unregistered settings",
            "weekly_spend": st.column_config.NumberColumn("£ a week", format="£%.0f"),
            "annual_spend": st.column_config.NumberColumn("£ a year", format="£%.0f")})
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
            st.dataframe(margins[["level", "name", "sector", "revenue", "operating_profit", "margin", "peer_median",
                                  "robust_z", "flagged", "children", "weekly_spend"]], hide_index=True,
                         width="stretch", column_config={
                             "revenue": st.column_config.NumberColumn("revenue (£ a year)", format="£%.0f"),
                             "operating_profit": st.column_config.NumberColumn("profit (£ a year)", format="£%.0f"),
                             "margin": st.column_config.NumberColumn("margin", format="percent"),
                             "peer_median": st.column_config.NumberColumn("peers' median", format="percent"),
                             "robust_z": st.column_config.NumberColumn("robust z", format="%.1f"),
                             "weekly_spend": st.column_config.NumberColumn("region pays (£ a week)",
                                                                           format="£%.0f")})
    st.markdown("**Placements far above the fee the region's own placements predict, and over £10,000 a week**")
    flag_table(flag_rows("fee_outlier", "high_cost_placement"), "fee_flags")
    ui.source(run_id, "flags", "margins", "fees")

with concentration_tab:
    st.markdown("**Markets where a few owners hold most places**")
    flag_table(flag_rows("market_concentration", "difficult_to_replace_exposure"), "concentration_flags")
    concentration = loaders.table(who, run_id, "concentration")
    if concentration is not None:
        assessed = concentration[concentration["assessed"].astype(bool)]
        st.dataframe(assessed[["area_name", "market", "independent_places", "owners", "hhi", "top_owner_name",
                               "top_share", "top3_share", "flagged"]], hide_index=True, width="stretch",
                     column_config={"area_name": "area", "independent_places": "independent places",
                                    "hhi": st.column_config.NumberColumn("HHI", format="%.0f",
                                                                         help="above 2,500: highly concentrated"),
                                    "top_owner_name": "largest owner",
                                    "top_share": st.column_config.NumberColumn("its share", format="percent"),
                                    "top3_share": st.column_config.NumberColumn("top three", format="percent")})
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
        st.dataframe(stress, hide_index=True, width="stretch", column_config={
            "weekly_cost_before": st.column_config.NumberColumn("£ a week now", format="£%.0f"),
            "weekly_fee_after": st.column_config.NumberColumn("£ a week after", format="£%.0f"),
            "distance_km": st.column_config.NumberColumn("distance", format="%.1f km")})
    elif stress is None:
        st.info("This run has no stress test.")
    ui.source(run_id, "flags", "concentration", "stress_test")

from app.dashboard.market_oversight import section as market_oversight  # noqa: E402  (issue 21's section, last)

market_oversight(who, run_id)
