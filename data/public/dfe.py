"""The DfE's "Children looked after in England including adoptions", local-authority tables, every layout the
publication has had, read into one long series: children looked after at 31 March by placement group, starts,
ceases, and children placed outside their council or more than 20 miles from home, per council (and England and
its regions) per year.

The publication has changed shape three times, and the copies people keep add two more:

- Tidy files (2021 on): one row per area x year x breakdown, columns `time_period`, `geographic_level`,
  `new_la_code`, `old_la_code`, a pair of descriptor columns (`cla_group` / `characteristic`; `characteristic` /
  `breakdown`; or one `population_type`) and a count (`number` or `children_count`). Characteristics are matched
  by meaning (regular expressions on the words), never by exact wording, because the wording changes ("Secure
  homes and children's homes", "Independent and semi-independent living arrangements/supported accommodation").
  National and regional figures are rounded to the nearest 10; council figures are exact.
- SFR wide files (2011-2017, `SFR.._CLA<YEAR>.csv`): one row per area, one column per figure (`CLA_Mar2015`,
  `CLA_Fost`, `CLA_Secure`, ...), explained by the metadata document beside each. Names differ in case and trailing
  spaces between years (`CLA_Outbound`, `CLA_OutBound`, `CLA_NetGain `); 2014 has empty trailing columns; cells
  hold `x` (1 to 5 children, or the next smallest), `..` (not available) and, in 2013, an Excel `#VALUE!`. Inner
  and Outer London repeat London's region code E12000007 and are left out (London is there once, whole). The
  2016 file calls the "other placements" column `CLA_Miss` (its metadata says `CLA_OthPl`): both are `other`.
  `CLA_Secure` is "secure units, children's homes and hostels": before 2018 the DfE counted semi-independent
  hostels (SSDA903 H5) here, which later years count as independent living; `source` says so on every such row.
- The 2010 file (`SFR27_2010_March.csv`) has one column per SSDA903 placement code (`MarPlace_<CODE>_2010`) and
  identifies councils by the DfE's 3-digit LA number (`geog_c`), regions by a letter. Its placement values are in
  alphabetical order of code while its header lists the codes in the metadata's order (Q1, Q2, A3, ...): read as
  labelled, England would have 170 children in foster care out of 64,400. The order is told from the data:
  foster care has held most children looked after in every year on record, so the order under which the foster
  columns hold most children is the one used, and a warning says so.
- A DfE freedom-of-information answer (2024/0040813): tidy rows under title rows, about children in children's
  homes only. Its "placed outside the local authority boundary" is `placed_outside_la` for `childrens_home`; its
  percentage (of the council's children in children's homes) gives the number in children's homes where only
  one whole number fits the published rounding (`looked_after`/`childrens_home`, the years 2018-2020 the other
  tables miss; children's homes here exclude secure homes, which the tidy files include). Its net-gain file
  holds no measure rcc keeps (a net gain is neither a stock nor a flow of the council's own children).
- An assembled 2011-2022 series (`la_placements_2011_2022_goodair.csv`, one row per council x year, columns
  `CLA_Mar`, `CLA_Fost`, `CLA_Placed more than 20 miles from home`, ...; `NA` where it has nothing), the only
  source for 2018-2020 totals and foster placements.

Placement groups (schema.PUBLIC_GROUPS), by layout (tidy 2021 on / SFR 2011-2017 / 2010 SSDA903 PLACE codes):

- foster: Foster placements / CLA_Fost / Q1, Q2
- childrens_home: Secure homes and children's homes / CLA_Secure (with hostels, see above) / K1, K2
- independent_living: Independent and semi-independent living arrangements/supported accommodation / CLA_Ocom
  (other placements in the community) / H5, P2 (H5, semi-independent accommodation not subject to children's
  homes regulations, is where the tidy files and DATA.md put it, not where the 2011-2017 SFRs did)
- with_parents: Placed with parents or other person with parental responsibility / CLA_Parent / P1
- other: everything else: placed for adoption + residential schools + other residential settings + other
  placements / CLA_Adopt + CLA_Ores + CLA_RSch + CLA_Miss + CLA_OthPl / A3-A6, P3, R1, R2, R3, R5, S1, M1-M3, Z1

A group made of several figures is their sum; when any of them is suppressed the sum is missing, with that
figure's code as its status (a suppressed 1-5 is never read as 0).

Inner and Outer London (E13 codes in the tidy files and the FOI answer, London's own E12000007 in the SFRs) are
halves of London, which every layout also gives whole: they are left out so regions add up to England.

Where several files give the same figure, the tidy files win, then the SFR files, then the FOI answer, then the
assembled series; within one rank a published number wins over a code, and a headline table (the number and rate
per 10,000 children) over a breakdown's total. Councils are ONS codes: a code that was only renumbered is followed
to today's (Gateshead E08000020 is E08000037), a split or merged authority keeps its own (Northamptonshire
E10000021); a DfE number is looked up in the register as it was on 31 March of the year. An unknown code or number
is an error row in the issues, never a silent drop.

Files are recognised by their columns, never their names, so other years of the same publications read too.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from data.authorities import register
from data.problems import Problems
from data.public.tabular import (
    HEADER_SEARCH_ROWS,
    WORKBOOK_SUFFIXES,
    clean_header,
    decode,
    find_header,
    header_key,
    read_grids,
    sniff_delimiter,
    table_under,
    year_in,
)
from data.schema import CLA_ANNUAL, SUPPRESSION_CODES

ENGLAND = "E92000001"
TABLE_COLUMNS = ["level", "area_code", "area_name", "year", "measure", "group", "value", "status", "source"]
KEY = ["level", "area_code", "year", "measure", "group"]
DATA_SUFFIXES = (".csv", *WORKBOOK_SUFFIXES)
CODES = {code for code in SUPPRESSION_CODES if code != "not_published"}
NOT_PUBLISHED = "not_published"

# Precedence: lower wins.
TIDY, SFR, FOI, ASSEMBLED = 0, 1, 2, 3
TIER_LABELS = {TIDY: "DfE LA table", SFR: "DfE SFR LA underlying data", FOI: "DfE FOI answer",
               ASSEMBLED: "assembled 2011-2022 series (BenGoodair)"}
HEADLINE, BREAKDOWN = 0, 1  # priority within a rank: a headline table over a breakdown's total

# The tidy files' descriptor columns (the first present is the breakdown, the second its item) and count columns.
DESCRIPTOR_COLUMNS = ("cla_group", "population_type", "characteristic", "breakdown", "placement_stability")
COUNT_COLUMNS = ("number", "children_count", "count", "value")
PERCENT_COLUMNS = ("percentage", "children_percent", "percent")

# Placement wording -> group; first match wins (adoption and residential schools before "foster" and "home",
# since "placed for adoption with current foster carer" and "residential school" hold those words).
PLACEMENT_PATTERNS = [
    (r"adopt", "other"),
    (r"residential school", "other"),
    (r"secure|children'?s home", "childrens_home"),
    (r"foster", "foster"),
    (r"independent|supported (accommodation|lodgings)|hostel", "independent_living"),
    (r"parent", "with_parents"),
]
TOTAL = re.compile(r"(total|all)( children.*)?")
# A headline table's one descriptor names its population ("Children looked after on 31 March each year").
HEADLINE_PATTERNS = [(r"looked after (on|at) 31 march", "looked_after"),
                     (r"\bstart(ing|ed)? to be looked after", "started"),
                     (r"\bceas(ing|ed)? to be looked after", "ceased")]

# SFR 2011-2017 wide columns (lower case) -> (measure, group, what the metadata says the column is).
SFR_COLUMNS = [
    (r"cla_mar\d{4}", "looked_after", "all", "CLA_Mar (children looked after at 31 March)"),
    (r"cla_fost", "looked_after", "foster", "CLA_Fost (foster placements)"),
    (r"cla_secure", "looked_after", "childrens_home",
     "CLA_Secure (secure units, children's homes and hostels: before 2018 semi-independent hostels are included)"),
    (r"cla_ocom", "looked_after", "independent_living", "CLA_Ocom (other placements in the community)"),
    (r"cla_parent", "looked_after", "with_parents", "CLA_Parent (placed with parents)"),
    (r"cla_adopt", "looked_after", "other", "CLA_Adopt (placed for adoption)"),
    (r"cla_ores", "looked_after", "other", "CLA_Ores (other residential settings)"),
    (r"cla_rsch", "looked_after", "other", "CLA_RSch (residential schools)"),
    (r"cla_miss", "looked_after", "other", "CLA_Miss (missing from placement; other placements in 2016)"),
    (r"cla_othpl", "looked_after", "other", "CLA_OthPl (other placements)"),
    (r"cla_outbound", "placed_outside_la", "all", "CLA_OutBound (placed outside the LA boundary)"),
    (r"cla_(in|out)la_gt20", "placed_over_20_miles", "all",
     "CLA_InLA_GT20 + CLA_OutLA_GT20 (placed over 20 miles from home)"),
    (r"cla_started\d{4}", "started", "all", "CLA_started (started to be looked after)"),
    (r"cla_ceased?\d{4}", "ceased", "all", "CLA_ceased (ceased to be looked after)"),
]
SFR_YEAR_COLUMN = re.compile(r"cla_(mar|started|ceased?)(\d{4})")

# SFR 2010: SSDA903 placement codes -> group (the rest are "other").
PLACE_GROUPS = {"Q1": "foster", "Q2": "foster", "K1": "childrens_home", "K2": "childrens_home",
                "H5": "independent_living", "P2": "independent_living", "P1": "with_parents"}
PLACE_COLUMN = re.compile(r"marplace_([a-z0-9]+)_(\d{4})")
PLACE_TOTALS = [(re.compile(r"martotal_(\d{4})"), "looked_after"), (re.compile(r"starttotal_(\d{4})"), "started"),
                (re.compile(r"ceasedtotal_(\d{4})"), "ceased")]
FOSTER_MAJORITY = 0.5  # foster care has held well over half of England's children looked after every year

# The assembled series' columns -> (measure, group, description).
ASSEMBLED_COLUMNS = [
    (r"cla_mar", "looked_after", "all", "CLA_Mar (children looked after at 31 March)"),
    (r"cla_fost", "looked_after", "foster", "CLA_Fost (foster placements)"),
    (r"cla_outbound", "placed_outside_la", "all", "CLA_OutBound (placed outside the LA boundary)"),
    (r"cla_placed (more than|over) 20 miles.*", "placed_over_20_miles", "all", "placed more than 20 miles from home"),
]

COMPONENT_COLUMNS = ["level", "code", "code_column", "name", "year", "measure", "group", "part", "text", "row",
                     "column"]


@dataclass(frozen=True)
class DfeSeries:
    """The DfE's LA tables as one series (`table`, one row per area x year x measure x group) with the issues
    found reading them and the files read."""

    table: pd.DataFrame  # TABLE_COLUMNS; value NaN when not published, status '' or a SUPPRESSION_CODES key
    issues: pd.DataFrame
    files: tuple[str, ...]

    def for_councils(self, codes) -> pd.DataFrame:
        """The council rows for these councils (old codes of renumbered councils accepted) as CLA_ANNUAL's
        columns, which is what a region folder stores."""
        reg = register()
        wanted = {reg.today_code(str(code).strip()) for code in codes}
        rows = self.table[self.table["level"].eq("la") & self.table["area_code"].isin(wanted)]
        out = rows.rename(columns={"area_code": "la_code"})[CLA_ANNUAL.column_names]
        return out.sort_values(["la_code", "year", "measure", "group"]).reset_index(drop=True)


@dataclass(frozen=True)
class _Sheet:
    """A table found in a file: the text cells under its header (plus `_row`), and the title rows above it."""

    file: str
    layout: str
    title: str
    frame: pd.DataFrame


def read_dfe(dfe_dir: str | Path, problems: Problems | None = None) -> DfeSeries:
    """Every table of the publication in the folder (and its subfolders), as one series."""
    problems = problems if problems is not None else Problems()
    folder = Path(dfe_dir)
    if not folder.is_dir():
        problems.add(str(folder), None, "", "", "not found: give the folder holding the DfE's files")
        return DfeSeries(_empty_table(), problems.table(), ())
    cells, files = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in DATA_SUFFIXES):
        name = path.relative_to(folder).as_posix()
        sheets = _sheets(path, name, problems)
        if sheets:
            files.append(name)
        for sheet in sheets:
            cells.append(_cells(sheet, problems))
    cells = [c for c in cells if len(c)]
    table = _choose(pd.concat(cells, ignore_index=True)) if cells else _empty_table()
    return DfeSeries(table, problems.table(), tuple(files))


# --- finding tables ---------------------------------------------------------------------------------------

def _layout(keys: list[str]) -> str | None:
    """Which of the publication's layouts a header row is, from its column names (lower case)."""
    names = set(keys)
    if {"time_period", "geographic_level"} <= names and names & set(DESCRIPTOR_COLUMNS) \
            and names & set(COUNT_COLUMNS):
        return "tidy"
    has_geography = bool(names & {"new_geog_code", "geog_c"})
    place_layout = [PLACE_COLUMN, *(pattern for pattern, _ in PLACE_TOTALS)]
    if has_geography and any(pattern.fullmatch(k) for k in keys for pattern in place_layout):
        return "sfr_place"
    if has_geography and "year" not in names and any(SFR_YEAR_COLUMN.fullmatch(k) for k in keys):
        return "sfr_wide"
    if "new_geog_code" in names and "year" in names and "cla_mar" in names:
        return "assembled"
    return None


