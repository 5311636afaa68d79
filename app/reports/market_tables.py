"""England's children's-homes market for a commissioner: one Excel workbook (native charts, so the figures can be
re-cut in Excel) and one printable HTML report (maps and line charts drawn by matplotlib as inline SVG, no scripts,
nothing fetched from the network), both from `optimiser.market.Market`.

The workbook is for working with the numbers, the report for reading and printing; both are built from the same
tables, shaped once here (`market_tables`), so they never disagree. A reader's own region (`highlight`: council ONS
codes) is drawn out against England: its own column in the headline, its own line on the charts, outlined on the
maps, its councils first in the tables. Every table names the Ofsted file and date and the DfE year it uses,
because the DfE's figure for a list year can be a year or more older than Ofsted's list.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from app.reports.charts import legend_beside, pyplot, svg, svg_with_legend_beside
from app.reports.page import REPORT_CSS, document, figure
from data.authorities import RCCS
from data.vocabulary import SECTOR_LABELS
from optimiser.market import Market

ENGLAND = "England"
NOT_PUBLISHED = "not published"
NO_BOUNDARIES = ("The maps need the ONS council boundaries file (counties and unitary authorities, GeoJSON or "
                 "GeoPackage), which was not given, so no map is drawn.")
# A heading's unit (the last bracket) says how its numbers read; anything else numeric is a count.
UNIT_KINDS = {"%": "share", "percentage points": "points", "places per child in homes": "ratio",
              "per 10,000 children aged 0-17": "rate", "HHI 0-10,000": "hhi", "year": "year"}
AREA_KINDS = {"england": "England", "region": "region", "rcc": "RCC pathfinder"}
SOURCE_NAMES = {"ofsted": "Ofsted, Children's social care data in England (provider level, 31 March)",
                "dfe": "DfE, Children looked after in England including adoptions (local-authority tables)",
                "ons": "ONS, council boundaries and mid-year population estimates (children aged 0-17)"}
COUNTS = ["homes", "places", "places_private", "places_local_authority", "places_voluntary",
          "places_health_authority"]
DFE_COLUMNS = ["children_looked_after", "children_in_homes", "children_placed_outside_la",
               "children_placed_over_20_miles"]
# Colours: England black, the reader's region red, the other regions muted (Tableau 10 without its red).
ENGLAND_COLOUR, HIGHLIGHT_COLOUR = "#1f1f1f", "#C00000"
REGION_COLOURS = ["#4E79A7", "#F28E2B", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F",
                  "#8CD17D", "#86BCB6", "#BAB0AC"]
MISSING_COLOUR = "#e3e3e3"
RATIO_CEILING = 3.0  # the sufficiency scale stops here: a few councils house many times their own children


@dataclass(frozen=True)
class MarketTables:
    first_year: int
    latest_year: int
    owners_first_year: int | None  # the first list that names owners (2017's does not)
    region_name: str  # "" without a highlighted region
    highlight: tuple[str, ...]  # the highlighted councils' codes found in the market
    highlight_names: frozenset[str]
    england: pd.DataFrame  # England's area row per year, indexed by year
    region: pd.DataFrame  # the highlighted region's, the same shape (empty without one)
    headline: pd.DataFrame  # measure, England, <region>, unit, source
    trend: pd.DataFrame  # year x England's and the region's homes, places, children in homes
    by_area: dict[str, pd.DataFrame]  # title -> year x area (England, regions, the highlighted region)
    region_councils: pd.DataFrame  # the highlighted councils, latest year
    councils_latest: pd.DataFrame  # every council, latest year, alphabetical
    lowest: pd.DataFrame  # the ten lowest sufficiency ratios
    council_years: pd.DataFrame  # every council x year with source columns, highlighted first
    owners: pd.DataFrame  # the largest owners now, with growth since the first list naming owners
    owners_all: pd.DataFrame  # every owner x year
    regions: pd.DataFrame  # England, regions and RCCs, latest year
    areas_years: pd.DataFrame  # the same, every year
    joiners: pd.DataFrame  # England and the region, per pair of lists
    joiners_councils: pd.DataFrame  # every council, per pair of lists
    sources: pd.DataFrame  # publication, file
    notes: tuple[str, ...]
    footnotes: dict[str, str]  # table -> the files and years it uses
    map_values: pd.DataFrame  # latest year: la_code, la_name, sufficiency_ratio, private_share


# --- the tables --------------------------------------------------------------------------------------------------

def market_tables(market: Market, highlight: Sequence[str] = ()) -> MarketTables:
    """Every table the workbook and the report show, with readable labels and a unit in every heading."""
    councils = _as_float(market.councils)
    areas = _as_float(market.areas)
    owners = _as_float(market.owners)
    years = sorted(councils["year"].unique())
    first, latest = int(years[0]), int(years[-1])
    now = councils[councils["year"].eq(latest)]
    known = set(councils["la_code"])
    codes = tuple(dict.fromkeys(c for c in highlight if c in known))
    unknown = tuple(c for c in highlight if c not in known)
    england = areas[areas["level"].eq("england")].set_index("year").sort_index()
    region_name, region = _highlighted_area(councils, areas, codes)
    owners_first = int(owners["year"].min()) if len(owners) else None
    changes = market.changes
    england_changes = changes[changes["level"].eq("england")]
    region_changes = _summed_changes(changes[changes["level"].eq("council") & changes["area_code"].isin(codes)])
    names = frozenset(now.loc[now["la_code"].isin(codes), "la_name"])
    footnotes = _footnotes(now, areas, owners, changes, latest, owners_first) | _trend_footnotes(councils)
    ordered = _highlighted_first(councils, codes)
    notes = [*market.notes, ("Blank cells and 'not published': the publication gives no figure (suppressed, "
                             "not yet published, or no children to divide by).")]
    if unknown:
        notes.append("Highlighted codes not among England's councils in these lists, left out: "
                     + ", ".join(unknown) + ".")
    return MarketTables(
        first_year=first, latest_year=latest, owners_first_year=owners_first, region_name=region_name,
        highlight=codes, highlight_names=names, england=england, region=region,
        headline=_headline(england, region, region_name, england_changes, region_changes, now, first, latest,
                           owners_first),
        trend=_trend(england, region, region_name, years),
        by_area=_by_area(areas, region, region_name, years),
        region_councils=_council_view(_by_name(now[now["la_code"].isin(codes)])),
        councils_latest=_council_view(_by_name(now)),
        lowest=_lowest(now),
        council_years=_council_years_view(ordered),
        owners=_owners_view(owners, latest, owners_first),
        owners_all=_owners_all_view(owners),
        regions=_areas_view(areas[areas["year"].eq(latest)], with_year=False),
        areas_years=_areas_view(areas, with_year=True),
        joiners=_joiners_view(england_changes, region_changes, region_name),
        joiners_councils=_joiners_councils_view(changes, councils, codes),
        sources=_sources_view(market.sources),
        notes=tuple(notes), footnotes=footnotes,
        map_values=now[["la_code", "la_name", "sufficiency_ratio", "private_share"]].reset_index(drop=True))


def _as_float(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable (Float64) columns as plain floats: pd.NA would print as '<NA>' and break comparisons."""
    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.api.extensions.ExtensionDtype) and \
                pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column]):
            frame[column] = frame[column].astype(float)
    return frame


