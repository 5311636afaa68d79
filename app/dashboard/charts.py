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


def forecast_band(history: pd.DataFrame, title: str, counted: pd.DataFrame | None = None,
                  scenario: pd.DataFrame | None = None) -> alt.LayerChart:
    """The fan chart: mean with the p10-p90 band, children by month; the months counted before it (`counted`:
    month, children) as a black line, and a scenario's mean (`scenario`: month, mean) dashed over the base."""
    months = pd.concat([pd.to_datetime(history["month"])]
                       + ([pd.to_datetime(counted["month"])] if counted is not None else []))
    # one tick per month (or per few months over a long span): Vega's own ticks fall between months on a short
    # horizon, and "%b %Y" then prints the same month twice
    step = max(1, -(-months.nunique() // 12))
    axis = alt.X("month:T", title="month", axis=alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": step},
                                                         labelAngle=-40))
    base = alt.Chart(history).encode(x=axis)
    band = base.mark_area(opacity=0.25, color="#4c78a8").encode(
        y=alt.Y("p10:Q", title="children"), y2="p90:Q",
        tooltip=[alt.Tooltip("month:T", format="%b %Y"), alt.Tooltip("p10:Q", format=".0f", title="p10"),
                 alt.Tooltip("mean:Q", format=".1f", title="expected"),
                 alt.Tooltip("p90:Q", format=".0f", title="p90")])
    line = base.mark_line(color="#1f4e79").encode(y="mean:Q")
    layers = [band, line]
    if counted is not None and len(counted):
        layers.append(alt.Chart(counted).mark_line(color="#111111").encode(
            x=axis, y="children:Q", tooltip=[alt.Tooltip("month:T", format="%b %Y"),
                                             alt.Tooltip("children:Q", format=".0f", title="counted")]))
    if scenario is not None and len(scenario):
        layers.append(alt.Chart(scenario).mark_line(color="#e45756", strokeDash=[6, 3]).encode(
            x=axis, y="mean:Q", tooltip=[alt.Tooltip("month:T", format="%b %Y"),
                                         alt.Tooltip("mean:Q", format=".1f", title="scenario")]))
    return alt.layer(*layers).properties(title=title, height=300)


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
    ).properties(height=max(120, 30 * len(frame)))


SOURCE_COLOURS = ["#4c78a8", "#72b7b2", "#54a24b", "#b279a2", "#f58518", "#e45756"]


def plan_stack(sources: pd.DataFrame, demand: pd.DataFrame, title: str) -> alt.LayerChart:
    """Per quarter, the plan's places stacked by source (figures.PLAN_SOURCES, in that order), with demand at the
    service level and in the mean future drawn over them."""
    from app.reports.strategy_tables import PLAN_SOURCES

    quarters = alt.X("quarter_label:N", title="quarter", sort=alt.SortField("quarter"),
                     axis=alt.Axis(labelAngle=-30, labelLimit=200))
    bars = alt.Chart(sources).mark_bar().encode(
        x=quarters, y=alt.Y("sum(children):Q", title="children (places)", stack="zero"),
        color=alt.Color("source:N", title="where the children live",
                        scale=alt.Scale(domain=list(PLAN_SOURCES), range=SOURCE_COLOURS)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("quarter_label:N", title="quarter"), alt.Tooltip("source:N"),
                 alt.Tooltip("children:Q", format=",.0f")])
    lines = alt.Chart(demand).mark_line(point={"color": "#111111"}, color="#111111").encode(
        x=quarters, y="children:Q",
        strokeDash=alt.StrokeDash("line:N", title="demand", scale=alt.Scale(
            domain=["demand at the service level", "demand, mean"], range=[[1, 0], [4, 3]]),
            legend=None),  # the caption says which line is which: a stroke legend draws blank at this size
        tooltip=[alt.Tooltip("quarter_label:N", title="quarter"), alt.Tooltip("line:N", title="demand"),
                 alt.Tooltip("children:Q", format=",.0f")])
    return alt.layer(bars, lines).resolve_scale(color="independent").properties(title=title, height=360)


def cost_bars(costs: pd.DataFrame) -> alt.Chart:
    """Each cash cost line over the plan's horizon, the plan beside doing nothing (£ millions)."""
    frame = costs.assign(millions=costs["pounds"] / 1e6)
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("cost line:N", title=None, sort=None, axis=alt.Axis(labelLimit=340)),
        yOffset=alt.YOffset("plan:N"), x=alt.X("millions:Q", title="£ million over the plan"),
        color=alt.Color("plan:N", title=None, scale=alt.Scale(range=["#bab0ac", "#1f4e79"])),
        tooltip=[alt.Tooltip("cost line:N"), alt.Tooltip("plan:N"),
                 alt.Tooltip("millions:Q", title="£ million", format=",.1f")]).properties(height=300)


