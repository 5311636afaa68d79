"""market.html, for reading and printing: England's children's-homes market as one self-contained printable
report (maps and line charts drawn by matplotlib as inline SVG, no scripts, nothing fetched from the network),
section by section, from the same tables as the workbook (`market_tables`)."""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from app.reports.charts import legend_beside, pyplot, svg, svg_with_legend_beside
from app.reports.market_tables import (
    BY_AREA,
    ENGLAND,
    ENGLAND_COLOUR,
    HIGHLIGHT_COLOUR,
    NOT_PUBLISHED,
    MarketTables,
    area_colour,
    as_text,
    heading_kind,
    is_number,
    market_tables,
    subtitle,
    value_at,
    year_text,
)
from app.reports.page import REPORT_CSS, document, figure
from optimiser.market import Market

NO_BOUNDARIES = ("The maps need the ONS council boundaries file (counties and unitary authorities, GeoJSON or "
                 "GeoPackage), which was not given, so no map is drawn.")
MISSING_COLOUR = "#e3e3e3"
RATIO_CEILING = 3.0  # the sufficiency scale stops here: a few councils house many times their own children

MARKET_CSS = REPORT_CSS + """
.card .region { color: #C00000; font-size: 0.85em; margin-top: 0.25em; }
tr.hl td { background: #FFF2CC; }
th .unit { font-weight: normal; color: #555; }
.missing { border: 1px solid #e0c36a; background: #fff8e1; padding: 0.6em 0.9em; border-radius: 6px; }
ul.notes li { color: #444; font-size: 0.92em; margin-bottom: 0.3em; }
table.headline td:first-child { width: 30%; } table.headline td:last-child { width: 32%; }
h3 { margin-bottom: 0.2em; }
@page { size: A4; margin: 12mm; }
"""


def write_market_report(path: Path, market: Market, highlight: Sequence[str] = (), boundaries=None) -> Path:
    """market.html: England's children's homes market as a self-contained printable report (inline SVG maps and
    charts). `boundaries`: the ONS council boundaries (GeoDataFrame la_code, geometry) for the maps; without them
    the report says the maps need that file and draws none."""
    t = market_tables(market, highlight)
    title = f"England's children's homes market, {t.first_year} to {t.latest_year}"
    sections = [
        (f"<h1>{html.escape(title)}</h1><p class='sub'>{html.escape(subtitle(t))} Every figure names the file "
         "it comes from; the DfE's figures for a list year are for that 31 March or the latest year before it.</p>"),
        _cards(t),
        f"<h2>Headline figures: {html.escape(_with_region(t))}</h2>",
        _headline_html(t),
        f"<h2>Where the places are: councils at 31 March {t.latest_year}</h2>",
        _maps_section(t, boundaries),
        f"<h2>Over the years, {t.first_year} to {t.latest_year}</h2>",
        figure(_homes_places_chart(t), "Children's homes and places registered with Ofsted at 31 March of each "
                + (f"list year: England, and {t.region_name} on its own axis. " if t.region_name else
                   "list year. ") + t.footnotes["trend_ofsted"]),
        figure(_private_share_chart(t), "Private share of children's home places, England and each region"
                + (f" ({t.region_name} in red)" if t.region_name else "") + ". Ofsted lists as above."),
        figure(_concentration_chart(t), "Owner concentration of independent places (private, voluntary, health): "
                "HHI on 0-10,000 (above 2,500 a highly concentrated market) and the top three owners' share. "
                "Gaps: the list names no owners that year. Ofsted lists as above."),
        figure(_children_places_chart(t), "Places in children's homes (Ofsted, 31 March) against the children "
                "looked after in children's homes (DfE, 31 March of the year shown beneath; until 2017 the DfE "
                "counted semi-independent hostels with them). " + t.footnotes["trend_dfe"]),
        _councils_section(t),
        f"<h2>Who owns the places: the largest owners in {t.latest_year}</h2>",
        _html_table(t.owners, note=t.footnotes["owners"]) if len(t.owners) else
        "<p>No provider list names owners.</p>",
        _replace_section(t),
        f"<h2>Regions and RCC pathfinders, {t.latest_year}</h2>",
        _regions_html(t),
        "<h2>Homes joining and leaving the register</h2>",
        figure(_joiners_chart(t), "Homes in one Ofsted list and not the next (left) or the reverse (joined)."),
        _html_table(t.joiners.drop(columns=["Ofsted source"]), highlight=frozenset([t.region_name]),
                    note=t.footnotes["joiners"]),
        "<h2>Sources and notes</h2>",
        _sources_html(t),
        "<ul class='notes'>" + "".join(f"<li>{html.escape(n)}</li>" for n in t.notes) + "</ul>",
        "<p class='note'>Every figure, council by council and year by year with its source file: market.xlsx.</p>",
    ]
    path = Path(path)
    path.write_text(document(title, sections, MARKET_CSS), encoding="utf-8")
    return path