def _by_name(councils: pd.DataFrame) -> pd.DataFrame:
    return councils.sort_values("la_name", key=lambda s: s.str.lower())


def _highlighted_first(councils: pd.DataFrame, codes: tuple[str, ...]) -> pd.DataFrame:
    order = councils.assign(_other=~councils["la_code"].isin(codes), _name=councils["la_name"].str.lower())
    return order.sort_values(["_other", "_name", "year"]).drop(columns=["_other", "_name"])


def _highlighted_area(councils: pd.DataFrame, areas: pd.DataFrame, codes: tuple[str, ...]) -> tuple[str, pd.DataFrame]:
    """The highlighted councils as an area, one row per year: the published region or RCC they make up when they
    do (its owner concentration included), else their sum (concentration needs every home, so it is left out)."""
    if not codes:
        return "", areas.iloc[0:0].set_index("year")
    wanted = set(codes)
    latest = councils[councils["year"].eq(councils["year"].max())]
    for row in areas.drop_duplicates("area_code").itertuples(index=False):
        members = (set(RCCS.get(row.area_code, ())) if row.level == "rcc" else
                   set(latest.loc[latest["region"].eq(row.area_name), "la_code"]) if row.level == "region" else
                   set(latest["la_code"]))
        if members == wanted:
            return row.area_name, areas[areas["area_code"].eq(row.area_code)].set_index("year").sort_index()
    name = "Highlighted councils" if len(codes) > 1 else latest.loc[latest["la_code"].eq(codes[0]), "la_name"].iloc[0]
    return name, _summed_councils(councils[councils["la_code"].isin(codes)])


