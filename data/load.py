"""Read a region from a folder of CSVs or one XLSX workbook, parse every cell by its schema, and validate.

`read_region` never stops at the first problem: it parses what it can, records every bad cell in the issues
table and returns both. `load_region` is the strict form the jobs use: it raises one ValidationError listing
every error, and otherwise returns the Region with its warnings attached. No input, however broken, raises: a
file that cannot be read is one issue naming it and saying what to do.

Files are read by data/public/tabular.py, the one reader of spreadsheets in rcc (encodings, delimiters,
workbooks through calamine), with these decisions for a council's own input:

- Encodings. UTF-8 (with or without a byte-order mark) is read silently. UTF-16 (Excel's "Unicode Text") and
  Windows cp1252 (Excel's plain "CSV (Comma delimited)" on Windows; Latin-1 writes é and £ as the same bytes)
  are read, with one warning naming the encoding and how to save the file as UTF-8: a name with an accent read
  in the wrong encoding is wrong in every output, so the user is asked to look.
- Delimiters. A tab- or '|'-separated file is read, with a warning: nothing in it is written differently from a
  comma file. A semicolon-separated file is refused with one error asking for it to be saved as comma-separated:
  Excel writes semicolons where the comma is the decimal mark (most of Europe), so in such a file "1,250" means
  one and a quarter to its author, while rcc reads "5,800" (a thousands separator) as five thousand eight
  hundred. Reading it could silently turn a fee of 1,25 into 125; refusing it costs one Save As.
- The header must be row 1. A title or blank rows above it are one error, on the first of them, naming the row
  the header was found on (found as the publication readers find theirs, tabular.find_header): rcc's messages,
  the templates and the forecast's checks all number records from a header on row 1, as a spreadsheet shows them.
- Blank rows (every cell empty, such as Excel's trailing ",,,,") after the last record are ignored; a blank row
  between records is one error, since it is usually a record deleted by mistake or two extracts pasted together.
- A column named twice, or twice but for capitals ("places" and "Places"), is one error naming both columns:
  which copy is meant cannot be told.
- Numbers must be finite and within the column's range (data/schema.py), and no larger than MAX_MAGNITUDE in
  any column (no count, fee or coordinate is that large; every whole number up to it fits an integer column).
  A cell reading nan, none, null, na or n/a is blank, as exports write a missing value.
- The path: a folder of CSV files or one workbook. A CSV file, another file, a folder holding none of a region's
  files, a folder where a file should be, an empty, damaged or renamed workbook: one error each.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.problems import FIRST_RECORD_ROW, Problems, ValidationError
from data.public.tabular import (
    WORKBOOK_SUFFIXES,
    Grid,
    find_header,
    grids_from_bytes,
    looks_like_workbook,
    read_bytes,
    table_under,
)
from data.region import Region
from data.schema import TABLES, Column, Table
from data.ssda903.history import (
    MERGED,
    check_region_history,
    holds_returns,
    read_history,
    record_children,
    relocate,
)
from data.ssda903.returns import KEPT, find_returns
from data.ssda903.rules import prefer_rules
from data.validate import check_under_18, cross_table_checks

TRUE_WORDS = {"true", "t", "yes", "y", "1"}
FALSE_WORDS = {"false", "f", "no", "n", "0"}
XLSX_SUFFIXES = WORKBOOK_SUFFIXES  # .xlsx and .xlsm, and the .xls and .ods calamine also reads
MAX_MAGNITUDE = 1e15
SAVE_AS_UTF8 = "in Excel use File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)'"
IF_EMPTY = "save it again from the program that made it (a table needs at least its header row)"


def load_region(path: str | Path, today: date | None = None, history: bool = True) -> Region:
    """Load and validate a region; raise ValidationError (listing every error) if any error is found. Without
    `history`, a folder's SSDA903 history files are hashed but neither parsed nor checked (see read_region)."""
    region, issues = read_region(path, today=today, history=history)
    if region is None:
        raise ValidationError(str(path), issues)
    return region