def _with_region(t: MarketTables) -> str:
    return f"England and {t.region_name}" if t.region_name else "England"


def _cards(t: MarketTables) -> str:
    """Eight figures to read first: England's latest, its first year's in the label, the region's beneath."""
    lt, f = t.latest_year, t.first_year

    def now(column: str, kind: str) -> tuple[str, str]:
        return (as_text(value_at(t.england, lt, column), kind, NOT_PUBLISHED),
                as_text(value_at(t.region, lt, column), kind, NOT_PUBLISHED))

    def then(column: str, kind: str) -> str:
        return as_text(value_at(t.england, f, column), kind, NOT_PUBLISHED)

    dfe = year_text(value_at(t.england, lt, "children_in_homes_year"))
    top3 = as_text(value_at(t.england, lt, "top3_share"), "share", NOT_PUBLISHED)
    top = as_text(value_at(t.england, lt, "top_share"), "share", NOT_PUBLISHED)
    cards = [
        (*now("homes", "count"), f"children's homes in England at 31 March {lt} ({then('homes', 'count')} in {f})"),
        (*now("places", "count"), f"places ({then('places', 'count')} in {f})"),
        (*now("private_share", "share"), f"of places are private ({then('private_share', 'share')} in {f})"),
        (*now("places_per_10k", "rate"), "places per 10,000 children aged 0-17"),
        (*now("sufficiency_ratio", "ratio"), f"places per child looked after in a children's home (DfE {dfe})"),
        (*now("hhi", "hhi"), f"owner concentration (HHI 0-10,000); the top three own {top3} of independent places"),
        (*now("top_owner_name", "text"), f"largest owner, with {top} of independent places"),
        _joiners_card(t),
    ]
    parts = []
    for value, region, label in cards:
        region_line = (f"<div class='region'>{html.escape(t.region_name)}: {html.escape(region)}</div>"
                       if t.region_name else "")
        parts.append(f"<div class='card'><div class='value'>{html.escape(value)}</div>"
                     f"<div class='label'>{html.escape(label)}</div>{region_line}</div>")
    return "<div class='cards'>" + "".join(parts) + "</div>"


def _joiners_card(t: MarketTables) -> tuple[str, str, str]:
    """Homes joined / left between the last two lists, England's and the region's."""
    def last(area: str) -> pd.Series | None:
        rows = t.joiners[t.joiners["area"].eq(area)] if area else t.joiners.iloc[0:0]
        return rows.iloc[-1] if len(rows) else None

    def text(row: pd.Series | None) -> str:
        if row is None:
            return NOT_PUBLISHED
        return f"+{row['homes that joined (homes)']:,.0f} / -{row['homes that left (homes)']:,.0f}"

    england = last(ENGLAND)
    period = (f"between {england['from the list of 31 March (year)']:.0f} and {t.latest_year}"
              if england is not None else "")
    return text(england), text(last(t.region_name)), f"homes joined / left the register {period}".strip()