def _sheets(path: Path, name: str, problems: Problems) -> list[_Sheet]:
    """The tables in a file that are layouts of this publication; a file that holds none is a warning."""
    if path.suffix.lower() == ".csv":
        sheets = _csv_sheets(path, name, problems)
    else:
        grids = read_grids(path, problems)
        sheets = [s for grid in grids if (s := _grid_sheet(grid, problems))] if grids else None
    if sheets is not None and not sheets:
        problems.add(name, None, "", "", "holds no table of the DfE's children looked after by council that rcc "
                     "reads (no time_period/geographic_level breakdown, SFR CLA_ columns or CLA_Mar series): "
                     "skipped", severity="warning")
    return sheets or []


def _csv_sheets(path: Path, name: str, problems: Problems) -> list[_Sheet] | None:
    """A CSV file's table; the big tidy files are parsed by pandas, files with title rows by the tolerant reader.
    None when the file cannot be read at all (the reason is already an issue)."""
    data = path.read_bytes()
    if not data.strip():
        problems.add(name, None, "", "", "the file is empty")
        return None
    text, _ = decode(data)
    delimiter = sniff_delimiter(text)
    try:
        head = list(itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
                                     HEADER_SEARCH_ROWS))
    except csv.Error:
        head = []
    index = next((i for i, row in enumerate(head) if _layout([header_key(c) for c in row])), None)
    if index == 0:
        frame = _pandas_table(text, delimiter, head[0])
        if frame is not None:
            return [_Sheet(name, _layout([header_key(c) for c in head[0]]), "", frame)]
    grids = read_grids(path, problems)
    if not grids:
        return None
    sheet = _grid_sheet(grids[0], problems)
    return [sheet] if sheet else []


