"""England's market: the region's children's homes against every other council's, from what Ofsted, the DfE and
ONS publish (no child's record: every role sees the same page)."""

import streamlit as st

from app.dashboard import charts, loaders, ui
from app.dashboard.geography import for_vega
from data.authorities import RCC_NAMES, RCCS
from optimiser.market import area_rows

MEASURES = {  # column -> (what it is, legend title, number format, midpoint of the map's colour scale)
    "sufficiency_ratio": ("places per child the council looks after in a children's home", "places per child",
                          ".2f", 1.0),
    "private_share": ("share of places run by private companies", "private share", ".0%", None),
    "places_per_10k": ("children's home places per 10,000 children", "per 10,000", ".1f", None),
    "over_20_miles_share": ("children looked after placed more than 20 miles from home", "over 20 miles", ".0%",
                            None),
}
TRENDS = {"private_share": ("private share of places", ".0%"), "places_per_10k": ("places per 10,000 children", ".1f"),
          "hhi": ("owner concentration (HHI of independent places)", ",.0f"),
          "sufficiency_ratio": ("places per child in a children's home", ".2f")}

who = ui.user()
ui.header("England's market", who)
result = loaders.market()
market = result.market
codes = tuple(loaders.region().la_codes)
name = next((RCC_NAMES[k] for k, members in RCCS.items() if set(members) == set(codes)), "the region")
latest = int(market.councils["year"].max())
england = market.areas[market.areas["level"].eq("england")].set_index("year")
ours = area_rows(market, codes, name).set_index("year")

st.subheader(f"Children's homes at 31 March {latest}: {name} against England")
now = england.loc[latest] if latest in england.index else None
here = ours.loc[latest] if latest in ours.index else None
if now is None:
    # An extract of a few councils (the one the repository embeds) cannot make England's totals: say so, not fail.
    st.info("England's figures need every council's published files: point `RCC_PUBLIC_DATA` at the full public "
            "data folder. The region's own figures are below.")
cells = [("Children's homes", "homes", "{:,.0f}"), ("Places", "places", "{:,.0f}"),
         ("Private share of places", "private_share", "{:.0%}"), ("Places per 10,000 children", "places_per_10k",
                                                                   "{:.1f}"),
         ("Places per child in a home", "sufficiency_ratio", "{:.2f}"),
         ("Placed over 20 miles", "over_20_miles_share", "{:.0%}")]
for row in range(0, len(cells), 3):
    for column, (label, key, fmt) in zip(st.columns(3), cells[row:row + 3]):
        value = here[key] if here is not None else float("nan")
        england_value = "not in these files" if now is None else (
            fmt.format(now[key]) if now[key] == now[key] else "not published")
        column.metric(f"{label} ({name})", "not published" if value != value else fmt.format(value),
                      help=f"England: {england_value}")
        column.caption(f"England: {england_value}")

st.subheader("Where the places are, council by council")
measure = st.selectbox("Colour the councils by", list(MEASURES), format_func=lambda k: MEASURES[k][0])
_, title, fmt, midpoint = MEASURES[measure]
if result.boundaries is None:
    st.info("The map needs ONS's council boundaries (ons/*.geojson in the public data folder).")
else:
    latest_councils = market.councils[market.councils["year"].eq(latest)].set_index("la_code")
    shapes = for_vega(result.boundaries).assign(value=result.boundaries["la_code"].map(latest_councils[measure]))
    features = [{"type": "Feature", "geometry": f["geometry"],
                 "properties": {"la_code": f["properties"]["la_code"], "la_name": f["properties"]["la_name"],
                                measure: f["properties"]["value"]}}
                for f in shapes.__geo_interface__["features"]]
    st.altair_chart(charts.council_choropleth(features, measure, title, fmt, midpoint, codes), width="stretch")
    st.caption(f"{name}'s councils outlined. " + market.notes[1 if measure == "sufficiency_ratio" else 0])

st.subheader("Over the years")
trend = st.selectbox("Show", list(TRENDS), format_func=lambda k: TRENDS[k][0])
regions = market.areas[market.areas["level"].isin(["england", "region"])]
lines = regions[["area_name", "year", trend]]
if len(ours) and trend in ours:
    lines = lines._append(ours.reset_index()[["area_name", "year", trend]], ignore_index=True)
st.altair_chart(charts.lines_over_years(lines.dropna(subset=[trend]), trend, TRENDS[trend][0], TRENDS[trend][1],
                                        name), width="stretch")
if trend == "hhi":
    st.caption(market.notes[2] + " Years whose Ofsted file names no owners are left out.")

st.subheader(f"{name}'s councils at 31 March {latest}")
table = market.councils[market.councils["year"].eq(latest) & market.councils["la_code"].isin(codes)]
st.dataframe(table[["la_name", "homes", "places", "private_share", "places_per_10k", "children_in_homes",
                    "children_in_homes_year", "sufficiency_ratio", "outside_la_share", "over_20_miles_share"]],
             hide_index=True, width="stretch", column_config={
                 "la_name": "council", "private_share": ui.SHARE, "outside_la_share": ui.SHARE,
                 "over_20_miles_share": ui.SHARE, "children_in_homes_year": st.column_config.NumberColumn(
                     "DfE year", format="%d"),
                 "places_per_10k": st.column_config.NumberColumn("places per 10,000", format="%.1f"),
                 "sufficiency_ratio": st.column_config.NumberColumn("places per child in a home", format="%.2f")})
st.caption("Sources: " + "; ".join(f"{kind}: {', '.join(files)}" for kind, files in market.sources.items() if files)
           + f" (read from {loaders.paths().public_data}). Crown copyright, Open Government Licence v3.0.")