def _headline_html(t: MarketTables) -> str:
    kinds = [heading_kind(f"x ({unit})") if unit != "name" else "text" for unit in t.headline["unit"]]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t.headline.columns)
    body = []
    for kind, row in zip(kinds, t.headline.itertuples(index=False)):
        cells = []
        for column, value in zip(t.headline.columns, row):
            if column in ("measure", "unit", "source"):
                cells.append(f"<td>{_breakable(as_text(value, 'text'))}</td>")
            else:
                cells.append(f"<td class='n'>{html.escape(as_text(value, kind, NOT_PUBLISHED))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='headline'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _breakable(text: str) -> str:
    """Escaped text a browser may break after '_' or '/': Ofsted's and the DfE's file names are long words."""
    return re.sub(r"([_/\]])", r"\1<wbr>", html.escape(text))


def _html_table(frame: pd.DataFrame, highlight: frozenset[str] = frozenset(), note: str = "") -> str:
    """A table with each number formatted by its heading's unit, the unit set smaller under the heading, missing
    values blank and the highlighted region's rows shaded."""
    head = "".join(f"<th>{_heading_html(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row):
            if is_number(value):
                cells.append(f"<td class='n'>{html.escape(as_text(value, heading_kind(column)))}</td>")
            else:
                cells.append(f"<td>{_breakable(as_text(value, 'text'))}</td>")
        shaded = " class='hl'" if len(row) and str(row[0]) in highlight else ""
        body.append(f"<tr{shaded}>" + "".join(cells) + "</tr>")
    footnote = f"<p class='note'>{html.escape(note)}</p>" if note else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{footnote}"


def _heading_html(heading: str) -> str:
    match = re.search(r"^(.*?)\s*(\([^()]*\))\s*$", str(heading))
    if not match:
        return html.escape(str(heading))
    return f"{html.escape(match.group(1))} <span class='unit'>{html.escape(match.group(2))}</span>"


def _regions_html(t: MarketTables) -> str:
    """The regions in two tables, places and children then owners: one table of every column is wider than a
    printed page."""
    owners = ["councils (councils)", "owners of independent places (owners)", "owner concentration (HHI 0-10,000)",
              "top three owners' share of independent places (%)", "largest owner",
              "largest owner's share of independent places (%)"]
    shaded = frozenset([t.region_name])
    places = t.regions.drop(columns=owners)  # "kind of area" kept: South East is a region and an RCC
    return (_html_table(places, highlight=shaded) + "<p class='note'>Who owns the independent places:</p>"
            + _html_table(t.regions[["area", "kind of area", *owners]], highlight=shaded, note=t.footnotes["regions"]))


REPLACE_SHOWN = ["owner", "independent places (places)", "region where its share is highest", "kind of home there",
                 "share of that region's independent places (%)", "council where its share is highest",
                 "kind of home in that council", "share of that council's independent places (%)",
                 "councils with its places (councils)", "share of its places in that council (%)"]
REPLACE_IN_WORDS = 12  # the largest owners' evidence in words; every owner's is in market.xlsx and the CSV


def _replace_section(t: MarketTables) -> str:
    """The owners meeting the designation rule's market part: the rule and what the data cannot test, the table,
    and the largest owners' evidence in words."""
    head = f"<h2>Difficult to replace: owners meeting the designation rule's market part, {t.latest_year}</h2>"
    if not len(t.replace):
        return head + f"<p>No owner meets it. {html.escape(t.replace_note or 'No list covers all of England.')}</p>"
    by_region = t.replace["meets a region's share"].eq("yes")
    note = (f"{len(t.replace):,} owners meet it, {int(by_region.sum()):,} of them by a region's "
            "share and the rest by a council's. " + t.replace_note)
    largest = t.replace.sort_values("independent places (places)", ascending=False, kind="stable")
    words = "".join(f"<li>{html.escape(text)}</li>" for text in largest["evidence"].head(REPLACE_IN_WORDS))
    return (head + f"<p class='missing'>{html.escape(note)}</p>"
            + _html_table(t.replace[REPLACE_SHOWN], note=f"{t.replace['Ofsted source'].iloc[0]}; every column and "
                          "the evidence for every owner: market.xlsx (Difficult to replace) and "
                          "difficult_to_replace.csv.")
            + f"<h3>In words: the {min(REPLACE_IN_WORDS, len(t.replace))} largest of them by places</h3>"
            + f"<ul class='notes'>{words}</ul>")


def _sources_html(t: MarketTables) -> str:
    items = "".join(f"<li><b>{html.escape(publication)}</b>: "
                    + "; ".join(_breakable(f) for f in files["file"]) + "</li>"
                    for publication, files in t.sources.groupby("publication", sort=False))
    return f"<ul class='notes'>{items}</ul>"


def _councils_section(t: MarketTables) -> str:
    parts = [f"<h2>Councils, 31 March {t.latest_year}</h2>"]
    if t.region_name:
        parts += [f"<h3>{html.escape(t.region_name)}'s councils</h3>",
                  figure(_ratio_bars(t, t.region_councils), f"Sufficiency ratio of {t.region_name}'s councils: "
                          "places in the council's area per child it looks after in a children's home. Below the "
                          "line at 1, the council's own children in homes outnumber the places in its area."),
                  _html_table(t.region_councils, note=t.footnotes["councils"])]
    parts += ["<h3>The ten councils with the lowest sufficiency ratio</h3>",
              figure(_ratio_bars(t, t.lowest), "The ten lowest sufficiency ratios in England"
                      + (f" ({t.region_name}'s councils in bold)" if t.region_name else "") + "."),
              _html_table(t.lowest, highlight=t.highlight_names, note=t.footnotes["councils"]),
              "<h3>Every council</h3>",
              _html_table(t.councils_latest, highlight=t.highlight_names, note=t.footnotes["councils"])]
    return "".join(parts)


# --- the report's charts

def _years(t: MarketTables) -> list[int]:
    return [int(y) for y in t.trend["list year, 31 March (year)"]]


def _year_axis(ax, years: list[int], labels: list[str] | None = None) -> None:
    ax.set_xticks(years, labels or [str(y) for y in years])
    ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


def _thousands(ax) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _panels(t: MarketTables) -> list[tuple[str, str]]:
    return [(ENGLAND, ENGLAND_COLOUR)] + ([(t.region_name, HIGHLIGHT_COLOUR)] if t.region_name else [])


def _homes_places_chart(t: MarketTables) -> str:
    plt = pyplot()
    years = _years(t)
    panels = _panels(t)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
    for ax, (name, colour) in zip(axes[0], panels):
        for measure, label, style in (("places (places)", "places", "-"),
                                      ("children's homes (homes)", "children's homes", "--")):
            values = t.trend[f"{name}: {measure}"].to_numpy(dtype=float)
            ax.plot(years, values, style, color=colour, marker="o", linewidth=2.2, label=label)
            for x, y in zip(years, values):
                if not np.isnan(y):
                    ax.annotate(f"{y:,.0f}", (x, y), textcoords="offset points", xytext=(0, 7), ha="center",
                                fontsize=8, color=colour)
        ax.set_title(name, fontsize=11, color=colour)
        ax.set_ylim(0, np.nanmax(t.trend[f"{name}: places (places)"].to_numpy(dtype=float), initial=1) * 1.18)
        _year_axis(ax, years)
        _thousands(ax)
    axes[0][0].set_ylabel("homes / places at 31 March")
    _neutral_legend(axes[0][-1], [("-", "o", "places"), ("--", "o", "children's homes")])
    fig.tight_layout()
    return svg(fig)


def _neutral_legend(ax, entries: list[tuple[str, str, str]]) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], linestyle=style, marker=marker, color="#555555", label=label)
               for style, marker, label in entries]
    legend_beside(ax, handles=handles)


