"""The Market page's market-oversight section (issue 21): owners difficult to replace, financially fragile (both:
the top market risk), with weak or falling Ofsted grades across their group, and what a profit cap would save.

It reads the run's tables through the loaders; the profit cap is worked out here on the loaded region for the cap
the user picks, without the re-match (its margins and fee cuts take a moment; re-housing the children of the
companies at risk is `rcc what-if profit-cap`'s, a match per cap)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.dashboard import loaders, ui
from app.reports.readable import money_short

OVERSIGHT_FLAGS = ("top_market_risk", "difficult_to_replace_derived", "financial_fragility", "group_quality")
FLAG_COLUMNS = ("flag", "subject_id", "severity", "evidence", "action")
# Headings and kinds of value (app/reports/readable.py) for the section's tables, beyond the shared vocabulary.
LABELS = {"flag": ("finding", "text"), "subject_id": ("about", "text"), "action": ("what to do", "text"),
          "region_share": ("region share", "share"), "council": ("council where its share is largest", "council"),
          "council_share": ("council share", "share"),
          "geo_council": ("its main council", "council"), "geo_share": ("places in its main council", "share"),
          "revenue": ("revenue (a year)", "money"), "margin": ("margin", "share"),
          "prior_margin": ("the year before", "share"), "top_council": ("council paying most", "council"),
          "top_council_share": ("share paid by one council", "share"), "reasons": ("why", "text"),
          "weak_share": ("weak now", "share"), "owner_margin": ("owner's margin", "share"),
          "fee_cut": ("fee cut", "share"), "margin_after": ("margin after the cap", "share")}


@st.cache_data(show_spinner="Capping every owner's margin", max_entries=32)
def _cap(region_path: str, run_date: str, cap: float, exit_margin: float) -> tuple[dict, pd.DataFrame]:
    from datetime import date

    from optimiser.flags.common import placements
    from optimiser.profit_cap import CapParams, cap_summary, capped

    region, params = loaders.region(), CapParams(cap, exit_margin)
    table = capped(region, placements(region, date.fromisoformat(run_date)), params)
    return cap_summary(table, params), table


def section(who, run_id: str) -> None:
    """The whole section, under the page's tabs."""
    st.subheader("Market oversight: who would be hard to replace, who could fail, and a profit cap")
    flags = loaders.table(who, run_id, "flags")
    found = flags[flags["flag"].isin(OVERSIGHT_FLAGS)] if flags is not None else pd.DataFrame()
    if flags is None or not {"difficult_to_replace", "fragility"} <= set(loaders.run_record(run_id).get("tables")
                                                                         or []):
        st.info("This run was made before the market oversight flags: run the month again to see them.")
    else:
        _findings(who, run_id, found)
    _profit_cap()


def _findings(who, run_id: str, found: pd.DataFrame) -> None:
    counts = found["flag"].value_counts()
    a, b, c, d = st.columns(4)
    a.metric("Top market risks", f"{int(counts.get('top_market_risk', 0)):,}",
             help="owners both difficult to replace and financially fragile")
    b.metric("Difficult to replace", f"{int(counts.get('difficult_to_replace_derived', 0)):,} owners")
    c.metric("Financially fragile", f"{int(counts.get('financial_fragility', 0)):,}",
             help="companies and groups scoring at least the medium fragility score")
    d.metric("Groups with weak or falling grades", f"{int(counts.get('group_quality', 0)):,}")
    order = {flag: i for i, flag in enumerate(OVERSIGHT_FLAGS)}
    ui.table(found.sort_values("flag", key=lambda s: s.map(order), kind="stable"), FLAG_COLUMNS, LABELS)
    replace = loaders.table(who, run_id, "difficult_to_replace")
    if replace is not None and len(replace):
        with st.expander("Every owner against the difficult-to-replace rule"):
            ui.table(replace.sort_values("children", ascending=False),
                     ["owner_name", "children", "places_in_region", "region_market", "region_share", "council",
                      "council_share", "geo_council", "geo_share", "tested", "rehoused", "unhoused", "override",
                      "designated"], LABELS)
    fragile = loaders.table(who, run_id, "fragility")
    if fragile is not None and len(fragile):
        with st.expander("Financial fragility of every company and group with accounts"):
            ui.table(fragile.sort_values("score", ascending=False),
                     ["level", "name", "revenue", "margin", "prior_margin", "top_council", "top_council_share",
                      "score", "reasons", "children"], LABELS)
    quality = loaders.table(who, run_id, "group_quality")
    if quality is not None and len(quality):
        with st.expander("Ofsted grades across each owner's homes, now and at the inspection before"):
            ui.table(quality, labels=LABELS)
    loaders_source = ", ".join(("flags", "difficult_to_replace", "fragility", "group_quality"))
    st.caption(f"Source: monthly run {run_id}, tables {loaders_source} in the run store.")


def _profit_cap() -> None:
    st.markdown("**What a profit cap would do**")
    left, right = st.columns(2)
    cap = left.slider("Cap on each owner's operating margin", 0.05, 0.30, 0.10, 0.01, format="%.2f",
                      key="oversight_cap")
    exit_margin = right.slider("Margin below which a company may leave", 0.0, 0.10, 0.03, 0.005, format="%.3f",
                               key="oversight_exit")
    summary, table = _cap(str(loaders.paths().region), loaders.match_date(), cap, exit_margin)
    a, b, c, d = st.columns(4)
    a.metric("Saving to the region", f"{money_short(summary['weekly_saving'])} a week",
             help=f"{money_short(summary['yearly_saving'])} a year (£{summary['yearly_saving']:,.0f}), on "
                  "placements with the companies that stay")
    b.metric("Owners capped", f"{summary['owners_capped']:,}")
    c.metric("Companies at risk of leaving", f"{summary['providers_at_risk']:,}",
             help=f"{summary['places_at_risk']:,} places in the region")
    d.metric("Children who would need a new home", f"{summary['children_at_risk']:,}")
    at_risk = table[table["at_risk"]]
    if len(at_risk):
        ui.table(at_risk, ["provider_name", "owner_name", "margin", "owner_margin", "fee_cut", "margin_after",
                           "children", "places_in_region"], LABELS)
    st.caption("Each owner's margin (a group's accounts added up) is capped; the excess comes back as lower fees on "
               "every placement, the region's share in proportion to what it pays. A company thinner than its group "
               "may fall below the exit margin. Where their children could go: `rcc what-if profit-cap --sweep "
               "0.05:0.25:0.05` re-matches the region for each cap.")