def read_region(path: str | Path, today: date | None = None,
                history: bool = True) -> tuple[Region | None, pd.DataFrame]:
    """Parse and validate; return (Region or None when there are errors, issues table).

    Matching needs no SSDA903 history, and nationally parsing and checking it is most of the load: without
    `history`, a region folder's history files (header, episodes, uasc, DoLo) are hashed, so the input hash is
    the same, but left empty in the Region, which says so (Region.history_read). A folder of a council's returns
    and a workbook are read whole (their history also gives the councils)."""
    path = Path(path)
    today = today or date.today()
    problems = Problems()
    raw = _read_raw(path, problems, skip=() if history else KEPT)
    if raw is None:  # the path itself is unusable: that one problem is the answer
        return None, problems.table()
    tables = {name: _parse_table(TABLES[name], raw.tables.get(name), raw.files.get(name, TABLES[name].file_name),
                                 problems, today)
              for name in TABLES if name not in raw.history_tables}
    if raw.returns is not None and not _history_from_returns(raw, tables, problems, today):
        return None, problems.table()
    if raw.returns is None and not raw.skipped:
        check_region_history(tables, raw.files, problems)
    check_under_18(tables, raw.files, problems, today)
    tables["children"] = _derive_ages(tables["children"], today)
    cross_table_checks(tables, raw.files, problems, raw.unreadable | raw.absent)
    issues = prefer_rules(relocate(problems.table(), tables, {name: raw.files[name] for name in raw.history_tables}))
    if not usable(issues, set(raw.history_files(tables))):
        return None, issues
    records = raw.records if raw.records is not None else record_children(
        {name: tables[name] for name in KEPT}, {name: raw.files[name] for name in KEPT})
    region = Region(**tables, source=str(path), input_hash=raw.digest, issues=issues,
                    absent=tuple(sorted(raw.absent)), record_children=records, history_read=not raw.skipped)
    return region, issues


# The tables a job needs besides the SSDA903 history (validate and forecast need only that).
SUPPLY = ("providers", "settings", "children", "referrals")


def usable(issues: pd.DataFrame, history_files: set[str]) -> bool:
    """Whether a region can be given to the jobs: no error, or only errors on records of the SSDA903 history
    (each names its file and row), which the forecast answers by leaving those children out (forecasts/sound.py)
    and validate lists. An error anywhere else, or on a history file as a whole, refuses the region."""
    errors = issues[issues["severity"] == "error"]
    return bool(errors.empty or (errors["file"].isin(history_files) & errors["row"].notna()).all())


def _history_from_returns(raw: _Raw, tables: dict, problems: Problems, today: date) -> bool:
    """A folder holding a council's returns as it holds them: the history read, checked and merged from them
    (data/ssda903), its council from their council column or else authorities.csv's one council; authorities.csv
    from rcc's register when the folder has none. False (after the problems saying why) when it cannot be."""
    councils = tables["authorities"]["la_code"].dropna().tolist()
    history = read_history([raw.returns], councils[0] if len(councils) == 1 else None, problems, today)
    if history is None:
        return False
    for name in raw.history_tables:
        tables[name] = history.tables[name]
        raw.files[name] = MERGED[name]
    raw.records = history.records
    if "authorities" in raw.absent:
        authorities = history.authorities.astype(str)
        tables["authorities"] = _parse_table(TABLES["authorities"], authorities, TABLES["authorities"].file_name,
                                             problems, today)
        raw.absent.discard("authorities")
    raw.digest = hashlib.sha256((raw.digest + _returns_digest(raw.returns)).encode()).hexdigest()
    return True


def _returns_digest(folder: Path) -> str:
    files, _ = find_returns([folder], Problems())
    sha = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.shown):
        sha.update(f.shown.encode() + b"\0" + f.path.read_bytes() + b"\0")
    return sha.hexdigest()


def _derive_ages(children: pd.DataFrame, today: date) -> pd.DataFrame:
    """Fill a blank age from dob (whole years on `today`), as DATA.md allows either."""
    dob = children["dob"]
    missing = children["age"].isna() & dob.notna()
    if not missing.any():
        return children
    now = pd.Timestamp(today)
    had_birthday = (dob.dt.month < now.month) | ((dob.dt.month == now.month) & (dob.dt.day <= now.day))
    years = now.year - dob.dt.year - (~had_birthday).astype(int)
    children = children.copy()
    children.loc[missing, "age"] = years[missing].astype("Int64")
    return children


# --- reading ----------------------------------------------------------------------------------------------