def _area_lines(ax, wide: pd.DataFrame, region_name: str) -> None:
    years = list(wide.index)
    for i, area in enumerate(wide.columns):
        values = wide[area].to_numpy(dtype=float)
        if area in (ENGLAND, region_name):
            ax.plot(years, values, color=area_colour(area, region_name, i), linewidth=2.8, marker="o",
                    label=area, zorder=4)
        else:
            ax.plot(years, values, color=area_colour(area, region_name, i), linewidth=1.2, marker="o",
                    markersize=3, alpha=0.85, label=area, zorder=2)


def _private_share_chart(t: MarketTables) -> str:
    from matplotlib.ticker import PercentFormatter

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9.2, 4.4))
    _area_lines(ax, t.by_area[BY_AREA["private_share"]], t.region_name)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("private share of places")
    _year_axis(ax, _years(t))
    return svg_with_legend_beside(fig, ax)


def _concentration_chart(t: MarketTables) -> str:
    from matplotlib.ticker import PercentFormatter

    plt = pyplot()
    years = _years(t)
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.0))
    for ax, (title, label) in zip(axes, ((BY_AREA["hhi"], "HHI (0-10,000)"),
                                         (BY_AREA["top3_share"], "top three owners' share"))):
        wide = t.by_area[title]
        _area_lines(ax, wide, t.region_name)
        ax.set_ylabel(label)
        ax.set_title(title.split(" (")[0], fontsize=10)
        _year_axis(ax, years)
        ax.set_ylim(bottom=0)
        for year in years:
            if wide.loc[year].isna().all():
                ax.text(year, ax.get_ylim()[1] * 0.5, "no owners\nin this list", ha="center", va="center",
                        fontsize=8, color="#777777")
    axes[0].yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    axes[1].yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    legend_beside(axes[1])
    fig.tight_layout()
    return svg(fig)


