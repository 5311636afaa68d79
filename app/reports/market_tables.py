"""England's children's-homes market for a commissioner, the tables: every table of the Excel workbook
(`market_workbook`: market.xlsx, native charts, so the figures can be re-cut in Excel) and of the printable HTML report
(`market_html`: market.html, maps and line charts drawn by matplotlib as inline SVG, no scripts, nothing fetched
from the network), both from `optimiser.market.Market`, and the formatting both writers share.

The workbook is for working with the numbers, the report for reading and printing; both are built from the same
tables, shaped once here (`market_tables`), so they never disagree. A reader's own region (`highlight`: council ONS
codes) is drawn out against England: its own column in the headline, its own line on the charts, outlined on the
maps, its councils first in the tables. Every table names the Ofsted file and date and the DfE year it uses,
because the DfE's figure for a list year can be a year or more older than Ofsted's list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.authorities import RCCS
from data.vocabulary import PLACEMENT_GROUP_LABELS, SECTOR_LABELS
from optimiser.flags.concentration import market_name
from optimiser.market import Market

ENGLAND = "England"
NOT_PUBLISHED = "not published"
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
    replace: pd.DataFrame  # owners meeting the difficult-to-replace rule's market part, England, latest list
    replace_note: str  # what that table is and what the public data cannot say ("" without it)
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
        replace=_replace_view(market.difficult_to_replace),
        replace_note=next((n for n in market.notes if n.startswith("Difficult to replace")), ""),
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


def _replace_view(table: pd.DataFrame) -> pd.DataFrame:
    """optimiser.national's table with readable headings, the rule's parts in the order it tests them."""
    if table.empty:
        return pd.DataFrame(columns=["owner"])
    kind = {m: market_name(m) for m in PLACEMENT_GROUP_LABELS}
    return pd.DataFrame({
        "owner": table["owner_name"].to_numpy(),
        "sector": table["sector"].map(SECTOR_LABELS).fillna(table["sector"]).to_numpy(),
        "homes (homes)": table["homes"].to_numpy(dtype=float),
        "independent places (places)": table["places"].to_numpy(dtype=float),
        "share of England's independent places in children's homes (%)":
            table["england_share_childrens_home"].to_numpy(dtype=float),
        "share of England's independent places in secure children's homes (%)":
            table["england_share_secure"].to_numpy(dtype=float),
        "share of England's independent places in supported accommodation (%)":
            table["england_share_supported"].to_numpy(dtype=float),
        "region where its share is highest": table["region"].to_numpy(),
        "kind of home there": table["region_market"].map(kind).fillna("").to_numpy(),
        "share of that region's independent places (%)": table["region_share"].to_numpy(dtype=float),
        "council where its share is highest": table["council"].to_numpy(),
        "kind of home in that council": table["council_market"].map(kind).fillna("").to_numpy(),
        "share of that council's independent places (%)": table["council_share"].to_numpy(dtype=float),
        "councils with its places (councils)": table["councils_with_places"].to_numpy(dtype=float),
        "its councils, most places first": table["councils"].to_numpy(),
        "regions with its places (regions)": table["regions_with_places"].to_numpy(dtype=float),
        "council holding most of its places": table["geo_council"].to_numpy(),
        "share of its places in that council (%)": table["geo_share"].to_numpy(dtype=float),
        "meets a region's share": table["meets_region_share"].map({True: "yes", False: "no"}).to_numpy(),
        "meets a council's share": table["meets_council_share"].map({True: "yes", False: "no"}).to_numpy(),
        "evidence": table["evidence"].to_numpy(),
        "not applied": table["not_applied"].to_numpy(),
        "Ofsted source": table["source"].to_numpy()})


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
    """The line beneath both documents' titles: the publications and years, and the highlighted region."""
    text = (f"Ofsted's provider lists at 31 March, {t.first_year} to {t.latest_year}; the DfE's children looked "
            "after; ONS populations.")
    if t.region_name:
        text += f" Highlighted: {t.region_name} ({len(t.highlight)} councils), shaded in the tables."
    return text


def area_colour(area: str, region_name: str, index: int) -> str:
    """An area's line on both documents' charts: England black, the highlighted region red, the others muted."""
    if area == ENGLAND:
        return ENGLAND_COLOUR
    if area == region_name:
        return HIGHLIGHT_COLOUR
    return REGION_COLOURS[(index - 1) % len(REGION_COLOURS)]