def _pandas_table(text: str, delimiter: str, header: list[str]) -> pd.DataFrame | None:
    """The records under a first-row header as text, with spreadsheet row numbers; None when a row is wider than
    the header (the tolerant reader then says which)."""
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            skip_blank_lines=False, header=0)
    except (pd.errors.ParserError, ValueError):
        return None
    frame.columns = _unique_names(header)[: frame.shape[1]]
    frame = frame.fillna("")
    frame["_row"] = np.arange(len(frame)) + 2
    filled = frame.drop(columns="_row").ne("").any(axis=1)  # Excel's rows of bare commas are not records
    return frame[filled].reset_index(drop=True)


def _unique_names(header: list[str]) -> list[str]:
    """Header cells as column names, as tabular.table_under names them (blank: column_N; repeats: 'name (2)')."""
    names, seen = [], {}
    for position, cell in enumerate(header, start=1):
        base = clean_header(cell) or f"column_{position}"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return names


def _grid_sheet(grid, problems: Problems) -> _Sheet | None:
    index = find_header(grid, lambda keys: _layout(keys) is not None)
    if index is None:
        return None
    layout = _layout([header_key(c) for c in grid.rows[index]])
    title = " ".join(c.strip() for row in grid.rows[:index] for c in row if c.strip())
    return _Sheet(grid.file, layout, title, table_under(grid, index, problems).frame)