@dataclasses.dataclass
class _Raw:
    tables: dict[str, pd.DataFrame]  # every table read, as text exactly as typed (no type guessing: "007")
    files: dict[str, str]  # the name each table's problems are reported under
    digest: str
    unreadable: set[str]  # tables whose file could not be read at all (already one error each)
    absent: set[str] = dataclasses.field(default_factory=set)  # optional tables whose file is not there
    returns: Path | None = None  # a folder holding the history as a council's returns (data/ssda903)
    records: pd.DataFrame | None = None  # the returns' records (data.ssda903.history.record_children)
    skipped: bool = False  # the SSDA903 history was hashed but not parsed (read_region without history)

    @property
    def history_tables(self) -> tuple[str, ...]:
        return KEPT if self.returns is not None else ()

    def history_files(self, tables: dict) -> list[str]:
        """Every file the SSDA903 history's records are on: the region's own, or each return's."""
        if self.returns is None:
            return [self.files.get(n, TABLES[n].file_name) for n in KEPT]
        return [f for n in KEPT for f in tables[n]["_file"].dropna().unique()]


def _read_raw(path: Path, problems: Problems, skip: tuple[str, ...] = ()) -> _Raw | None:
    """The tables of a folder or a workbook; None (after one problem saying why) when `path` is neither. A region
    folder's tables in `skip` are hashed but not read."""
    if path.is_dir():
        return _read_folder(path, problems, skip)
    if not path.exists():
        problems.add(str(path), None, "", "", "not found: give a folder of CSV files or one .xlsx workbook")
        return None
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _read_workbook(path, problems)
    if path.suffix.lower() == ".csv":
        problems.add(str(path), None, "", "", "is one CSV file, not a region: give the folder it is in "
                     f"({path.parent}), which holds settings.csv, children.csv and the region's other tables, "
                     "or one .xlsx workbook with a sheet per table")
        return None
    data = read_bytes(path, problems, str(path), "give a folder of CSV files or one .xlsx workbook")
    if data is not None and looks_like_workbook(data):
        return _read_workbook(path, problems, data)
    if data is not None:
        problems.add(str(path), None, "", "", "is a file, not a region: give a folder of CSV files (settings.csv, "
                     "children.csv, ...) or one .xlsx workbook with a sheet per table")
    return None


def _read_folder(folder: Path, problems: Problems, skip: tuple[str, ...] = ()) -> _Raw | None:
    returns = folder if holds_returns(folder) else None
    present = {name: folder / t.file_name for name, t in TABLES.items() if (folder / t.file_name).exists()
               and not (returns is not None and name in KEPT)}
    if not present and returns is None:
        problems.add(str(folder), None, "", "", "holds none of a region's files (authorities.csv and the SSDA903 "
                     "header.csv and episodes.csv to validate and forecast; settings.csv, providers.csv, "
                     "children.csv and referrals.csv to match): is it the right folder? (`rcc template DIR` writes "
                     "blank ones with their columns)")
        return None
    raw = _Raw({}, {}, "", set(), returns=returns, skipped=returns is None and bool(skip))
    sha = hashlib.sha256()
    for name, table in TABLES.items():
        raw.files[name] = table.file_name
        if name in raw.history_tables:
            continue
        if name not in present:
            if name == "authorities" and returns is None:
                problems.add(table.file_name, None, "", "", f"required file missing from {folder}: the councils of "
                             "the region (la_code, la_name, lat, lon; `rcc template DIR` writes it with its columns)")
                raw.unreadable.add(name)  # one error, not one per id that cannot be looked up in it
            else:
                raw.absent.add(name)
            continue
        data = read_bytes(present[name], problems, table.file_name, IF_EMPTY)
        if data is None:
            raw.unreadable.add(name)
            continue
        sha.update(table.file_name.encode() + b"\0" + data + b"\0")
        if raw.skipped and name in skip:
            continue
        if looks_like_workbook(data):
            problems.add(table.file_name, None, "", "", "is an Excel workbook, not a CSV file: open it and save it "
                         f"as CSV ({SAVE_AS_UTF8}), or give rcc one workbook with a sheet per table")
            raw.unreadable.add(name)
            continue
        scratch = Problems()
        grids = grids_from_bytes(table.file_name, data, scratch, workbook=False)
        problems.extend(scratch)
        frame = _records(table, grids[0], problems) if grids and scratch.table().empty else None
        if frame is None:
            raw.unreadable.add(name)
        else:
            raw.tables[name] = frame
    raw.digest = sha.hexdigest()
    return raw