def _children_places_chart(t: MarketTables) -> str:
    plt = pyplot()
    years = _years(t)
    panels = _panels(t)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.9), squeeze=False)
    for ax, (name, colour) in zip(axes[0], panels):
        places = t.trend[f"{name}: places (places)"].to_numpy(dtype=float)
        children = t.trend[f"{name}: children looked after in children's homes (children)"].to_numpy(dtype=float)
        ax.plot(years, places, color=colour, marker="o", linewidth=2.2, label="places (Ofsted)")
        ax.plot(years, children, "--", color="#7F7F7F", marker="s", linewidth=2.0,
                label="children looked after in children's homes (DfE)")
        ax.fill_between(years, children, places, color=colour, alpha=0.07)
        dfe = t.trend[f"{name}: DfE year of that count (year)"]
        labels = [f"{y}" if pd.isna(d) or int(d) == y else f"{y}\n(DfE {int(d)})" for y, d in zip(years, dfe)]
        ax.set_title(name, fontsize=11, color=colour)
        ax.set_ylim(0, np.nanmax(np.concatenate([places, children]), initial=1) * 1.15)
        _year_axis(ax, years, labels)
        _thousands(ax)
    axes[0][0].set_ylabel("places / children at 31 March")
    _neutral_legend(axes[0][-1], [("-", "o", "places (Ofsted)"),
                                  ("--", "s", "children looked after in\nchildren's homes (DfE)")])
    fig.tight_layout()
    return svg(fig)


def _ratio_norm():
    from matplotlib.colors import TwoSlopeNorm

    return TwoSlopeNorm(vmin=0, vcenter=1, vmax=RATIO_CEILING)