def _column(frame: pd.DataFrame, *names: str) -> str | None:
    """The frame's column whose lower-case, one-line name is the first of `names` present."""
    keys = {header_key(c): c for c in reversed(frame.columns)}  # reversed: a repeated name means its first copy
    return next((keys[n] for n in names if n in keys), None)


def _text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    return frame[column].astype(str).str.strip() if column else pd.Series("", index=frame.index)


# --- from a table to figures ------------------------------------------------------------------------------

def _cells(sheet: _Sheet, problems: Problems) -> pd.DataFrame:
    """A sheet's figures: one row per area x year x measure x group, with the sheet's rank."""
    if sheet.layout == "tidy":
        tier = FOI if sheet.title else TIDY
        components = _tidy_components(sheet, problems)
    elif sheet.layout == "sfr_place":
        tier, components = SFR, _place_components(sheet, problems)
    elif sheet.layout == "sfr_wide":
        tier, components = SFR, _sfr_components(sheet, problems)
    else:
        tier, components = ASSEMBLED, _assembled_components(sheet, problems)
    components = _placed(components, sheet.file, problems)
    components = _valued(components, sheet.file, problems)
    return _summed(components, sheet.file, tier)


def _tidy_components(sheet: _Sheet, problems: Problems) -> pd.DataFrame:
    frame = sheet.frame
    present = [c for c in frame.columns if header_key(c) in DESCRIPTOR_COLUMNS]
    breakdown = _text(frame, present[0])
    item = _text(frame, present[1] if len(present) > 1 else None)
    pairs = pd.Series(list(zip(breakdown, item)), index=frame.index)
    rules = {pair: _tidy_rule(*pair) for pair in pd.unique(pairs)}
    homes_only = bool(re.search(r"children'?s homes?", sheet.title, flags=re.IGNORECASE))
    if homes_only:
        rules = {pair: _homes_only(rule) for pair, rule in rules.items()}
    rule = pairs.map(rules)
    used = rule.notna()
    frame, rule, item = frame[used], rule[used], item[used]
    if frame.empty:
        return _no_components()
    count = _column(frame, *COUNT_COLUMNS)
    level = _by_value(_text(frame, _column(frame, "geographic_level")), _level_word)
    new_code, old_code = _column(frame, "new_la_code"), _column(frame, "old_la_code")
    la_code = _text(frame, new_code)
    use_old = la_code.eq("") & level.eq("la") & bool(old_code)
    la_code = la_code.mask(use_old, _text(frame, old_code))
    code = la_code.where(level.eq("la"), _text(frame, _column(frame, "region_code")))
    code = code.mask(level.eq("national"), _text(frame, _column(frame, "country_code")))
    name_column = _column(frame, "la_name")
    components = pd.DataFrame({
        "level": level, "code": code,
        "code_column": np.where(use_old, old_code or "", np.where(level.eq("la"), new_code or "", "region_code")),
        "name": _text(frame, name_column).where(level.eq("la"), _text(frame, _column(frame, "region_name"))),
        "year": _years(_text(frame, _column(frame, "time_period")), frame["_row"], sheet.file, problems),
        "measure": rule.map(lambda r: r[0]), "group": rule.map(lambda r: r[1]),
        "priority": rule.map(lambda r: r[2]),
        "part": item.where(item.ne(""), breakdown[used]),
        "text": _text(frame, count), "row": frame["_row"], "column": count,
    })
    _unknown_levels(components, frame, sheet.file, problems)
    components = components[components["level"].ne("")]
    if homes_only:
        components = pd.concat([components, _homes_from_share(components, frame)], ignore_index=True)
    return components


