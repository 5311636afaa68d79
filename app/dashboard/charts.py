"""Altair charts the pages draw (chart specifications only: the figures come from the loaders)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from app.dashboard.geography import NOT_REGISTERED, REGISTERED


def region_map(areas: dict, settings: pd.DataFrame) -> alt.LayerChart:
    """Council areas, and settings as circles per grid cell: colour by type, filled when registered."""
    projection = {"type": "mercator"}
    shapes = alt.Chart(alt.Data(values=areas["features"])).mark_geoshape(
        fill="#eef2f5", stroke="#5b6770", strokeWidth=1.2).encode(
        tooltip=[alt.Tooltip("properties.la_name:N", title="council")]).project(**projection)
    names = alt.Chart(alt.Data(values=areas["features"])).transform_calculate(
        lon="geoCentroid(null, datum)[0]", lat="geoCentroid(null, datum)[1]").mark_text(
        fontSize=12, fontWeight="bold", color="#2b3338").encode(
        longitude="lon:Q", latitude="lat:Q", text="properties.la_name:N").project(**projection)
    points = alt.Chart(settings).mark_point(filled=True, opacity=0.75).encode(
        longitude="lon:Q", latitude="lat:Q",
        size=alt.Size("places:Q", title="places", scale=alt.Scale(range=[20, 400])),
        color=alt.Color("setting_type:N", title="setting type", scale=alt.Scale(scheme="tableau10")),
        shape=alt.Shape("registration:N", title="registration",
                        scale=alt.Scale(domain=[REGISTERED, NOT_REGISTERED], range=["circle", "triangle-up"])),
        tooltip=[alt.Tooltip("setting_type:N", title="type"), alt.Tooltip("registration:N"),
                 alt.Tooltip("settings:Q", title="settings in this 5 km cell"), alt.Tooltip("places:Q"),
                 alt.Tooltip("vacancies:Q")]).project(**projection)
    return alt.layer(shapes, points, names).properties(height=620).configure_legend(labelLimit=320)


def forecast_band(history: pd.DataFrame, title: str) -> alt.LayerChart:
    """Mean with the p10-p90 band, children by month."""
    base = alt.Chart(history).encode(x=alt.X("month:T", title="month", axis=alt.Axis(format="%b %Y")))
    band = base.mark_area(opacity=0.25, color="#4c78a8").encode(
        y=alt.Y("p10:Q", title="children"), y2="p90:Q",
        tooltip=[alt.Tooltip("month:T", format="%b %Y"), alt.Tooltip("p10:Q", format=".0f", title="p10"),
                 alt.Tooltip("mean:Q", format=".1f", title="expected"),
                 alt.Tooltip("p90:Q", format=".0f", title="p90")])
    line = base.mark_line(color="#1f4e79").encode(y="mean:Q")
    return alt.layer(band, line).properties(title=title, height=300)


def council_choropleth(features: list[dict], value: str, title: str, fmt: str, midpoint: float | None = None,
                       highlight: tuple[str, ...] = ()) -> alt.LayerChart:
    """Councils coloured by one figure (`properties.<value>`); the highlighted councils outlined in black. A
    midpoint makes the scale diverge there (the sufficiency ratio's 1: as many places as children)."""
    projection = {"type": "mercator"}
    # a ratio's long tail (a council housing ten times its own children) would wash out every other council:
    # the diverging scale stops at three times the midpoint
    scale = (alt.Scale(scheme="redblue", domain=[0, 3 * midpoint], domainMid=midpoint, clamp=True)
             if midpoint is not None else alt.Scale(scheme="blues"))
    shapes = alt.Chart(alt.Data(values=features)).mark_geoshape(stroke="#ffffff", strokeWidth=0.4).encode(
        color=alt.Color(f"properties.{value}:Q", title=title, scale=scale, legend=alt.Legend(format=fmt)),
        tooltip=[alt.Tooltip("properties.la_name:N", title="council"),
                 alt.Tooltip(f"properties.{value}:Q", title=title, format=fmt)]).project(**projection)
    ours = [f for f in features if f["properties"]["la_code"] in highlight]
    outline = alt.Chart(alt.Data(values=ours)).mark_geoshape(fillOpacity=0, stroke="#111111",
                                                              strokeWidth=1.6).project(**projection)
    return alt.layer(shapes, outline).properties(height=560)


def lines_over_years(frame: pd.DataFrame, value: str, title: str, fmt: str, highlight: str) -> alt.Chart:
    """One line per area over the years; the highlighted area drawn thick."""
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("year:O", title="31 March of"), y=alt.Y(f"{value}:Q", title=title, axis=alt.Axis(format=fmt)),
        color=alt.Color("area_name:N", title=None),
        strokeWidth=alt.condition(alt.datum.area_name == highlight, alt.value(4), alt.value(1.5)),
        tooltip=["area_name:N", "year:O", alt.Tooltip(f"{value}:Q", format=fmt)]).properties(height=320)


def yearly_band(series: pd.DataFrame, title: str) -> alt.LayerChart:
    """The DfE's published figures at 31 March (dots; hollow where the DfE did not publish the group and rcc
    imputed it) and the yearly forecast's mean with its p10-p90 band."""
    base = alt.Chart(series).encode(x=alt.X("year:O", title="31 March of", axis=alt.Axis(labelAngle=0)))
    ahead = series[series["kind"].eq("forecast")]
    band = alt.Chart(ahead).mark_area(opacity=0.25, color="#4c78a8").encode(
        x="year:O", y=alt.Y("p10:Q", title="children"), y2="p90:Q",
        tooltip=[alt.Tooltip("year:O", title="31 March of"), alt.Tooltip("p10:Q", format=".0f", title="p10"),
                 alt.Tooltip("value:Q", format=".0f", title="expected"), alt.Tooltip("p90:Q", format=".0f",
                                                                                      title="p90")])
    line = base.mark_line(color="#1f4e79").encode(y="value:Q", strokeDash=alt.StrokeDash(
        "kind:N", title=None, scale=alt.Scale(domain=["published", "forecast"], range=[[1, 0], [5, 3]])))
    dots = base.mark_point(size=50, color="#1f4e79", strokeWidth=1.5).encode(
        y="value:Q", fill=alt.condition(alt.datum.published, alt.value("#1f4e79"), alt.value("#ffffff")),
        tooltip=[alt.Tooltip("year:O", title="31 March of"), alt.Tooltip("value:Q", format=".0f", title="children"),
                 alt.Tooltip("source:N", title="figure")])
    return alt.layer(band, line, dots).properties(title=title, height=300)


def sweep_bars(cells: pd.DataFrame, figure: str, title: str) -> alt.Chart:
    """One bar per cell of a sweep (region / job / cell), coloured by job, of one headline figure."""
    frame = cells.assign(label=cells["region"].astype(str) + " / " + cells["job"].astype(str) + " / "
                         + cells["cell"].astype(str), value=pd.to_numeric(cells[figure], errors="coerce"))
    frame = frame[frame["value"].notna()]
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=480)),
        x=alt.X("value:Q", title=title), color=alt.Color("job:N", title="job"),
        tooltip=["region:N", "job:N", "cell:N", alt.Tooltip("value:Q", title=title, format=",.3~f")],
    ).properties(height=max(120, 26 * len(frame)))