def _read_workbook(book: Path, problems: Problems, data: bytes | None = None) -> _Raw | None:
    data = data if data is not None else read_bytes(book, problems, book.name, "save the workbook again from Excel")
    if data is None:
        return None
    scratch = Problems()
    grids = grids_from_bytes(book.name, data, scratch, workbook=True)
    problems.extend(scratch)
    if not grids:
        return None
    by_lower: dict[str, Grid] = {}
    for grid in grids:
        by_lower.setdefault(grid.sheet.strip().lower(), grid)
    if not any(name in by_lower for name in TABLES):
        problems.add(book.name, None, "", "", "no sheet is named after a table of a region (sheets found: "
                     + ", ".join(g.sheet for g in grids) + "): name each sheet after its table ("
                     + ", ".join(n for n, t in TABLES.items() if not t.optional_table) + ", ...)")
        return None
    raw = _Raw({}, {}, hashlib.sha256(data).hexdigest(), set())
    for name, table in TABLES.items():
        grid = by_lower.get(name)
        raw.files[name] = grid.file if grid is not None else f"{book.name}[{name}]"
        if grid is None:
            if name == "authorities":
                problems.add(raw.files[name], None, "", "", f"required sheet '{name}' missing from the workbook")
            else:
                raw.absent.add(name)
            continue
        frame = _records(table, grid, problems)
        if frame is None:
            raw.unreadable.add(name)
        else:
            raw.tables[name] = frame
    return raw


def _records(table: Table, grid: Grid, problems: Problems) -> pd.DataFrame | None:
    """The records of one file or sheet as text, under its header; None (after one error) when it cannot be
    read as a table of rcc's: see the module's docstring for what is read, what is a warning, what an error."""
    file = grid.file
    if grid.delimiter == ";":
        problems.add(file, None, "", "", "the columns are separated by semicolons (;), not commas: save it as "
                     f"comma-separated ({SAVE_AS_UTF8}); rcc does not read semicolon files, whose numbers may "
                     "use a comma as the decimal mark")
        return None
    notes = []
    if grid.encoding == "cp1252":
        notes.append("not saved as UTF-8: read as Windows cp1252 (what Excel's plain 'CSV (Comma delimited)' "
                     "writes); check that letters such as é and signs such as £ read right")
    elif grid.encoding == "utf-16":
        notes.append("saved as UTF-16 (Excel's 'Unicode Text'): read as UTF-16")
    if grid.delimiter in ("\t", "|"):
        notes.append("the columns are separated by " + ("tabs" if grid.delimiter == "\t" else "'|'")
                     + ", not commas: read as such")
    if notes:
        problems.add(file, None, "", "", "; ".join(notes) + f". To avoid this warning, {SAVE_AS_UTF8}",
                     severity="warning")
    blank = [not "".join(row).strip() for row in grid.rows]
    if all(blank):
        problems.add(file, None, "", "", "holds no rows: the first row must be the header (the column names)")
        return None
    known = {c.name.lower() for c in table.columns}
    needed = min(2, len(known))
    header = find_header(grid, lambda keys: sum(k in known for k in keys) >= needed)
    if header is None:
        header = blank.index(False)  # no row looks like the header: take the first, and say what it lacks
    if header > 0:
        above = [i for i in range(header) if not blank[i]]
        if above:
            title = next(c.strip() for c in grid.rows[above[0]] if c.strip())
            problems.add(file, above[0] + 1, "", title[:80], f"a title above the header: the column names are on "
                         f"row {header + 1}; delete the rows above them so that they are on row 1")
        else:
            problems.add(file, 1, "", "", f"blank row{'s' if header > 1 else ''} above the header: the column "
                         f"names are on row {header + 1}; delete the rows above them so that they are on row 1")
    records = table_under(grid, header, problems, strict=True).frame
    rows = records.pop("_row").to_numpy(dtype=np.int64)
    _blank_rows_between(file, rows, header + 2, problems)
    if len(rows) and (rows[0] != FIRST_RECORD_ROW or rows[-1] != FIRST_RECORD_ROW + len(rows) - 1):
        problems.number_rows(file, rows)
    return records


def read_records(table: Table, grid: Grid, problems: Problems) -> pd.DataFrame | None:
    """The records of one file or sheet as text under its header, read as a region's own files are (see the
    module's docstring); None after one error when it cannot be read as the table (data/ssda903 reads returns
    with it)."""
    return _records(table, grid, problems)