def _summed_councils(councils: pd.DataFrame) -> pd.DataFrame:
    """Councils added up per year, as market_picture adds them: a DfE or ONS total only when no council's is
    missing, since a partial sum would understate the area."""
    rows = []
    for year, frame in councils.groupby("year"):
        row = {"year": year, "councils": len(frame), **{c: float(frame[c].sum()) for c in COUNTS}}
        for column in ("population_0_17", *DFE_COLUMNS):
            row[column] = float(frame[column].sum()) if frame[column].notna().all() else np.nan
        for column in DFE_COLUMNS:
            row[f"{column}_year"] = frame[f"{column}_year"].max()
        row |= {"owners": np.nan, "hhi": np.nan, "top_share": np.nan, "top3_share": np.nan, "top_owner_name": "",
                "source": frame["source"].iloc[0]}
        rows.append(row)
    table = pd.DataFrame(rows).set_index("year")
    table["private_share"] = _ratio(table["places_private"], table["places"])
    table["places_per_10k"] = _ratio(table["places"] * 10_000, table["population_0_17"])
    table["sufficiency_ratio"] = _ratio(table["places"], table["children_in_homes"])
    table["outside_la_share"] = _ratio(table["children_placed_outside_la"], table["children_looked_after"])
    table["over_20_miles_share"] = _ratio(table["children_placed_over_20_miles"], table["children_looked_after"])
    return table


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator.astype(float) / denominator.astype(float)).where(denominator > 0)


def _summed_changes(council_changes: pd.DataFrame) -> pd.DataFrame:
    numbers = ["homes_joined", "places_joined", "homes_left", "places_left", "private_joined", "net_homes"]
    if council_changes.empty:
        return council_changes.iloc[0:0]
    return council_changes.groupby(["from_year", "to_year"], as_index=False).agg(
        **{c: (c, "sum") for c in numbers}, source=("source", "first"))


# --- headline