def _unknown_levels(components: pd.DataFrame, frame: pd.DataFrame, file: str, problems: Problems) -> None:
    """A geographic level other than national, regional or local authority (a constituency, say) is not read."""
    column = _column(frame, "geographic_level")
    words = _text(frame, column)[components["level"].eq("")]
    for word, rows in frame.loc[words.index, "_row"].groupby(words):
        problems.add(file, int(rows.iloc[0]), column, word, f"geographic level {word!r} is not one rcc reads "
                     f"(national, regional, local authority): its {len(rows)} row(s) are left out",
                     severity="warning")


def _tidy_rule(breakdown: str, item: str) -> tuple[str, str, int] | None:
    """(measure, group, priority) a tidy file's breakdown and item mean, or None for a figure rcc does not keep."""
    b, i = _words(breakdown), _words(item)
    if not i:  # a headline table: one descriptor naming the population
        for pattern, measure in HEADLINE_PATTERNS:
            if re.search(pattern, b):
                return measure, "all", HEADLINE
        return None
    total = bool(TOTAL.fullmatch(i))
    if re.fullmatch(r"(type of )?placements?( type)?", b):
        if total:
            return "looked_after", "all", BREAKDOWN
        if re.search(r"\btotal\b", i):  # a subtotal would be counted twice
            return None
        group = next((g for pattern, g in PLACEMENT_PATTERNS if re.search(pattern, i)), "other")
        return "looked_after", group, BREAKDOWN
    if "locality" in b and "distance" not in b and re.search(r"\boutside\b", i):
        return "placed_outside_la", "all", BREAKDOWN
    if "distance" in b and "locality" not in b and re.search(r"(more than|over) 20 miles", i):
        return "placed_over_20_miles", "all", BREAKDOWN
    if re.search(r"\bage\b", b) and total:
        if re.search(r"\bstart", b):
            return "started", "all", BREAKDOWN
        if re.search(r"\bceas", b):
            return "ceased", "all", BREAKDOWN
    return None


def _homes_only(rule: tuple[str, str, int] | None) -> tuple[str, str, int] | None:
    """A rule for a table about children in children's homes: its whole-population figures are that group's."""
    if rule is None or rule[1] != "all" or rule[0] not in ("placed_outside_la", "looked_after"):
        return None
    return rule[0], "childrens_home", rule[2]