def parse_records(table: Table, raw: pd.DataFrame | None, file: str, problems: Problems,
                  today: date) -> pd.DataFrame:
    """A table's text records parsed by its schema, every bad cell one problem (data/ssda903 parses each
    return's files with it, so that a problem names the council's own file and row)."""
    return _parse_table(table, raw, file, problems, today)


def _blank_rows_between(file: str, rows: np.ndarray, first: int, problems: Problems) -> None:
    """One error for each run of blank rows before the last record (blank rows after it are ignored)."""
    expected = np.concatenate([[first], rows[:-1] + 1]) if len(rows) else np.array([], dtype=np.int64)
    for start, end in zip(expected[rows > expected], rows[rows > expected] - 1, strict=True):
        which = f"row {start} is blank" if start == end else f"rows {start}-{end} are blank"
        problems.add(file, int(start), "", "", f"{which}, between records: delete {'it' if start == end else 'them'}"
                     " (or fill in the record that belongs there)")


# --- parsing ----------------------------------------------------------------------------------------------

def _parse_table(table: Table, raw: pd.DataFrame | None, file: str, problems: Problems,
                 today: date) -> pd.DataFrame:
    if raw is None:
        raw = pd.DataFrame(columns=table.column_names)
    raw = raw.rename(columns=lambda c: str(c).strip())
    if not table.ssda903:
        raw = raw.rename(columns=lambda c: c.lower())
    raw = _under_new_names(table, raw, file, problems)
    missing = {col for col in table.required_columns
               if col not in raw.columns and not _satisfied_by_alternative(table, col, raw)}
    for col in sorted(missing, key=table.column_names.index):
        problems.add(file, None, col, "", "required column missing" + MISSING_COLUMN_HINTS.get(
            (table.ssda903, col), f": add a column named {col} (`rcc schema` lists each table's columns)"))
    out = {}
    for column in table.columns:
        # cells arrive stripped (tabular.table_under)
        text = raw[column.name].astype(str) if column.name in raw.columns else pd.Series("", index=raw.index)
        # a missing column is one problem, said above, not one "required value is blank" per record
        parsed_as = dataclasses.replace(column, required=False) if column.name in missing else column
        out[column.name] = _parse_column(parsed_as, text, file, problems, today)
    extra = [c for c in raw.columns if c not in table.column_names]
    parsed = pd.DataFrame(out, index=pd.RangeIndex(len(raw)))
    for c in extra:  # unknown columns are kept, untouched, and ignored (DATA.md)
        parsed[c] = raw[c].to_numpy()
    return parsed


def _under_new_names(table: Table, raw: pd.DataFrame, file: str, problems: Problems) -> pd.DataFrame:
    """A column under its old name (schema Column.formerly) is read as the column it became, with one warning
    saying so; given under both names, the old one is ignored, with a warning."""
    for column in table.columns:
        old = column.formerly
        if not old or old not in raw.columns:
            continue
        if column.name in raw.columns:
            problems.add(file, None, old, "", f"both {old} (the old name) and {column.name} are given: {old} is "
                         f"ignored; delete it", severity="warning")
            continue
        raw = raw.rename(columns={old: column.name})
        problems.add(file, None, column.name, old, column.formerly_note
                     or f"{old} is the old name of {column.name}: read as {column.name}", severity="warning")
    return raw


# A council's own SSDA903 return leaves out the council (every row is its own); a region's history names it.
MISSING_COLUMN_HINTS = {(True, "LA"): ": a council's own SSDA903 return has no LA column, since every row is that "
                                      "council's; add one holding the council's code (e.g. E08000003) on every row, "
                                      "as a region's history covers several councils"}


def _satisfied_by_alternative(table: Table, col: str, raw: pd.DataFrame) -> bool:
    return table.name == "children" and col == "age" and "dob" in raw.columns


BLANK_WORDS = frozenset({"", "nan", "none", "null", "na", "n/a"})


def _parse_column(column: Column, text: pd.Series, file: str, problems: Problems, today: date) -> pd.Series:
    # Most columns repeat a few values (types, councils, dates, flags): each distinct text is parsed once and the
    # result spread back to the rows, with every problem still on the row it is on.
    codes, distinct = pd.factorize(text.to_numpy(dtype=object))
    if 2 * len(distinct) < len(text):
        values = _parse_cells(column, pd.Series(distinct, dtype=object), file, _OnRows(problems, codes), today)
        return values.take(codes).set_axis(text.index)
    return _parse_cells(column, text, file, problems, today)


