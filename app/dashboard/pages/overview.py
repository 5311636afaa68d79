"""Overview: is the region coping? The month's key figures with their change since last month, the councils coloured
by unmet need or distance from home, the trend over the run history, and where the region's places are."""

import pandas as pd
import streamlit as st

from app.dashboard import audit, charts, loaders, ui
from app.dashboard.figures import (
    COUNCIL_MEASURES,
    council_measures,
    key_figures,
    referrals_by_council,
    run_trend,
)
from app.dashboard.geography import GRID_DEGREES


def places_map() -> None:
    st.subheader("Where the region's places are")
    areas, settings, area_source = loaders.map_data()
    st.altair_chart(charts.region_map(areas, settings), width="stretch")
    st.caption(f"Each mark counts the settings of one type in a grid cell of {GRID_DEGREES}° (about 5 km): no home "
               "is shown at its own address. Size: places; triangles: settings not registered and active. "
               + area_source.caption() + " Source: the region's settings.csv and authorities.csv.")


def coping_map(who, allocations) -> None:
    """The councils coloured by the measure picked: where is the region not coping?"""
    st.subheader("Where is the region not coping?")
    areas, _, area_source = loaders.map_data()
    measures = council_measures(allocations, loaders.children_placed(who))
    measure = st.selectbox("Colour the councils by", list(COUNCIL_MEASURES), format_func=COUNCIL_MEASURES.get,
                           key="overview_measure")
    values = dict(zip(measures["la_code"], measures[measure].astype(float)))
    st.altair_chart(charts.measure_map(areas, values, COUNCIL_MEASURES[measure]), width="stretch")
    st.caption(area_source.caption() + " Counts from the run's allocations (this month's referrals) and the "
               "region's children.csv (children in care now, by the distance from home to their setting)"
               + ("." if who.sees_all_councils else f"; the other councils are grey: you see "
                                                    f"{ui.council(who.la_code)}'s children only."))


def trend(run_id: str) -> None:
    st.subheader("Month on month")
    runs = loaders.runs()
    region = runs.loc[runs["run_id"] == run_id, "region"].iloc[0]
    mine = runs[runs["region"] == region]
    history = run_trend(mine, {r: loaders.run_record(r)["summary"] for r in mine["run_id"]})
    if history["month"].nunique() < 2:
        st.info("The trend appears once the store holds runs of two or more months.")
        return
    st.altair_chart(charts.trend_lines(history))
    st.caption(f"Regional totals from the run summaries of the {history['month'].nunique()} months in the run store "
               "(the latest run of each month).")


who = ui.user()
ui.header("Overview", who)
if loaders.runs().empty and loaders.region().is_public:
    region = loaders.region()
    counts = region.summary()
    st.info(f"This region was built from published data (rcc public region): {counts['settings']:,} registered "
            f"settings with {counts['places']:,} places in {counts['councils']} councils, and the DfE's yearly "
            "figures. It has no children or referrals, so there is no monthly run: see England's market for how its "
            "supply compares, or add the councils' own data (the region folder's README says what).")
    st.caption("Settings of a council are drawn at its label point: Ofsted redacts children's homes' addresses.")
    places_map()
    st.stop()
run_id = ui.chosen_run()
record = loaders.run_record(run_id)
previous_id = loaders.previous_run_id(run_id)
previous = loaders.run_record(previous_id)["summary"] if previous_id else None

st.subheader(f"{pd.Timestamp(record['month'] + '-01'):%B %Y}: is the region coping?")
figures = key_figures(record["summary"], previous)
for row in range(0, len(figures), 3):
    for column, figure in zip(st.columns(3), figures[row:row + 3]):
        colour = "off" if figure.unchanged else "inverse" if figure.lower_is_better else "normal"
        column.metric(figure.label, figure.value, figure.delta and ("no change" if figure.unchanged else figure.delta),
                      delta_color=colour, delta_arrow="off" if figure.unchanged else "auto",
                      help=f"From the run summary: {figure.source}"
                           + (f", {figure.exact} in full" if figure.exact else ""))
pack_name, pack = loaders.board_pack_file(who, run_id)
st.download_button("Download the board pack (HTML)", pack, pack_name, "text/html",
                   help=("This month's pages as one printable report: the whole region." if who.sees_all_councils
                         else f"This month's pages as one printable report: {ui.council(who.la_code)}'s children "
                              "and referrals only, with the region's totals."),
                   on_click=audit.download_callback(who, pack_name, run_id))
st.caption(f"Regional totals from the run summary of run {run_id}"
           + (f"; changes are against run {previous_id} ({loaders.run_record(previous_id)['month']})."
              if previous_id else "; this is the first run in the store, so there is no change to show yet."))

allocations = loaders.table(who, run_id, "allocations")
if allocations is not None:
    coping_map(who, allocations)
trend(run_id)
if who.sees_all_councils and allocations is not None:
    st.subheader("Referrals by council")
    councils = referrals_by_council(allocations)
    ui.table(councils, ["la_code", "referrals", "matched", "unmatched", "weekly_fees"])
    ui.source(run_id, "allocations")
if not who.sees_all_councils and allocations is not None:
    st.subheader(f"{ui.council(who.la_code)}'s referrals this month")
    a, b, c = st.columns(3)
    a.metric("Referrals", f"{len(allocations):,} referrals")
    b.metric("Matched", f"{int((allocations['status'] == 'matched').sum()):,} children")
    c.metric("Unmatched", f"{int((allocations['status'] == 'unmatched').sum()):,} children")
    ui.source(run_id, "allocations")

places_map()