def _homes_from_share(components: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Children in children's homes per council from the number placed outside and its published percentage of
    them: kept only where exactly one whole number T fits, i.e. p - 0.5 <= 100 n / T <= p + 0.5 (closed at both
    ends, so a value on a rounding boundary is never guessed). National and regional numbers are rounded to 10,
    so only councils are used."""
    percent = _column(frame, *PERCENT_COLUMNS)
    outside = components[components["measure"].eq("placed_outside_la") & components["level"].eq("la")]
    if percent is None or outside.empty:
        return _no_components()
    n = pd.to_numeric(outside["text"], errors="coerce")
    p = pd.to_numeric(_text(frame, percent).reindex(outside.index), errors="coerce")
    ok = n.gt(0) & p.gt(0) & p.le(100) & n.eq(n.round()) & p.eq(p.round())
    n, p = n[ok].astype(int), p[ok].astype(int)
    low = np.maximum(-(-200 * n // (2 * p + 1)), n)  # ceil(200n / (2p + 1)), and at least n
    high = 200 * n // (2 * p - 1)
    unique = low.eq(high)
    derived = outside.loc[unique.index[unique]].copy()
    derived["measure"] = "looked_after"
    derived["text"] = low[unique].astype(str)
    derived["part"] = ("children's homes (secure homes not included) = number placed outside / its percentage, "
                       "where one whole number fits the rounding")
    derived["column"] = f"{outside['column'].iloc[0]}, {percent}"
    return derived


def _sfr_components(sheet: _Sheet, problems: Problems) -> pd.DataFrame:
    frame = sheet.frame
    keys = {c: header_key(c) for c in frame.columns}
    years = {int(m.group(2)) for k in keys.values() if (m := SFR_YEAR_COLUMN.fullmatch(k))}
    year = years.pop() if len(years) == 1 else year_in(sheet.file)
    if year is None:
        problems.add(sheet.file, None, "", "", "cannot tell the year (no CLA_Mar<YEAR> column, no year in the "
                     "file name): skipped")
        return _no_components()
    columns = {c: rule for c, k in keys.items() if (rule := _match(SFR_COLUMNS, k))}
    return _wide_components(frame, columns, year, _sfr_areas(frame))


def _sfr_areas(frame: pd.DataFrame) -> pd.DataFrame:
    """level, code, code_column, name of an SFR file's rows (a blank level, as Scilly's in 2017, from the code)."""
    ons, number = _column(frame, "new_geog_code"), _column(frame, "geog_c")
    code = _text(frame, ons)
    code_column = pd.Series(ons or "", index=frame.index)
    no_ons = code.eq("")
    code = code.mask(no_ons, _text(frame, number))
    code_column = code_column.mask(no_ons, number or "")
    name = _text(frame, _column(frame, "geog_n"))
    level = [_level_word(word) or _level_of_code(c) for word, c in zip(_text(frame, _column(frame, "geog_l")), code)]
    areas = pd.DataFrame({"level": level, "code": code, "code_column": code_column, "name": name}, index=frame.index)
    areas.loc[areas["level"].eq("national"), "code"] = ENGLAND
    london_part = areas["level"].eq("regional") & name.str.contains(r"\b(?:inner|outer) london\b", case=False)
    return areas[~london_part]


def _place_components(sheet: _Sheet, problems: Problems) -> pd.DataFrame:
    """The 2010 layout: one column per SSDA903 placement code, councils by DfE number."""
    frame = sheet.frame
    columns, year = {}, None
    for column in frame.columns:
        key = header_key(column)
        for pattern, measure in PLACE_TOTALS:
            if m := pattern.fullmatch(key):
                columns[column] = (measure, "all", clean_header(column))
                year = year or int(m.group(1))
    areas = _sfr_areas(frame)
    areas = _regions_by_name(areas, sheet.file, problems)
    place_columns = [c for c in frame.columns if PLACE_COLUMN.fullmatch(header_key(c))]
    total = next((c for c, rule in columns.items() if rule[0] == "looked_after"), None)
    labels = _place_labels(frame.loc[areas.index], place_columns, total, areas, sheet.file, problems)
    for column, code in labels.items():
        columns[column] = ("looked_after", PLACE_GROUPS.get(code, "other"), f"PLACE {code}")
        year = year or int(PLACE_COLUMN.fullmatch(header_key(column)).group(2))
    if year is None:
        return _no_components()
    return _wide_components(frame, columns, year, areas)


def _place_labels(frame: pd.DataFrame, place_columns: list[str], total: str | None, areas: pd.DataFrame,
                  file: str, problems: Problems) -> dict[str, str]:
    """column -> the placement code its values are. The header's codes, unless under them foster care holds a
    minority of children and under the codes in alphabetical order (how the 2010 file's values run) a majority."""
    header_codes = [PLACE_COLUMN.fullmatch(header_key(c)).group(1).upper() for c in place_columns]
    if not place_columns or total is None:
        return dict(zip(place_columns, header_codes))
    councils = areas["level"].eq("la")
    values = frame.loc[councils, place_columns].apply(_numbers)
    children = _numbers(frame.loc[councils, total]).sum()

    def foster_share(codes: list[str]) -> float:
        foster = [c for c, code in zip(place_columns, codes) if PLACE_GROUPS.get(code) == "foster"]
        return values[foster].sum().sum() / children if children else 0.0

    as_labelled, alphabetical = foster_share(header_codes), foster_share(sorted(header_codes))
    no_foster_columns = not any(PLACE_GROUPS.get(code) == "foster" for code in header_codes)
    if as_labelled >= FOSTER_MAJORITY or no_foster_columns:
        return dict(zip(place_columns, header_codes))
    if alphabetical >= FOSTER_MAJORITY:
        problems.add(file, 1, "MarPlace_*", "", f"the placement columns' values are in alphabetical order of code, "
                     f"not the header's order: read as labelled, foster care would hold {as_labelled:.0%} of "
                     f"children, in code order {alphabetical:.0%}; read in code order", severity="warning")
        return dict(zip(place_columns, sorted(header_codes)))
    problems.add(file, 1, "MarPlace_*", "", f"cannot tell which placement column is which: foster care holds "
                 f"{as_labelled:.0%} of children as labelled and {alphabetical:.0%} in code order; placement groups "
                 "not read", severity="error")
    return {}


def _regions_by_name(areas: pd.DataFrame, file: str, problems: Problems) -> pd.DataFrame:
    """The 2010 file names its regions with a letter code: their ONS codes come from their names."""
    reg = register().table
    by_name = {_words(n): c for c, n in zip(reg["region_code"], reg["region_name"]) if c.startswith("E12")}
    lettered = areas["level"].eq("regional") & ~areas["code"].str.match(r"E1[23]\d{6}$")
    if not lettered.any():
        return areas
    areas = areas.copy()
    areas.loc[lettered, "code"] = areas.loc[lettered, "name"].map(lambda n: by_name.get(_words(n), n))
    areas.loc[lettered, "code_column"] = "geog_n"
    return areas


def _assembled_components(sheet: _Sheet, problems: Problems) -> pd.DataFrame:
    frame = sheet.frame
    columns = {c: rule for c in frame.columns if (rule := _match(ASSEMBLED_COLUMNS, header_key(c)))}
    code_column = _column(frame, "new_geog_code")
    code = _text(frame, code_column)
    areas = pd.DataFrame({"level": code.map(_level_of_code), "code": code, "code_column": code_column,
                          "name": _text(frame, _column(frame, "geog_n"))}, index=frame.index)
    year = _years(_text(frame, _column(frame, "year")), frame["_row"], sheet.file, problems, "year")
    return _wide_components(frame, columns, year, areas)


def _wide_components(frame, columns: dict[str, tuple], year, areas: pd.DataFrame) -> pd.DataFrame:
    """One component row per area row x figure column."""
    if not columns or areas.empty:
        return _no_components()
    parts = []
    rows = frame.loc[areas.index]
    years = year.loc[areas.index] if isinstance(year, pd.Series) else year
    for column, (measure, group, description) in columns.items():
        parts.append(areas.assign(year=years, measure=measure, group=group, priority=HEADLINE, part=description,
                                  text=rows[column].astype(str).str.strip(), row=rows["_row"], column=column))
    return pd.concat(parts, ignore_index=True)


def _match(rules, key: str):
    return next(((m, g, d) for pattern, m, g, d in rules if re.fullmatch(pattern, key)), None)


# --- areas, values, sums ----------------------------------------------------------------------------------

def _placed(components: pd.DataFrame, file: str, problems: Problems) -> pd.DataFrame:
    """ONS code (today's, for a renumbered council) and name of every row's area; an unknown code is an error
    and its rows are left out."""
    if components.empty:
        return components.assign(area_code=[], area_name=[])
    components = components[components["year"].notna()].copy()
    components["year"] = components["year"].astype(int)
    reg = register()
    regions = reg.table.drop_duplicates("region_code").set_index("region_code")["region_name"]
    area = pd.Series("", index=components.index)
    level, code = components["level"], components["code"]
    area[level.eq("national")] = ENGLAND
    regional = level.eq("regional")
    area[regional & code.isin(regions.index)] = code
    london_part = regional & code.str.startswith("E13")  # Inner and Outer London: halves of London, counted there
    councils = level.eq("la")
    area[councils] = _council_codes(components.loc[councils, "code"], components.loc[councils, "year"])
    unknown = area.eq("") & ~london_part
    for (column, value), rows in components[unknown].groupby(["code_column", "code"])["row"]:
        hint = reg.suggest(value) if value else ""
        what = "a region" if components.loc[rows.index[0], "level"] == "regional" else "a council"
        rule = f"not {what} code or DfE number rcc knows (data/reference/authorities.csv)" if value else \
            "no council code in this row"
        problems.add_rows(file, sorted(set(rows)), column, [value] * len(set(rows)),
                          rule + (f"; {hint}" if hint else "") + ": its figures are left out")
    components["area_code"] = area
    components = components[~unknown & ~london_part]
    names = {c: reg.name(c) for c in pd.unique(components["area_code"])}
    names.update(regions.to_dict())
    names[ENGLAND] = "England"
    components["area_name"] = components["area_code"].map(names)
    return components


def _council_codes(codes: pd.Series, years: pd.Series) -> list[str]:
    """Today's ONS code for each council code or DfE number (a number as it was on 31 March of the year); ''
    when the register has neither."""
    return [_numbered_code(c, int(y)) if c.isdigit() else _today_code(c) for c, y in zip(codes, years)]


@cache
def _today_code(code: str) -> str:
    """register().today_code for a code the register knows, '' for one it does not (the register never changes
    while rcc runs, so each code is looked up once)."""
    reg = register()
    return reg.today_code(code) if reg.known(pd.Series([code])).iloc[0] else ""


@cache
def _numbered_code(number: str, year: int) -> str:
    reg = register()
    on = date(year, 3, 31).isoformat()
    table = reg.table[reg.table["old_la_code"].eq(number)]
    valid = table[(table["valid_from"].eq("") | table["valid_from"].le(on))
                  & (table["valid_to"].eq("") | table["valid_to"].ge(on))]
    table = valid if len(valid) else table
    return _today_code(table["la_code"].iloc[0]) if len(table) else ""


def _valued(components: pd.DataFrame, file: str, problems: Problems) -> pd.DataFrame:
    """value and status from each cell's text: a DfE code is NaN with that code; anything else that is not a
    count (#VALUE!, NA, a blank, a negative) is NaN, not_published, and a warning."""
    text = components["text"]
    lowered = text.str.lower()
    coded = lowered.isin(CODES)
    value = pd.to_numeric(text.str.replace(",", "", regex=False).str.replace(" ", "", regex=False),
                          errors="coerce")
    # NA (R's missing value, as the assembled file writes it) and a blank cell are how a file says "no figure":
    # not published, without a warning per cell
    missing = lowered.isin({"na", "n/a", ""})
    odd = ~coded & (value.isna() | value.lt(0))
    for column, rows in components[odd & ~missing].groupby("column"):
        problems.add_rows(file, rows["row"].tolist(), column, rows["text"].tolist(),
                          "not a count of children nor one of the DfE's codes (" + ", ".join(sorted(CODES)) +
                          "): read as not published", severity="warning")
    components = components.copy()
    components["value"] = value.where(~coded & ~odd)
    components["status"] = np.where(coded, lowered, np.where(odd, NOT_PUBLISHED, ""))
    return components


def _summed(components: pd.DataFrame, file: str, tier: int) -> pd.DataFrame:
    """One figure per area x year x measure x group: the sum of its parts, missing (with the first missing part's
    status) when any part is."""
    if components.empty:
        return pd.DataFrame(columns=[*TABLE_COLUMNS, "code", "tier", "priority", "file"])
    keys = ["level", "area_code", "area_name", "year", "measure", "group", "code", "priority"]
    status = components["status"]
    components = components.assign(status=status.where(status.ne("")))  # groupby's first() skips NaN
    grouped = components.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(value=("value", "sum"), status=("status", "first"))
    out = out.reset_index()
    out["status"] = out["status"].fillna("")
    out.loc[out["status"].ne(""), "value"] = np.nan
    parts = components.groupby(["measure", "group"], sort=False)["part"].agg(lambda s: " + ".join(pd.unique(s)))
    sources = (f"{file} ({TIER_LABELS[tier]}): " + parts).rename("source").reset_index()
    return out.merge(sources, on=["measure", "group"], how="left").assign(tier=tier, file=file)


def _choose(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per key: the best-ranked source, a published number before a code within a rank."""
    cells = cells.assign(unpublished=cells["status"].ne(""))
    cells = cells.sort_values([*KEY, "tier", "unpublished", "priority", "file"], kind="stable")
    table = cells.drop_duplicates(KEY)[TABLE_COLUMNS]
    table = table.astype({"year": int, "value": float})
    level_order = {"national": 0, "regional": 1, "la": 2}
    table = table.sort_values(["level", "area_code", "year", "measure", "group"],
                              key=lambda c: c.map(level_order) if c.name == "level" else c)
    return table.reset_index(drop=True)


# --- small helpers ----------------------------------------------------------------------------------------

def _words(text: str) -> str:
    return " ".join(str(text).lower().replace("\u2019", "'").split())


def _level_word(word: str) -> str:
    w = _words(word)
    if re.search(r"national|country|england", w):
        return "national"
    if re.search(r"region|\bgor\b", w):
        return "regional"
    if re.fullmatch(r"la|local authority|lea", w):
        return "la"
    return ""


def _level_of_code(code: str) -> str:
    if code == ENGLAND:
        return "national"
    if re.fullmatch(r"E1[23]\d{6}", code):
        return "regional"
    return "la"


def _years(text: pd.Series, rows: pd.Series, file: str, problems: Problems, column: str = "time_period"
           ) -> pd.Series:
    """The year ending 31 March: '2024' is 2024, the DfE's '202324' (2023-24) is 2024; anything else an error."""
    four = text.str.fullmatch(r"\d{4}")
    six = text.str.fullmatch(r"\d{6}")
    year = pd.Series(np.nan, index=text.index)
    year[four] = text[four].astype(float)
    year[six] = text[six].str[:4].astype(float) + 1
    bad = ~(four | six)
    if bad.any():
        problems.add_rows(file, rows[bad].tolist(), column, text[bad].tolist(),
                          "not a year (2024) or a DfE academic year (202324): row left out")
    return year


def _by_value(column: pd.Series, function) -> pd.Series:
    """function applied once per distinct value (a column of 45,000 rows holds three levels)."""
    return column.map({value: function(value) for value in pd.unique(column)})


def _numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.astype(str).str.replace(",", "", regex=False), errors="coerce")


def _no_components() -> pd.DataFrame:
    return pd.DataFrame(columns=[*COMPONENT_COLUMNS, "priority"])


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=int if c == "year" else float if c == "value" else object)
                         for c in TABLE_COLUMNS})