def _headline(england: pd.DataFrame, region: pd.DataFrame, region_name: str, england_changes: pd.DataFrame,
              region_changes: pd.DataFrame, now: pd.DataFrame, first: int, latest: int,
              owners_first: int | None) -> pd.DataFrame:
    """The figures a board asks for first, England's beside the highlighted region's."""
    f, lt = first, latest
    src_latest, src_first = england.at[lt, "source"], england.at[f, "source"]
    dfe_year = year_text(england.at[lt, "children_in_homes_year"])
    outside_year = year_text(england.at[lt, "children_placed_outside_la_year"])
    distance_year = year_text(england.at[lt, "children_placed_over_20_miles_year"])
    owner_year = owners_first if owners_first is not None else lt
    previous = england_changes["from_year"].max() if len(england_changes) else None
    span_src = f"Ofsted {_ofsted_file(src_first)} and {_ofsted_file(src_latest)}"
    changes_src = f"each pair of consecutive Ofsted lists, {f} to {lt} (Joiners and leavers)"
    measures = [
        (f"Children's homes, 31 March {lt}", "homes", lambda a, c: value_at(a, lt, "homes"), src_latest),
        (f"Children's homes, 31 March {f}", "homes", lambda a, c: value_at(a, f, "homes"), src_first),
        (f"Growth in children's homes, {f} to {lt}", "%", lambda a, c: _growth(a, f, lt, "homes"), span_src),
        (f"Places, 31 March {lt}", "places", lambda a, c: value_at(a, lt, "places"), src_latest),
        (f"Places, 31 March {f}", "places", lambda a, c: value_at(a, f, "places"), src_first),
        (f"Growth in places, {f} to {lt}", "%", lambda a, c: _growth(a, f, lt, "places"), span_src),
        (f"Private share of places, {lt}", "%", lambda a, c: value_at(a, lt, "private_share"), src_latest),
        (f"Private share of places, {f}", "%", lambda a, c: value_at(a, f, "private_share"), src_first),
        (f"Change in the private share, {f} to {lt}", "percentage points",
         lambda a, c: 100 * (value_at(a, lt, "private_share") - value_at(a, f, "private_share")), span_src),
        (f"Places per 10,000 children aged 0-17, {lt}", "per 10,000 children aged 0-17",
         lambda a, c: value_at(a, lt, "places_per_10k"), f"{src_latest}; {_mode(now['population_source'])}"),
        (f"Children looked after in children's homes, DfE {dfe_year}", "children",
         lambda a, c: value_at(a, lt, "children_in_homes"), _dfe_source(now, "children_in_homes")),
        (f"Sufficiency ratio, {lt}: places per child looked after in a children's home", "places per child in homes",
         lambda a, c: value_at(a, lt, "sufficiency_ratio"), f"{src_latest}; {_dfe_source(now, 'children_in_homes')}"),
        (f"Children looked after placed outside their council, DfE {outside_year}", "%",
         lambda a, c: value_at(a, lt, "outside_la_share"), _dfe_source(now, "children_placed_outside_la")),
        (f"Children looked after placed over 20 miles from home, DfE {distance_year}", "%",
         lambda a, c: value_at(a, lt, "over_20_miles_share"), _dfe_source(now, "children_placed_over_20_miles")),
        (f"Owners of independent places (private, voluntary, health), {lt}", "owners",
         lambda a, c: value_at(a, lt, "owners"), src_latest),
        (f"Owner concentration of independent places, {lt}", "HHI 0-10,000", lambda a, c: value_at(a, lt, "hhi"),
         src_latest),
        (f"Owner concentration of independent places, {owner_year}", "HHI 0-10,000",
         lambda a, c: value_at(a, owner_year, "hhi"), england.at[owner_year, "source"]),
        (f"Top three owners' share of independent places, {lt}", "%", lambda a, c: value_at(a, lt, "top3_share"),
         src_latest),
        (f"Largest owner, {lt}", "name", lambda a, c: value_at(a, lt, "top_owner_name"), src_latest),
        (f"Largest owner's share of independent places, {lt}", "%", lambda a, c: value_at(a, lt, "top_share"),
         src_latest),
        (f"Homes that joined the register, {f} to {lt}", "homes", lambda a, c: _changes_sum(c, "homes_joined"),
         changes_src),
        (f"Homes that left the register, {f} to {lt}", "homes", lambda a, c: _changes_sum(c, "homes_left"),
         changes_src),
        (f"Net change in homes, {f} to {lt}", "homes", lambda a, c: _changes_sum(c, "net_homes"), changes_src),
    ]
    if previous is not None and previous != f:
        measures += [
            (f"Homes that joined, {previous} to {lt}", "homes",
             lambda a, c: _changes_sum(c[c["from_year"].eq(previous)], "homes_joined"), changes_src),
            (f"Homes that left, {previous} to {lt}", "homes",
             lambda a, c: _changes_sum(c[c["from_year"].eq(previous)], "homes_left"), changes_src)]
    rows = []
    for measure, unit, value, source in measures:
        row = {"measure": measure, ENGLAND: value(england, england_changes)}
        if region_name:
            row[region_name] = value(region, region_changes)
        rows.append(row | {"unit": unit, "source": source})
    return pd.DataFrame(rows)


def value_at(frame: pd.DataFrame, year: int, column: str):
    if year not in frame.index or column not in frame:
        return np.nan
    value = frame.at[year, column]
    return value if isinstance(value, str) else float(value) if pd.notna(value) else np.nan


def _growth(frame: pd.DataFrame, start: int, end: int, column: str) -> float:
    before = value_at(frame, start, column)
    return value_at(frame, end, column) / before - 1 if before and pd.notna(before) else np.nan


def _changes_sum(changes: pd.DataFrame, column: str) -> float:
    return float(changes[column].sum()) if len(changes) else np.nan


