"""Cells from any spreadsheet a publisher or a council produces: CSV in any common encoding and delimiter, XLSX,
XLS or ODS, every sheet, every cell as the text a spreadsheet shows.

Published tables are not tidy files: title rows sit above the header (Ofsted puts three there), header cells
hold line breaks, older files are Windows cp1252, a workbook has a dozen sheets, Excel adds rows of bare commas
at the end. This module turns any of those into `Grid`s (rows of text, numbered as a spreadsheet numbers them)
and a `Table` under the row that is the header; the publication's own reader then decides what the columns mean.
Every problem (an empty file, a file cut off mid-row, a file that is no spreadsheet) is one issue row naming the
file and row, never a traceback.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from data.problems import Problems

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
DELIMITERS = ",;\t|"
HEADER_SEARCH_ROWS = 40


@dataclass(frozen=True)
class Grid:
    """One sheet (or one CSV file) as rows of text; row k of `rows` is the spreadsheet's row k + 1."""

    file: str  # shown to people: "provider_at_march_2023.csv" or "book.ods[Provider_level_at_31_Mar_2023]"
    sheet: str  # "" for a CSV file
    rows: list[list[str]]
    note: str = ""  # how it was read when that is worth saying (an encoding other than UTF-8)


@dataclass(frozen=True)
class Table:
    """The records under a header row: text columns named as the header says, plus `_row`, each record's
    spreadsheet row number."""

    grid: Grid
    header_row: int  # spreadsheet row number of the header
    frame: pd.DataFrame

    @property
    def file(self) -> str:
        return self.grid.file


def clean_header(cell: str) -> str:
    """A header cell as one line: line breaks and repeated spaces in it collapsed ('\\nLatest full inspection')."""
    return " ".join(str(cell).split())


def header_key(cell: str) -> str:
    """A header cell for matching by name: one line, lower case, curly apostrophes straightened."""
    return clean_header(cell).lower().replace("\u2019", "'")


# --- reading files ----------------------------------------------------------------------------------------

def read_grids(path: str | Path, problems: Problems) -> list[Grid]:
    """Every sheet of a workbook, or the one grid of a CSV file; [] after recording why the file cannot be read."""
    path = Path(path)
    name = path.name
    if path.is_dir():
        problems.add(str(path), None, "", "", "is a folder: give the file itself")
        return []
    if not path.exists():
        problems.add(str(path), None, "", "", "not found")
        return []
    data = path.read_bytes()
    if not data.strip():
        problems.add(name, None, "", "", "the file is empty")
        return []
    if path.suffix.lower() in WORKBOOK_SUFFIXES or _looks_like_workbook(data):
        return _read_workbook(path, data, problems)
    return _read_csv(name, data, problems)


def _looks_like_workbook(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_workbook(path: Path, data: bytes, problems: Problems) -> list[Grid]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = []
        for sheet in book.sheet_names:
            rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            grids.append(Grid(f"{path.name}[{sheet}]", sheet, [[_cell_text(c) for c in row] for row in rows]))
        return grids
    except Exception as exc:  # calamine raises its own error types for every kind of damage  # noqa: BLE001
        problems.add(path.name, None, "", "", f"cannot be read as a workbook ({type(exc).__name__}: {exc}); the "
                     "file may be truncated or damaged: download it again, or save it again from Excel")
        return []


def _cell_text(value) -> str:
    """A workbook cell as the text a person sees: 3 not 3.0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def decode(data: bytes) -> tuple[str, str]:
    """(text, note): UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows cp1252 (what Excel on Windows
    saves as 'CSV'), which can decode any byte; the note says when it was not UTF-8."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "read as UTF-16"
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "read as Windows cp1252 (not UTF-8)"


def sniff_delimiter(text: str) -> str:
    """The delimiter of the file's widest line among the first few: ',' unless ';', tab or '|' splits it more."""
    lines = [line for line in text.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    best, best_count = ",", -1
    for delimiter in DELIMITERS:
        count = max((len(next(csv.reader([line], delimiter=delimiter))) for line in lines), default=0)
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _read_csv(name: str, data: bytes, problems: Problems) -> list[Grid]:
    text, note = decode(data)
    delimiter = sniff_delimiter(text)
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        # The reader stops on the record it could not finish: a quote opened and never closed, usually because
        # the file was cut off while being copied or downloaded.
        problems.add(name, len(rows) + 1, "", "", f"cannot be read past this row ({exc}): a quoted cell is never "
                     "closed; the file may be truncated: download it again")
    if delimiter != ",":
        note = "; ".join(filter(None, [note, f"columns separated by {delimiter!r}"]))
    return [Grid(name, "", rows, note)]


# --- finding the table ------------------------------------------------------------------------------------

def find_header(grid: Grid, is_header: Callable[[list[str]], bool],
                search_rows: int = HEADER_SEARCH_ROWS) -> int | None:
    """Index in grid.rows of the first row (among the first `search_rows`) that `is_header` accepts; the row is
    given as header keys (see header_key)."""
    for index, row in enumerate(grid.rows[:search_rows]):
        if is_header([header_key(c) for c in row]):
            return index
    return None


def table_under(grid: Grid, header_index: int, problems: Problems, drop_blank_rows: bool = True) -> Table:
    """The records below the header as text columns; rows of bare delimiters (Excel's trailing ',,,') dropped.
    A header cell that is blank gets the name `column_N` (its spreadsheet column number); a name used twice keeps
    both copies (`name`, `name (2)`) and is an issue, since which one is meant cannot be told."""
    header = [clean_header(c) for c in grid.rows[header_index]]
    names, seen = [], {}
    for position, cell in enumerate(header, start=1):
        base = cell or f"column_{position}"
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            problems.add(grid.file, header_index + 1, base, base, f"the header has column '{base}' more than once; "
                         "rcc reads the first", severity="warning")
        names.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    width = len(names)
    records, row_numbers = [], []
    for index in range(header_index + 1, len(grid.rows)):
        row = grid.rows[index]
        if drop_blank_rows and not any(str(c).strip() for c in row):
            continue
        extra = [c for c in row[width:] if str(c).strip()]
        if extra:
            problems.add(grid.file, index + 1, "", extra[0], f"this row has {len(row)} cells but the header has "
                         f"{width}: the cells beyond the header are ignored", severity="warning")
        records.append((list(row[:width]) + [""] * (width - len(row)))[:width])
        row_numbers.append(index + 1)
    frame = pd.DataFrame(records, columns=names, dtype=str) if records else pd.DataFrame(columns=names, dtype=str)
    frame = frame.apply(lambda column: column.str.strip()) if len(frame) else frame
    frame["_row"] = pd.array(row_numbers, dtype="Int64")
    return Table(grid, header_index + 1, frame)


def ragged_tail(table: Table, problems: Problems) -> None:
    """A last record with far fewer cells filled than the rest: the file was cut off mid-row."""
    frame = table.frame.drop(columns="_row")
    if len(frame) < 3:
        return
    filled = frame.ne("").sum(axis=1)
    typical = filled.iloc[:-1].median()
    if filled.iloc[-1] < typical / 2:
        row = int(table.frame["_row"].iloc[-1])
        problems.add(table.file, row, "", "", f"the last row has {int(filled.iloc[-1])} cells filled where rows "
                     f"usually have about {int(typical)}: the file looks cut off here (truncated); download it "
                     "again", severity="error")


def year_in(text: str) -> int | None:
    """The last four-digit year 2000-2099 in a text (a title, a file or sheet name)."""
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", str(text))
    return int(years[-1]) if years else None