def risk_dots(risk: pd.DataFrame) -> alt.Chart:
    """Per council x kind of home, the chance of a shortfall in the worst quarter: the plan against doing nothing."""
    frame = risk.assign(cell=risk["area"] + ": " + risk["kind of home"])
    return alt.Chart(frame).mark_point(filled=True, size=90).encode(
        y=alt.Y("cell:N", title=None, sort=None, axis=alt.Axis(labelLimit=360, labelOverlap=False)),
        x=alt.X("chance:Q", title="chance of a shortfall in the worst quarter", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("plan:N", title=None, scale=alt.Scale(range=["#bab0ac", "#1f4e79"])),
        tooltip=[alt.Tooltip("cell:N", title="where"), alt.Tooltip("plan:N"),
                 alt.Tooltip("chance:Q", format=".0%", title="chance"),
                 alt.Tooltip("child_weeks:Q", format=",.0f", title="child-weeks without a suitable home")],
    ).properties(height=max(160, 28 * frame["cell"].nunique()))


def measure_map(areas: dict, values: dict[str, float], title: str) -> alt.LayerChart:
    """Council areas coloured by one count (`values`: la_code -> count); a council without a value (one the user
    does not see) drawn grey; names at each area's centre."""
    projection = {"type": "mercator"}
    features = [{"type": "Feature", "geometry": f["geometry"],
                 "properties": {**f["properties"], "value": values.get(f["properties"]["la_code"])}}
                for f in areas["features"]]
    base = alt.Chart(alt.Data(values=features)).mark_geoshape(fill="#e6e6e6", stroke="#ffffff", strokeWidth=1)
    shaded = alt.Chart(alt.Data(values=[f for f in features if f["properties"]["value"] is not None])).mark_geoshape(
        stroke="#ffffff", strokeWidth=1).encode(
        color=alt.Color("properties.value:Q", title=title, scale=alt.Scale(scheme="orangered", zero=True),
                        legend=alt.Legend(format=",.0f", orient="bottom", titleLimit=400)),
        tooltip=[alt.Tooltip("properties.la_name:N", title="council"),
                 alt.Tooltip("properties.value:Q", title=title, format=",.0f")])
    names = alt.Chart(alt.Data(values=features)).transform_calculate(
        lon="geoCentroid(null, datum)[0]", lat="geoCentroid(null, datum)[1]").mark_text(
        fontSize=11, fontWeight="bold", color="#1f1f1f").encode(
        longitude="lon:Q", latitude="lat:Q", text="properties.la_name:N")
    return alt.layer(base.project(**projection), shaded.project(**projection),
                     names.project(**projection)).properties(height=460)


def trend_lines(trend: pd.DataFrame) -> alt.Chart:
    """The key figures month by month, one small chart per figure (each its own scale)."""
    return alt.Chart(trend).mark_line(point=True).encode(
        x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(format=",.0f", tickMinStep=1)),
        tooltip=[alt.Tooltip("month:O"), alt.Tooltip("figure:N"), alt.Tooltip("value:Q", format=",.0f")],
    ).properties(width=260, height=160).facet(column=alt.Column("figure:N", title=None)).resolve_scale(y="independent")


def share_bars(shares: pd.DataFrame, title: str) -> alt.Chart:
    """Owners' shares as horizontal bars, largest first."""
    return alt.Chart(shares).mark_bar(color="#4c78a8").encode(
        y=alt.Y("owner:N", title=None, sort=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)),
        x=alt.X("share:Q", title=title, axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("owner:N"), alt.Tooltip("places:Q", format=",.0f"),
                 alt.Tooltip("share:Q", format=".1%")]).properties(height=max(160, 24 * len(shares)))