def _ofsted_file(source: str) -> str:
    """'Ofsted provider_at_march_2025.csv (31 March 2025)' -> 'provider_at_march_2025.csv'."""
    return source.removeprefix("Ofsted ").split(" (")[0]


def year_text(year) -> str:
    return str(int(year)) if pd.notna(year) else NOT_PUBLISHED


def _mode(values: pd.Series) -> str:
    values = values.dropna()
    values = values[values.astype(str).ne("")]
    return str(values.mode().iloc[0]) if len(values) else ""


def _file_of(source: str) -> str:
    """'la_cla_on_31_march_by_characteristics.csv (DfE LA table): ...' -> the file's name."""
    return source.split(" (")[0] if source else ""


def _dfe_source(now: pd.DataFrame, column: str) -> str:
    """The DfE year and file most councils' figure comes from, and how many councils' figure is older."""
    years = now[f"{column}_year"].dropna()
    if years.empty:
        return f"DfE: {NOT_PUBLISHED}"
    usual = int(years.mode().iloc[0])
    files = sorted({_file_of(s) for s in now.loc[now[f"{column}_year"].eq(usual), f"{column}_source"] if s})
    text = f"DfE {usual}, {', '.join(files)}"
    older = int((years < usual).sum())
    if older:
        text += f" (an earlier year for {older} council{'s' if older > 1 else ''}: see its DfE year)"
    return text


# --- over the years

def _trend(england: pd.DataFrame, region: pd.DataFrame, region_name: str, years: list) -> pd.DataFrame:
    """Per list year, England's and the region's homes, places and children in homes (the line charts' data)."""
    trend = pd.DataFrame({"list year, 31 March (year)": [int(y) for y in years]})
    for name, frame in ((ENGLAND, england), (region_name, region)):
        if not name:
            continue
        frame = frame.reindex(years)
        trend[f"{name}: children's homes (homes)"] = frame["homes"].to_numpy(dtype=float)
        trend[f"{name}: places (places)"] = frame["places"].to_numpy(dtype=float)
        trend[f"{name}: children looked after in children's homes (children)"] = frame[
            "children_in_homes"].to_numpy(dtype=float)
        trend[f"{name}: DfE year of that count (year)"] = frame["children_in_homes_year"].to_numpy(dtype=float)
        trend[f"{name}: sufficiency ratio (places per child in homes)"] = frame[
            "sufficiency_ratio"].to_numpy(dtype=float)
    return trend


BY_AREA = {"private_share": "Private share of places (%)",
           "hhi": "Owner concentration of independent places (HHI 0-10,000)",
           "top3_share": "Top three owners' share of independent places (%)"}


def _by_area(areas: pd.DataFrame, region: pd.DataFrame, region_name: str, years: list) -> dict[str, pd.DataFrame]:
    """year x area for the measures drawn region by region: England first, the regions, then the reader's region
    when it is not one of them. Years without owners stay blank (NaN), never zero."""
    out = {}
    shown = areas[areas["level"].isin(["england", "region"])]
    order = [ENGLAND] + sorted(shown.loc[shown["level"].eq("region"), "area_name"].unique())
    for column, title in BY_AREA.items():
        wide = shown.pivot_table(index="year", columns="area_name", values=column, aggfunc="first", dropna=False)
        wide = wide.reindex(index=years, columns=order)
        if region_name and region_name not in wide:
            wide[region_name] = region[column].reindex(years).to_numpy(dtype=float) if column in region else np.nan
        wide.index = [int(y) for y in wide.index]
        out[title] = wide.astype(float)
    return out


# --- councils

def _council_view(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "council": rows["la_name"].to_numpy(),
        "region": rows["region"].to_numpy(),
        "children's homes (homes)": rows["homes"].to_numpy(dtype=float),
        "places (places)": rows["places"].to_numpy(dtype=float),
        "private share of places (%)": rows["private_share"].to_numpy(dtype=float),
        "places (per 10,000 children aged 0-17)": rows["places_per_10k"].to_numpy(dtype=float),
        "children the council looks after in children's homes (children)": rows["children_in_homes"].to_numpy(
            dtype=float),
        "DfE year of that count (year)": rows["children_in_homes_year"].to_numpy(dtype=float),
        "sufficiency ratio (places per child in homes)": rows["sufficiency_ratio"].to_numpy(dtype=float),
        "children looked after placed outside the council (%)": rows["outside_la_share"].to_numpy(dtype=float),
        "children looked after placed over 20 miles from home (%)": rows["over_20_miles_share"].to_numpy(
            dtype=float)})