def _ratio_bars(t: MarketTables, councils: pd.DataFrame) -> str:
    """Councils' sufficiency ratios as bars coloured on the map's scale, with the line at 1."""
    plt = pyplot()
    from matplotlib import colormaps

    rows = councils.sort_values("sufficiency ratio (places per child in homes)", na_position="last")
    ratios = rows["sufficiency ratio (places per child in homes)"].to_numpy(dtype=float)
    cmap, norm = colormaps["RdBu"], _ratio_norm()
    fig, ax = plt.subplots(figsize=(9, 0.34 * len(rows) + 1.1))
    y = np.arange(len(rows))
    ax.barh(y, np.nan_to_num(ratios), color=[cmap(norm(min(v, RATIO_CEILING))) if not np.isnan(v) else
                                            MISSING_COLOUR for v in ratios], edgecolor="#555555", linewidth=0.4)
    places = rows["places (places)"].to_numpy(dtype=float)
    children = rows["children the council looks after in children's homes (children)"].to_numpy(dtype=float)
    for i, (ratio, p, c) in enumerate(zip(ratios, places, children)):
        text = (f"{ratio:.2f}  ({p:,.0f} places, {c:,.0f} children)" if not np.isnan(ratio) else
                f"no ratio ({p:,.0f} places, children {NOT_PUBLISHED})")
        ax.text((0 if np.isnan(ratio) else ratio) + 0.03, i, text, va="center", fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.85})
    ax.axvline(1, color="#1f1f1f", linewidth=1, linestyle="--")
    ax.set_yticks(y, rows["council"])
    for label in ax.get_yticklabels():
        if label.get_text() in t.highlight_names:
            label.set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xlim(0, max(np.nanmax(ratios, initial=1) * 1.45, 1.5))
    ax.set_xlabel("sufficiency ratio: places per child looked after in a children's home (1 = as many as its own)")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return svg(fig)


def _joiners_chart(t: MarketTables) -> str:
    plt = pyplot()
    panels = [(n, c) for n, c in _panels(t) if t.joiners["area"].eq(n).any()]
    fig, axes = plt.subplots(1, max(len(panels), 1), figsize=(5.2 * max(len(panels), 1), 3.6), squeeze=False)
    for ax, (name, colour) in zip(axes[0], panels):
        rows = t.joiners[t.joiners["area"].eq(name)]
        labels = [f"{a:.0f}\nto {b:.0f}" for a, b in zip(rows["from the list of 31 March (year)"],
                                                         rows["to the list of 31 March (year)"])]
        x = np.arange(len(rows))
        joined = rows["homes that joined (homes)"].to_numpy(dtype=float)
        left = rows["homes that left (homes)"].to_numpy(dtype=float)
        ax.bar(x - 0.2, joined, 0.4, color="#70AD47", label="homes that joined")
        ax.bar(x + 0.2, left, 0.4, color="#A5A5A5", label="homes that left")
        for i, (j, lf) in enumerate(zip(joined, left)):
            ax.text(i, max(j, lf) * 1.04, f"net {j - lf:+,.0f}", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, labels)
        ax.set_title(name, fontsize=11, color=colour)
        ax.set_ylim(0, np.nanmax(np.concatenate([joined, left]), initial=1) * 1.2)
        ax.spines[["top", "right"]].set_visible(False)
        _thousands(ax)
    axes[0][0].set_ylabel("homes")
    legend_beside(axes[0][-1])
    fig.tight_layout()
    return svg(fig)


# --- the maps