class _OnRows:
    """Problems found on a column's distinct texts, reported on every row holding the text."""

    def __init__(self, problems: Problems, codes: np.ndarray):
        self.problems, self.codes = problems, codes

    def add_mask(self, file: str, positions: np.ndarray, column: str, values: pd.Series, rule: str,
                 severity: str = "error") -> None:
        positions = np.asarray(positions, dtype=bool)
        if positions.any():
            self.problems.add_mask(file, positions[self.codes], column, values.take(self.codes), rule, severity)


def _parse_cells(column: Column, text: pd.Series, file: str, problems: Problems | _OnRows,
                 today: date) -> pd.Series:
    # Element-wise work is done on numpy arrays: pandas' per-call overhead, paid for every column of every table,
    # was most of the time a small region took to load.
    lower = np.array([cell.lower() for cell in text], dtype=object)
    blank = _each(lower, lambda cell: cell in BLANK_WORDS)
    if column.required and not column.blank_means:
        empty = lower == ""
        problems.add_mask(file, blank & empty, column.name, text, "required value is blank")
        problems.add_mask(file, blank & ~empty, column.name, text, "required value is blank (rcc reads "
                          + ", ".join(sorted(BLANK_WORDS - {""})) + " as a blank cell, as exports write one)")
    parse = {"str": _parse_str, "int": _parse_int, "float": _parse_float, "bool": _parse_bool,
             "date": _parse_date, "list": _parse_list}[column.dtype]
    values = parse(column, text, lower, blank, file, problems)
    if column.dtype == "date" and column.not_in_future:
        future = values.notna() & (values > pd.Timestamp(today))
        problems.add_mask(file, future, column.name, values, f"date is in the future (after {today.isoformat()})")
    return _fill_default(column, values)


def _each(cells: np.ndarray, test) -> np.ndarray:
    """A boolean array: `test` of every cell."""
    return np.fromiter((test(cell) for cell in cells), dtype=bool, count=len(cells))


def _parse_str(column: Column, text: pd.Series, lower: np.ndarray, blank: np.ndarray, file: str,
               problems: Problems) -> pd.Series:
    if not column.allowed:
        return pd.Series(np.where(blank, None, text.to_numpy(dtype=object)), index=text.index, dtype=object)
    spelling = {a.lower(): a for a in column.allowed}  # "Private" and "k2" are meant, and accepted
    canon = np.array([np.nan if is_blank else spelling.get(cell, np.nan) for cell, is_blank in zip(lower, blank,
                                                                                                   strict=True)],
                     dtype=object)
    bad = ~blank & pd.isna(canon)
    problems.add_mask(file, bad, column.name, text, "must be one of: " + ", ".join(column.allowed))
    return pd.Series(canon, index=text.index, dtype=object)


def _parse_float(column: Column, text: pd.Series, lower: np.ndarray, blank: np.ndarray, file: str,
                 problems: Problems) -> pd.Series:
    """Numbers as typed ("£5,800" is 5800), each checked against the column's range; one problem per bad cell.
    A value reported here (not finite, out of range, beyond MAX_MAGNITUDE) is left blank, so that no later check
    reports it again in other words (a negative places as "more children than places") and no integer column
    meets a value it cannot hold; the region is refused for the error anyway."""
    cleaned = np.array([np.nan if is_blank else cell.removeprefix("£").replace(",", "")
                        for cell, is_blank in zip(text, blank, strict=True)], dtype=object)
    values = np.asarray(pd.to_numeric(cleaned, errors="coerce"), dtype=float)
    missing = np.isnan(values)
    bad = ~blank & missing
    problems.add_mask(file, bad, column.name, text, "must be a number")
    infinite = np.isinf(values)
    named_infinity = infinite & _each(lower, lambda cell: "inf" in cell)
    problems.add_mask(file, named_infinity, column.name, text,
                      "must be a finite number" + _range_words(column) + ", not infinity")
    rest = ~missing & ~named_infinity
    reported = bad | named_infinity
    with np.errstate(invalid="ignore"):
        if column.minimum is not None:
            low = rest & (values < column.minimum)
            rule = "must not be negative" if column.minimum == 0 else f"must be at least {column.minimum:g}"
            problems.add_mask(file, low, column.name, text, rule)
            reported |= low
        if column.maximum is not None:
            high = rest & ~reported & (values > column.maximum)
            problems.add_mask(file, high, column.name, text, f"must be at most {column.maximum:g}")
            reported |= high
        huge = rest & (np.abs(values) > MAX_MAGNITUDE)
    problems.add_mask(file, huge & ~reported, column.name, text,
                      f"is too large to be a real figure (more than {MAX_MAGNITUDE:,.0f}): a typo, or a number "
                      "pasted from elsewhere?")
    return pd.Series(np.where(reported | infinite | huge, np.nan, values), index=text.index)