def concentration_bars(councils: pd.DataFrame) -> alt.LayerChart:
    """Each council's HHI as a bar, with the 2,500 line above which a market is highly concentrated."""
    bars = alt.Chart(councils).mark_bar(color="#72b7b2").encode(
        y=alt.Y("council:N", title=None, sort="-x", axis=alt.Axis(labelOverlap=False)),
        x=alt.X("hhi:Q", title="concentration (HHI)"),
        tooltip=[alt.Tooltip("council:N"), alt.Tooltip("hhi:Q", format=",.0f", title="HHI"),
                 alt.Tooltip("top_owner_name:N", title="largest owner"),
                 alt.Tooltip("top_share:Q", format=".0%", title="its share")])
    rule = alt.Chart(pd.DataFrame({"hhi": [2500]})).mark_rule(strokeDash=[4, 3], color="#e45756").encode(x="hhi:Q")
    return alt.layer(bars, rule).properties(height=max(160, 30 * len(councils)))


def flow_map(areas: dict, flows: pd.DataFrame) -> alt.LayerChart:
    """Council areas, and one line per council pair from where children come from to where their homes are (council
    centres only), as wide as the children; children placed in their own council as a circle at its centre."""
    projection = {"type": "mercator"}
    shapes = alt.Chart(alt.Data(values=areas["features"])).mark_geoshape(
        fill="#eef2f5", stroke="#9aa5ad", strokeWidth=1).project(**projection)
    between = flows[flows["la_from"] != flows["la_to"]]
    within = flows[flows["la_from"] == flows["la_to"]]
    tooltip = [alt.Tooltip("name_from:N", title="children of"), alt.Tooltip("name_to:N", title="placed in"),
               alt.Tooltip("children:Q")]
    lines = alt.Chart(between).mark_rule(color="#1f4e79", opacity=0.55, strokeCap="round").encode(
        longitude="lon:Q", latitude="lat:Q", longitude2="lon2:Q", latitude2="lat2:Q",
        strokeWidth=alt.StrokeWidth("children:Q", title="children", scale=alt.Scale(range=[0.5, 9])),
        tooltip=tooltip).project(**projection)
    home = alt.Chart(within).mark_circle(color="#f58518", opacity=0.7).encode(
        longitude="lon:Q", latitude="lat:Q",
        size=alt.Size("children:Q", title="within their own council", scale=alt.Scale(range=[30, 900]),
                     legend=alt.Legend(symbolFillColor="#f58518", symbolStrokeColor="#f58518")),
        tooltip=tooltip).project(**projection)
    names = alt.Chart(alt.Data(values=areas["features"])).transform_calculate(
        lon="geoCentroid(null, datum)[0]", lat="geoCentroid(null, datum)[1]").mark_text(
        fontSize=11, dy=-12, color="#2b3338").encode(
        longitude="lon:Q", latitude="lat:Q", text="properties.la_name:N").project(**projection)
    return alt.layer(shapes, lines, home, names).properties(height=480)


def approach_bars(comparison: pd.DataFrame, measure: str) -> alt.Chart:
    """One measure per council, the regional plan beside each council searching alone."""
    frame = comparison[comparison["measure"] == measure]
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("council:N", title=None, axis=alt.Axis(labelOverlap=False)), yOffset=alt.YOffset("approach:N"),
        x=alt.X("value:Q", title=measure, axis=alt.Axis(format=",.0f")),
        color=alt.Color("approach:N", title=None, scale=alt.Scale(range=["#1f4e79", "#bab0ac"])),
        tooltip=[alt.Tooltip("council:N"), alt.Tooltip("approach:N"),
                 alt.Tooltip("value:Q", title=measure, format=",.0f")],
    ).properties(height=max(160, 34 * frame["council"].nunique()))


def severity_bars(counts: dict[str, int]) -> alt.Chart:
    """The region's problems by severity: errors stop a run, warnings are probably mistakes, flags are facts."""
    frame = pd.DataFrame({"severity": ["errors", "warnings", "flags (facts to act on)"],
                          "problems": [counts["error"], counts["warning"], counts["flag"]]})
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("severity:N", title=None, sort=None), x=alt.X("problems:Q", title="problems found"),
        color=alt.Color("severity:N", legend=None, scale=alt.Scale(range=["#e45756", "#f58518", "#4c78a8"])),
        tooltip=["severity:N", "problems:Q"]).properties(height=120)


def count_bars(frame: pd.DataFrame, label: str, value: str, title: str) -> alt.Chart:
    """One bar per row (a council, say), largest first, of one count."""
    return alt.Chart(frame).mark_bar(color="#e45756").encode(
        y=alt.Y(f"{label}:N", title=None, sort="-x", axis=alt.Axis(labelOverlap=False)),
        x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(tickMinStep=1)),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", title=title, format=",.0f")],
    ).properties(height=max(120, 30 * len(frame)))