def _maps_section(t: MarketTables, boundaries) -> str:
    if boundaries is None or len(boundaries) == 0:
        return f"<p class='missing'>{html.escape(NO_BOUNDARIES)}</p>"
    shapes = _map_shapes(boundaries, t.map_values)
    no_shape = sorted(set(t.map_values["la_name"]) - set(shapes["la_name"].dropna()))
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    ratio = _choropleth(
        shapes, "sufficiency_ratio", colormaps["RdBu"], _ratio_norm(), t,
        bar_label="sufficiency ratio: places in the council's area per child it looks after in a children's home",
        ticks=[0, 0.5, 1, 1.5, 2, 3], tick_labels=["0", "0.5", "1", "1.5", "2", "3 or more"],
        ends=("fewer places than its own children in homes", "more places than its own children in homes"),
        missing_label="no ratio: no child of the council in a children's home, or not published",
        value_text=lambda v: f"{v:.2f}", extend="max")
    private = _choropleth(
        shapes, "private_share", colormaps["Purples"], Normalize(0, 1), t,
        bar_label="private share of the children's home places in the council's area",
        ticks=[0, 0.25, 0.5, 0.75, 1], tick_labels=["0%", "25%", "50%", "75%", "100%"],
        ends=("council-run, voluntary or health", "all private"), missing_label="no children's home places",
        value_text=lambda v: f"{v:.0%}", extend="neither")
    footnote = f"Sources: {t.footnotes['councils'].removeprefix('Sources: ')} Boundaries: ONS."
    if no_shape:
        footnote += " No boundary in the file for: " + ", ".join(no_shape) + "."
    return (figure(ratio, f"Sufficiency ratio by council, {t.latest_year}: red where the council's own children "
                    "in children's homes outnumber the places in its area, blue where its area houses other "
                    "councils' children too." + (f" {t.region_name} outlined, and drawn larger on the right"
                                                 if t.region_name else " London drawn larger on the right")
                    + (" with London." if t.region_name else "."))
            + figure(private, f"Private share of places by council, {t.latest_year}.")
            + f"<p class='note'>{html.escape(footnote)}</p>")


def _map_shapes(boundaries, values: pd.DataFrame):
    """The latest year's councils on British National Grid (metres, so England is not stretched)."""
    shapes = boundaries[["la_code", "geometry"]].merge(values, on="la_code", how="left")
    if shapes.crs is None:
        shapes = shapes.set_crs("EPSG:4326")
    return shapes.to_crs("EPSG:27700")


def _choropleth(shapes, column: str, cmap, norm, t: MarketTables, bar_label: str, ticks: list, tick_labels: list,
                ends: tuple[str, str], missing_label: str, value_text, extend: str) -> str:
    """England's councils coloured by `column` (missing hatched grey), the highlighted councils outlined and drawn
    again larger on the right with their names and values, one colour bar a reader can read without a key."""
    plt = pyplot()
    from matplotlib.cm import ScalarMappable
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    in_region = shapes["la_code"].isin(t.highlight)
    zoom = shapes[in_region]
    london = shapes[shapes["la_code"].str.startswith("E09")]
    # London's councils are specks on England's map yet hold most of the lowest ratios: drawn larger beside it,
    # unless the highlighted region is London itself
    show_london = len(london) >= 5 and not set(london["la_code"]) <= set(zoom["la_code"])
    panels = [p for p, shown in (("region", len(zoom) > 0), ("london", show_london)) if shown]
    fig = plt.figure(figsize=(11, 8.6) if len(panels) == 2 else (11, 7.6) if panels else (7, 7.8))
    # rows: two map rows, a spacer (room for the colour bar's end labels), the colour bar
    grid = fig.add_gridspec(4, 2 if panels else 1, height_ratios=[1, 1, 0.1, 0.06], hspace=0.12, wspace=0.03,
                            width_ratios=[1.15, 1] if panels else [1])
    england = fig.add_subplot(grid[0:2, 0])
    _paint(england, shapes, column, cmap, norm, linewidth=0.25)
    handles = [Patch(facecolor=MISSING_COLOUR, edgecolor="#9a9a9a", hatch="////", label=missing_label)]
    places = {"region": grid[0, 1], "london": grid[1, 1]} if len(panels) == 2 else {p: grid[0:2, 1] for p in panels}
    if len(zoom):
        _outline(england, zoom, width=1.4)
        handles.append(Line2D([], [], color="black", linewidth=1.6, label=f"{t.region_name} (outlined)"))
        _detail(fig.add_subplot(places["region"]), shapes, zoom, column, cmap, norm, t.region_name,
                HIGHLIGHT_COLOUR, value_text)
    if show_london:
        _detail(fig.add_subplot(places["london"]), shapes, london, column, cmap, norm, "London", "#1f1f1f",
                value_text=None, outline=zoom)
    england.set_title("England", fontsize=11)
    england.legend(handles=handles, loc="upper left", fontsize=8, frameon=False, bbox_to_anchor=(-0.02, 1.0))
    bar_axis = fig.add_subplot(grid[3, :])
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=bar_axis, orientation="horizontal",
                       extend=extend, ticks=ticks)
    bar.ax.set_xticklabels(tick_labels, fontsize=9)
    bar.set_label(bar_label, fontsize=9.5)
    bar.ax.text(0, 1.35, "\u2190 " + ends[0], transform=bar.ax.transAxes, ha="left", va="bottom", fontsize=9)
    bar.ax.text(1, 1.35, ends[1] + " \u2192", transform=bar.ax.transAxes, ha="right", va="bottom", fontsize=9)
    return svg(fig)