def _range_words(column: Column) -> str:
    """The column's range as it follows "must be a finite number": " (0 to 500)", " (at least 0)", ""."""
    if column.minimum is not None and column.maximum is not None:
        return f" ({column.minimum:g} to {column.maximum:g})"
    if column.minimum is not None:
        return f" (at least {column.minimum:g})"
    if column.maximum is not None:
        return f" (at most {column.maximum:g})"
    return ""


def _parse_int(column: Column, text: pd.Series, lower: np.ndarray, blank: np.ndarray, file: str,
               problems: Problems) -> pd.Series:
    values = _parse_float(column, text, lower, blank, file, problems).to_numpy()
    fractional = ~np.isnan(values) & (values != np.floor(values))
    problems.add_mask(file, fractional, column.name, text, "must be a whole number")
    whole = np.round(np.where(fractional, np.nan, values))  # every value left is within MAX_MAGNITUDE: no overflow
    return pd.Series(whole, index=text.index).astype("Int64")


def _parse_bool(column: Column, text: pd.Series, lower: np.ndarray, blank: np.ndarray, file: str,
                problems: Problems) -> pd.Series:
    true, false = _each(lower, TRUE_WORDS.__contains__), _each(lower, FALSE_WORDS.__contains__)
    problems.add_mask(file, ~blank & ~true & ~false, column.name, text,
                      "must be true or false (also accepted: yes/no, 1/0)")
    return pd.Series(pd.arrays.BooleanArray(true, ~(true | false)), index=text.index)


def _parse_date(column: Column, text: pd.Series, lower: np.ndarray, blank: np.ndarray, file: str,
                problems: Problems) -> pd.Series:
    # Excel cells arrive as "2026-11-01 00:00:00"; SSDA903 files may use the DfE's dd/mm/yyyy.
    plain = text.str.replace(r"[ T]00:00:00$", "", regex=True).to_numpy(dtype=object)
    plain = pd.Series(np.where(blank, None, plain), index=text.index, dtype=object)
    iso = pd.to_datetime(plain, format="%Y-%m-%d", errors="coerce")
    dfe = pd.to_datetime(plain, format="%d/%m/%Y", errors="coerce")
    dashed = pd.to_datetime(plain, format="%d-%m-%Y", errors="coerce")  # some councils' systems write 31-03-2024
    values = iso.fillna(dfe).fillna(dashed)
    bad = ~blank & values.isna().to_numpy()
    problems.add_mask(file, bad, column.name, text, "must be a date as YYYY-MM-DD (or DD/MM/YYYY, DD-MM-YYYY)")
    return values


def _parse_list(column: Column, text: pd.Series, lower: np.ndarray, blank: np.ndarray, file: str,
                problems: Problems) -> pd.Series:
    items = [tuple(sorted({part.strip() for part in cell.split(";")} - {""})) for cell in lower]
    if column.allowed:
        allowed = set(column.allowed)
        unknown = pd.Series([tuple(i for i in t if i not in allowed) for t in items], index=text.index,
                            dtype=object)
        problems.add_mask(file, _each(unknown, bool), column.name, unknown,
                          "unknown item(s); allowed: " + ", ".join(column.allowed))
        items = [tuple(i for i in t if i in allowed) for t in items]
    return pd.Series([None if is_blank else t for t, is_blank in zip(items, blank, strict=True)], index=text.index,
                     dtype=object)


def _fill_default(column: Column, values: pd.Series) -> pd.Series:
    """Blank cells (and cells already reported as invalid) take the column's default."""
    if column.default is None:
        return values
    if column.dtype == "list":
        return pd.Series([column.default if v is None else v for v in values], index=values.index, dtype=object)
    missing = values.isna().to_numpy()
    filled = values
    if missing.any():
        filled = values.copy()
        filled[missing] = column.default
    if column.dtype == "bool":
        return filled.astype(bool)
    return filled