def _lowest(now: pd.DataFrame, count: int = 10) -> pd.DataFrame:
    rows = now[now["sufficiency_ratio"].notna()].sort_values(["sufficiency_ratio", "la_name"]).head(count)
    return pd.DataFrame({
        "council": rows["la_name"].to_numpy(), "region": rows["region"].to_numpy(),
        "places (places)": rows["places"].to_numpy(dtype=float),
        "children the council looks after in children's homes (children)": rows["children_in_homes"].to_numpy(
            dtype=float),
        "DfE year of that count (year)": rows["children_in_homes_year"].to_numpy(dtype=float),
        "sufficiency ratio (places per child in homes)": rows["sufficiency_ratio"].to_numpy(dtype=float)})


def _council_years_view(rows: pd.DataFrame) -> pd.DataFrame:
    """Every council x year for the workbook, each DfE and ONS figure with its own year and file."""
    view = {"council": rows["la_name"], "ONS code": rows["la_code"], "region": rows["region"],
            "list year, 31 March (year)": rows["year"], "children's homes (homes)": rows["homes"],
            "places (places)": rows["places"], "private places (places)": rows["places_private"],
            "voluntary places (places)": rows["places_voluntary"],
            "council-run places (places)": rows["places_local_authority"],
            "health authority places (places)": rows["places_health_authority"],
            "private share of places (%)": rows["private_share"],
            "children aged 0-17 (children)": rows["population_0_17"],
            "places (per 10,000 children aged 0-17)": rows["places_per_10k"],
            "population source": rows["population_source"]}
    for column, label in (("children_looked_after", "children looked after"),
                          ("children_in_homes", "children looked after in children's homes"),
                          ("children_placed_outside_la", "children placed outside the council"),
                          ("children_placed_over_20_miles", "children placed over 20 miles from home")):
        view[f"{label} (children)"] = rows[column]
        view[f"{label}: DfE year (year)"] = rows[f"{column}_year"]
        view[f"{label}: source"] = rows[f"{column}_source"]
    view |= {"sufficiency ratio (places per child in homes)": rows["sufficiency_ratio"],
             "children looked after placed outside the council (%)": rows["outside_la_share"],
             "children looked after placed over 20 miles from home (%)": rows["over_20_miles_share"],
             "Ofsted source": rows["source"]}
    return pd.DataFrame({k: v.to_numpy() for k, v in view.items()})


# --- owners, areas, joiners, sources

def _owners_view(owners: pd.DataFrame, latest: int, first: int | None) -> pd.DataFrame:
    if owners.empty or first is None:
        return pd.DataFrame(columns=["owner"])
    top = owners[owners["year"].eq(latest) & owners["largest_now"]].sort_values(["rank", "owner"])
    growth = top["places"] - top["places_first_year"]
    return pd.DataFrame({
        "rank in England (rank)": top["rank"].to_numpy(dtype=float),
        "owner": top["owner"].to_numpy(), "sector": top["sector"].map(SECTOR_LABELS).fillna(top["sector"]).to_numpy(),
        f"children's homes, {latest} (homes)": top["homes"].to_numpy(dtype=float),
        f"places, {latest} (places)": top["places"].to_numpy(dtype=float),
        f"share of England's places, {latest} (%)": top["share"].to_numpy(dtype=float),
        f"councils with its homes, {latest} (councils)": top["councils"].to_numpy(dtype=float),
        f"children's homes, {first} (homes)": top["homes_first_year"].to_numpy(dtype=float),
        f"places, {first} (places)": top["places_first_year"].to_numpy(dtype=float),
        f"growth in places since {first} (places)": growth.to_numpy(dtype=float),
        f"growth in places since {first} (%)": _ratio(growth, top["places_first_year"]).to_numpy(dtype=float)})