def _detail(ax, shapes, councils, column: str, cmap, norm, title: str, colour: str, value_text=None,
            outline=None) -> None:
    """A few councils drawn larger, their neighbours faded so they stand out without losing where they sit;
    labelled with names and values when `value_text` is given."""
    others = shapes[~shapes["la_code"].isin(councils["la_code"])]
    _paint(ax, others, column, cmap, norm, linewidth=0.6, alpha=0.35)
    _paint(ax, councils, column, cmap, norm, linewidth=0.6)
    highlighted = councils if outline is None else councils[councils["la_code"].isin(outline["la_code"])]
    if len(highlighted):
        _outline(ax, highlighted, width=2.0)
    _zoom_to(ax, councils)
    if value_text is not None:
        _label_councils(ax, councils, column, value_text)
    ax.set_title(title, fontsize=11, color=colour)


def _paint(ax, shapes, column: str, cmap, norm, linewidth: float, alpha: float = 1.0) -> None:
    values = shapes[column].to_numpy(dtype=float)
    known = ~np.isnan(values)
    if known.any():
        shapes[known].plot(ax=ax, color=[cmap(norm(v)) for v in values[known]], edgecolor="white",
                           linewidth=linewidth, alpha=alpha)
    if (~known).any():
        shapes[~known].plot(ax=ax, facecolor=MISSING_COLOUR, edgecolor="#9a9a9a", hatch="////",
                            linewidth=linewidth, alpha=alpha)
    ax.set_axis_off()
    ax.set_aspect("equal", adjustable="datalim")


def _outline(ax, councils, width: float) -> None:
    councils.boundary.plot(ax=ax, color="black", linewidth=width * 0.4)
    councils.dissolve().boundary.plot(ax=ax, color="black", linewidth=width)


def _zoom_to(ax, councils) -> None:
    minx, miny, maxx, maxy = councils.total_bounds
    pad = 0.08 * max(maxx - minx, maxy - miny, 1.0)
    ax.set_aspect("equal", adjustable="box")  # both limits fixed: the panel's box takes the region's shape
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)


def _label_councils(ax, councils, column: str, value_text) -> None:
    from matplotlib import patheffects

    for row in councils.itertuples(index=False):
        point = row.geometry.representative_point()
        value = getattr(row, column)
        name = "\n".join(textwrap.wrap(str(row.la_name), 16))
        text = f"{name}\n{value_text(value) if pd.notna(value) else NOT_PUBLISHED}"
        ax.annotate(text, (point.x, point.y), ha="center", va="center", fontsize=7.5,
                    path_effects=[patheffects.withStroke(linewidth=2.6, foreground="white")])
