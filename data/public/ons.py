"""ONS geography and population for rcc's councils: boundaries (for maps) and children aged 0-17 (for rates).

Boundaries: ONS publishes each year's councils as a separate product whose code and name properties carry the
geography and the year (`CTYUA23CD`/`CTYUA23NM` for counties and unitary authorities in 2023, `UTLA22CD`,
`LAD23CD`; a council's own file may say `la_code`), in British National Grid or WGS84, as GeoJSON, GeoPackage or
shapefile. So the properties are found by pattern, the geometry is reprojected to WGS84 lon/lat (DATA.md), and
every code is checked against rcc's register: an unknown one is an error row, not a silent drop. A code that was
only renumbered (North Yorkshire E10000023 -> E06000065) is given as today's; a council drawn as several features
is one council (its pieces are dissolved into one geometry).

Population: the DfE's tidy copy of ONS mid-year estimates of children aged 0-17 (`time_period`,
`geographic_level`, `new_la_code`, `population_estimate`, ...), as published beside "Children looked after".
Council rows are kept under today's code (two codes that reach one code in the same year are added, with a
warning, since a file should never list one area twice); England's total is kept too, as la_code E92000001, so
national rates need no second file. The DfE's codes (`x` where a council's estimate is not given, as for
Bournemouth, Dorset and Poole before their 2019 reorganisation) are a missing population, never zero.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas
import numpy as np
import pandas as pd

from data.authorities import register
from data.problems import Problems
from data.public.tabular import find_header, header_key, read_grids, table_under
from data.schema import SUPPRESSION_CODES

WGS84 = "EPSG:4326"
ENGLAND = "E92000001"
# Property names for a council's code and name, best first: rcc's own, then upper-tier (counties and unitary
# authorities are the children's services authorities), then any ONS geography (LAD23CD, ...).
CODE_PROPERTIES = [r"la_code", r"(ctyua|utla|cua)\d{2}cd", r"[a-z]+\d{2}cd", r"code"]
NAME_PROPERTIES = [r"la_name", r"(ctyua|utla|cua)\d{2}nm", r"[a-z]+\d{2}nm", r"name"]
POPULATION_COLUMNS = ("population_estimate", "population_0_17", "population", "count", "value")
CHILDREN_0_17 = re.compile(r"\b0 ?(?:to|-) ?17\b|\bunder 18\b")


def read_boundaries(path: str | Path, problems: Problems | None = None) -> geopandas.GeoDataFrame:
    """Council boundaries as la_code, la_name and geometry in WGS84 (EPSG:4326)."""
    problems = problems if problems is not None else Problems()
    path = Path(path)
    frame = _read_geography(path, problems)
    if frame is None:
        return _no_boundaries()
    code_property = _property(frame.columns, CODE_PROPERTIES)
    if code_property is None:
        problems.add(path.name, None, "", "", "no council code property (la_code, CTYUA23CD, UTLA22CD, LAD23CD "
                     f"...) among {', '.join(map(str, frame.columns.drop('geometry')))}")
        return _no_boundaries()
    frame = _in_wgs84(frame, path.name, problems)
    if frame is None:
        return _no_boundaries()
    name_property = _property(frame.columns, NAME_PROPERTIES)
    codes = frame[code_property].astype(str).str.strip()
    known = _known_codes(codes, path.name, code_property, problems)
    reg = register()
    today = codes[known].map(reg.today_code)
    names = frame.loc[known, name_property].astype(str).str.strip() if name_property else today.map(reg.name)
    councils = geopandas.GeoDataFrame({"la_code": today, "la_name": names}, geometry=frame.geometry[known],
                                      crs=WGS84)
    if councils["la_code"].duplicated().any():
        councils = councils.dissolve(by="la_code", aggfunc="first", as_index=False)
    return councils[["la_code", "la_name", "geometry"]].sort_values("la_code").reset_index(drop=True)


def read_population(path: str | Path, problems: Problems | None = None) -> pd.DataFrame:
    """Children aged 0-17 per council and year: la_code, year, population_0_17 (NaN where not published)."""
    problems = problems if problems is not None else Problems()
    path = Path(path)
    table = _population_table(path, problems)
    if table is None:
        return _no_population()
    frame, file = table.frame, table.file
    columns = {header_key(c): c for c in reversed(frame.columns)}  # reversed: a repeated name means its first
    frame = _children_0_17(frame, columns, file, problems)
    rows = _population_rows(frame, columns, file, problems)
    year = pd.to_numeric(rows["year"].str.strip().str.extract(r"^(\d{4})$")[0], errors="coerce")
    problems.add_rows(file, rows.loc[year.isna(), "row"], columns["time_period"], rows.loc[year.isna(), "year"],
                      "not a year: row left out")
    rows = rows.assign(year=year)[year.notna()].astype({"year": int})
    rows["population_0_17"] = _counts(rows, file, columns, problems)
    _warn_merged_codes(rows, file, problems)
    out = rows.groupby(["la_code", "year"], as_index=False)["population_0_17"].sum(min_count=1)
    return out.astype({"population_0_17": float}).sort_values(["la_code", "year"]).reset_index(drop=True)


# --- boundaries -------------------------------------------------------------------------------------------

def _read_geography(path: Path, problems: Problems) -> geopandas.GeoDataFrame | None:
    if not path.exists():
        problems.add(str(path), None, "", "", "not found")
        return None
    try:
        frame = geopandas.read_file(path)
    except Exception as exc:  # the GDAL drivers raise their own error types for every kind of damage  # noqa: BLE001
        problems.add(path.name, None, "", "", f"cannot be read as GeoJSON, GeoPackage or shapefile "
                     f"({type(exc).__name__}: {exc})")
        return None
    if frame.empty:
        problems.add(path.name, None, "", "", "holds no boundaries")
        return None
    return frame


def _in_wgs84(frame: geopandas.GeoDataFrame, file: str, problems: Problems) -> geopandas.GeoDataFrame | None:
    """The frame in lon/lat; a file without a CRS is taken as lon/lat only when its coordinates can be."""
    if frame.crs is None:
        west, south, east, north = frame.total_bounds
        if -180 <= west <= east <= 180 and -90 <= south <= north <= 90:
            problems.add(file, None, "geometry", "", "no coordinate reference system: taken as WGS84 lon/lat",
                         severity="warning")
            return frame.set_crs(WGS84)
        problems.add(file, None, "geometry", "", "no coordinate reference system, and the coordinates are not "
                     "lon/lat: cannot place the boundaries (save the file with its CRS)")
        return None
    return frame if frame.crs.equals(WGS84) else frame.to_crs(WGS84)


def _property(columns, patterns: list[str]) -> str | None:
    """The first column matching the best pattern (case-insensitive); Welsh names (…NMW) never match."""
    for pattern in patterns:
        for column in columns:
            if re.fullmatch(pattern, str(column).strip().lower()):
                return column
    return None


# --- population -------------------------------------------------------------------------------------------

def _population_table(path: Path, problems: Problems):
    grids = read_grids(path, problems)
    for grid in grids:
        index = find_header(grid, _is_population_header)
        if index is not None:
            return table_under(grid, index, problems)
    if grids:
        problems.add(path.name, None, "", "", "no table with time_period, geographic_level, new_la_code and a "
                     "population column")
    return None


def _is_population_header(keys: list[str]) -> bool:
    names = set(keys)
    return {"time_period", "geographic_level"} <= names and bool(names & {"new_la_code", "la_code"}) \
        and bool(names & set(POPULATION_COLUMNS))


def _children_0_17(frame: pd.DataFrame, columns: dict[str, str], file: str, problems: Problems) -> pd.DataFrame:
    """Rows for children aged 0-17 when the file holds several age groups."""
    age = columns.get("age_group")
    if age is None:
        return frame
    wanted = frame[age].str.lower().str.contains(CHILDREN_0_17)
    if not wanted.any():
        problems.add(file, None, age, ";".join(pd.unique(frame[age])[:5]), "no age group for children aged 0 to 17")
    return frame[wanted]


def _population_rows(frame: pd.DataFrame, columns: dict[str, str], file: str, problems: Problems) -> pd.DataFrame:
    """la_code (today's), row, year and count text of the council rows with known codes and England's rows."""
    level = frame[columns["geographic_level"]].str.lower()
    councils, national = frame[level.str.contains("local authority")], frame[level.str.contains("national")]
    code_column = columns.get("new_la_code") or columns.get("la_code")
    codes = councils[code_column].str.strip()
    councils = councils[_known_codes(codes, file, code_column, problems, rows=councils["_row"])]
    count, year = _count_column(columns), columns["time_period"]
    return pd.DataFrame({
        "la_code": [*codes[councils.index].map(register().today_code), *[ENGLAND] * len(national)],
        "code_column": code_column,
        "row": [*councils["_row"], *national["_row"]],
        "year": [*councils[year], *national[year]],
        "text": [*councils[count], *national[count]],
    })


def _count_column(columns: dict[str, str]) -> str:
    return next(columns[c] for c in POPULATION_COLUMNS if c in columns)


def _counts(rows: pd.DataFrame, file: str, columns: dict[str, str], problems: Problems) -> pd.Series:
    """Numbers from text; the DfE's codes are missing values, anything else not a number is also a warning."""
    column = _count_column(columns)
    text = rows["text"].astype(str).str.strip()
    value = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    odd = value.isna() & ~text.str.lower().isin(SUPPRESSION_CODES)
    problems.add_rows(file, rows.loc[odd, "row"], column, text[odd], "not a number: read as missing",
                      severity="warning")
    return value


def _warn_merged_codes(rows: pd.DataFrame, file: str, problems: Problems) -> None:
    twice = rows.duplicated(["la_code", "year"], keep=False) & rows["la_code"].ne(ENGLAND)
    for (code, year), group in rows[twice].groupby(["la_code", "year"]):
        problems.add_rows(file, group["row"], group["code_column"].iloc[0], [code] * len(group),
                          f"{len(group)} rows reach {code} in "
                          f"{year} (codes renumbered since): their populations are added", severity="warning")


# --- shared -----------------------------------------------------------------------------------------------

def _known_codes(codes: pd.Series, file: str, column: str, problems: Problems, rows: pd.Series | None = None
                 ) -> pd.Series:
    """True for codes the register knows; each unknown one is an error naming its row (feature number for a
    boundary file, spreadsheet row for a table)."""
    reg = register()
    known = reg.known(codes)
    unknown = codes[~known]
    where = rows[~known] if rows is not None else pd.Series(np.flatnonzero(~known.to_numpy()) + 1, index=unknown.index)
    for code, row in zip(unknown, where):
        hint = reg.suggest(code)
        problems.add(file, int(row), column, code, "not a council code rcc knows (data/reference/authorities.csv)"
                     + (f"; {hint}" if hint else "") + ": left out")
    return known


def _no_boundaries() -> geopandas.GeoDataFrame:
    return geopandas.GeoDataFrame({"la_code": pd.Series(dtype=object), "la_name": pd.Series(dtype=object)},
                                  geometry=geopandas.GeoSeries([], crs=WGS84), crs=WGS84)


def _no_population() -> pd.DataFrame:
    return pd.DataFrame({"la_code": pd.Series(dtype=object), "year": pd.Series(dtype=int),
                         "population_0_17": pd.Series(dtype=float)})