def _owners_all_view(owners: pd.DataFrame) -> pd.DataFrame:
    if owners.empty:
        return pd.DataFrame(columns=["owner"])
    rows = owners.sort_values(["year", "rank", "owner"], ascending=[False, True, True])
    return pd.DataFrame({
        "list year, 31 March (year)": rows["year"].to_numpy(dtype=float),
        "rank in England (rank)": rows["rank"].to_numpy(dtype=float), "owner": rows["owner"].to_numpy(),
        "sector": rows["sector"].map(SECTOR_LABELS).fillna(rows["sector"]).to_numpy(),
        "children's homes (homes)": rows["homes"].to_numpy(dtype=float),
        "places (places)": rows["places"].to_numpy(dtype=float),
        "share of England's places (%)": rows["share"].to_numpy(dtype=float),
        "councils with its homes (councils)": rows["councils"].to_numpy(dtype=float),
        "Ofsted source": rows["source"].to_numpy()})


def _areas_view(areas: pd.DataFrame, with_year: bool) -> pd.DataFrame:
    rows = areas.assign(_order=areas["level"].map({"england": 0, "region": 1, "rcc": 2}))
    rows = rows.sort_values(["_order", "area_name", "year"])
    view = {"area": rows["area_name"], "kind of area": rows["level"].map(AREA_KINDS)}
    if with_year:
        view["list year, 31 March (year)"] = rows["year"]
    view |= {"councils (councils)": rows["councils"], "children's homes (homes)": rows["homes"],
             "places (places)": rows["places"], "private share of places (%)": rows["private_share"],
             "places (per 10,000 children aged 0-17)": rows["places_per_10k"],
             "children looked after in children's homes (children)": rows["children_in_homes"],
             "DfE year of that count (year)": rows["children_in_homes_year"],
             "sufficiency ratio (places per child in homes)": rows["sufficiency_ratio"],
             "children looked after placed outside their council (%)": rows["outside_la_share"],
             "children looked after placed over 20 miles from home (%)": rows["over_20_miles_share"],
             "owners of independent places (owners)": rows["owners"],
             "owner concentration (HHI 0-10,000)": rows["hhi"],
             "top three owners' share of independent places (%)": rows["top3_share"],
             "largest owner": rows["top_owner_name"].fillna(""),
             "largest owner's share of independent places (%)": rows["top_share"]}
    if with_year:
        view["Ofsted source"] = rows["source"]
    return pd.DataFrame({k: v.to_numpy() for k, v in view.items()})


JOINER_COLUMNS = {"homes_joined": "homes that joined (homes)", "places_joined": "places in homes that joined (places)",
                  "homes_left": "homes that left (homes)", "places_left": "places in homes that left (places)",
                  "net_homes": "net change in homes (homes)",
                  "private_joined": "private homes among those that joined (homes)"}


def _joiners_rows(changes: pd.DataFrame, area: pd.Series | str) -> pd.DataFrame:
    view = {"area": area if isinstance(area, str) else area.to_numpy(),
            "from the list of 31 March (year)": changes["from_year"].to_numpy(dtype=float),
            "to the list of 31 March (year)": changes["to_year"].to_numpy(dtype=float)}
    view |= {label: changes[column].to_numpy(dtype=float) for column, label in JOINER_COLUMNS.items()}
    view["Ofsted source"] = changes["source"].to_numpy()
    return pd.DataFrame(view)


def _joiners_view(england: pd.DataFrame, region: pd.DataFrame, region_name: str) -> pd.DataFrame:
    parts = [_joiners_rows(england.sort_values("from_year"), ENGLAND)]
    if region_name and len(region):
        parts.append(_joiners_rows(region.sort_values("from_year"), region_name))
    return pd.concat(parts, ignore_index=True)


def _joiners_councils_view(changes: pd.DataFrame, councils: pd.DataFrame, codes: tuple[str, ...]) -> pd.DataFrame:
    rows = changes[changes["level"].eq("council")]
    names = councils.drop_duplicates("la_code", keep="last").set_index("la_code")["la_name"]
    rows = rows.assign(_name=rows["area_code"].map(names).fillna(rows["area_code"]),
                       _other=~rows["area_code"].isin(codes))
    rows = rows.sort_values(["_other", "_name", "from_year"])
    return _joiners_rows(rows, rows["_name"]).rename(columns={"area": "council"})


def _sources_view(sources: dict) -> pd.DataFrame:
    rows = [(SOURCE_NAMES.get(key, key), file) for key, files in sources.items() for file in files]
    return pd.DataFrame(rows, columns=["publication", "file"])


def _trend_footnotes(councils: pd.DataFrame) -> dict[str, str]:
    """The files behind the line charts: every Ofsted list, and the DfE files the councils' children in homes come
    from over the years (the older statistical releases before the tidy tables)."""
    lists = "; ".join(dict.fromkeys(councils.sort_values("year")["source"].dropna()))
    dfe = sorted({_file_of(s) for s in councils["children_in_homes_source"].dropna() if s})
    return {"trend_ofsted": f"Sources: {lists}.",
            "trend_dfe": f"DfE: {', '.join(dfe) if dfe else NOT_PUBLISHED}; the DfE's own England and regional "
                         "figures where it publishes them."}


def _footnotes(now: pd.DataFrame, areas: pd.DataFrame, owners: pd.DataFrame, changes: pd.DataFrame, latest: int,
               owners_first: int | None) -> dict[str, str]:
    ofsted = _mode(now["source"])
    councils = (f"{ofsted}; {_dfe_source(now, 'children_in_homes')}; outside-council and 20-mile shares "
                f"{_dfe_source(now, 'children_placed_outside_la')}; population {_mode(now['population_source'])}.")
    latest_areas = areas[areas["year"].eq(latest)]
    region_dfe = year_text(latest_areas["children_in_homes_year"].max()) if len(latest_areas) else NOT_PUBLISHED
    first_owner_source = (_mode(owners.loc[owners["year"].eq(owners_first), "source"])
                          if owners_first is not None else "")
    return {
        "councils": "Sources: " + councils,
        "regions": (f"Sources: {ofsted}; DfE {region_dfe}: the DfE's own regional and national figures where it "
                    "publishes them, else the sum of the councils' (left blank when a council's is suppressed)."),
        "owners": (f"Sources: {ofsted} and {first_owner_source}. Owners are Ofsted's 'organisation which owns the "
                   "provider'; a 0 in the first year means no home under that owner and provider ID then (it may "
                   "have been listed under another company)."),
        "joiners": ("Sources: consecutive Ofsted lists (" + "; ".join(dict.fromkeys(changes["source"])) + "). "
                    "A home joined when its URN is in the later list and not the earlier, left the reverse."),
    }


# --- formatting shared by the workbook and the report -----------------------------------------------------------

def heading_kind(heading: str) -> str:
    """How a column's numbers read, from the unit in its heading's last bracket."""
    match = re.search(r"\(([^()]*)\)\s*$", str(heading))
    return UNIT_KINDS.get(match.group(1), "count") if match else "count"


def is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def is_missing(value) -> bool:
    return value is None or value is pd.NA or (is_number(value) and np.isnan(value)) or \
        (isinstance(value, str) and value.strip().lower() in ("", "nan", "none", "<na>"))


def as_text(value, kind: str, missing: str = "") -> str:
    """A value as a commissioner reads it: 4,009 / 76.2% / 1.81 / +14.4; missing is blank or 'not published'."""
    if is_missing(value):
        return missing
    if not is_number(value):
        return str(value)
    value = float(value)
    return {"share": f"{value:.1%}", "points": f"{value:+.1f}", "ratio": f"{value:.2f}", "rate": f"{value:.1f}",
            "year": f"{value:.0f}", "hhi": f"{value:,.0f}"}.get(kind, f"{value:,.0f}")


def subtitle(t: MarketTables) -> str:
    text = (f"Ofsted's provider lists at 31 March, {t.first_year} to {t.latest_year}; the DfE's children looked "
            "after; ONS populations.")
    if t.region_name:
        text += f" Highlighted: {t.region_name} ({len(t.highlight)} councils), shaded in the tables."
    return text


def area_colour(area: str, region_name: str, index: int) -> str:
    if area == ENGLAND:
        return ENGLAND_COLOUR
    if area == region_name:
        return HIGHLIGHT_COLOUR
    return REGION_COLOURS[(index - 1) % len(REGION_COLOURS)]


# --- the report --------------------------------------------------------------------------------------------------

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
