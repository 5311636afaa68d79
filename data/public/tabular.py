"""Cells from any spreadsheet a publisher or a council produces: CSV in any common encoding and delimiter, XLSX,
XLS or ODS, every sheet, every cell as the text a spreadsheet shows.

Published tables are not tidy files: title rows sit above the header (Ofsted puts three there), header cells
hold line breaks, older files are Windows cp1252, a workbook has a dozen sheets, Excel adds rows of bare commas
at the end. This module turns any of those into `Grid`s (rows of text, numbered as a spreadsheet numbers them)
and a `Table` under the row that is the header; the publication's own reader then decides what the columns mean.
A region's own input (data/load.py) is read here too, with `table_under(strict=True)` and its own decisions on
what to refuse. Every problem (an empty file, a file cut off mid-row, a file that is no spreadsheet) is one issue
row naming the file and row, never a traceback.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
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
    encoding: str = ""  # a CSV file's: "utf-8", "utf-16" or "cp1252" (see decode)
    delimiter: str = ""  # a CSV file's: ",", ";", "\t" or "|" (see sniff_delimiter)


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

def read_grids(path: str | Path, problems: Problems, label: str = "") -> list[Grid]:
    """Every sheet of a workbook, or the one grid of a CSV file; [] after recording why the file cannot be read.
    `label` names the file in problems (default: its name)."""
    path = Path(path)
    data = read_bytes(path, problems, label)
    if data is None:
        return []
    return grids_from_bytes(label or path.name, data, problems,
                            workbook=path.suffix.lower() in WORKBOOK_SUFFIXES or looks_like_workbook(data))


def read_bytes(path: Path, problems: Problems, label: str = "", if_empty: str = "") -> bytes | None:
    """The file's bytes; None after recording why there are none (a folder, not found, not readable, empty;
    `if_empty` is what to do about an empty one)."""
    if path.is_dir():
        problems.add(label or str(path), None, "", "", "is a folder, not a file: put the file itself in its place")
        return None
    if not path.exists():
        problems.add(label or str(path), None, "", "", "not found")
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.add(label or str(path), None, "", "", f"cannot be opened ({exc.strerror or exc}): check the file's "
                     "permissions, or close it in the program that has it open")
        return None
    if not data.strip():
        problems.add(label or path.name, None, "", "", "the file is empty" + (f": {if_empty}" if if_empty else ""))
        return None
    return data


def grids_from_bytes(name: str, data: bytes, problems: Problems, workbook: bool) -> list[Grid]:
    """A file's bytes as grids: a workbook's sheets (`workbook`), else the one grid of a CSV file."""
    if workbook:
        return _read_workbook(name, data, problems)
    return _read_csv(name, data, problems)


def looks_like_workbook(data: bytes) -> bool:
    """An XLSX/XLSM/ODS (a zip) or an old XLS (an OLE compound file), by its first bytes."""
    return data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_workbook(name: str, data: bytes, problems: Problems) -> list[Grid]:
    from python_calamine import CalamineWorkbook

    if not looks_like_workbook(data):
        what = "text (a CSV file renamed?)" if _looks_like_text(data) else "not a spreadsheet"
        problems.add(name, None, "", "", f"is not a workbook: its contents are {what}; open it and save it as an "
                     "Excel workbook (.xlsx), or give its CSV files in a folder")
        return []
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = []
        for sheet in book.sheet_names:
            rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            grids.append(Grid(f"{name}[{sheet}]", sheet, [[_cell_text(c) for c in row] for row in rows]))
        if not grids:
            problems.add(name, None, "", "", "the workbook has no sheets (damaged, or cut off?): save it again "
                         "from Excel")
        return grids
    except BaseException as exc:  # calamine raises its own error types (and, from Rust, panics) for every damage
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        problems.add(name, None, "", "", f"cannot be read as a workbook ({type(exc).__name__}: {exc}); the file "
                     "may be truncated or damaged: download or copy it again, or save it again from Excel")
        return []


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 128 for b in head)
    return b"\x00" not in head and printable >= 0.95 * len(head)


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


ENCODING_NOTES = {"utf-16": "read as UTF-16", "cp1252": "read as Windows cp1252 (not UTF-8)"}


def decode(data: bytes) -> tuple[str, str]:
    """(text, note): UTF-8 (with or without BOM), UTF-16 (with a BOM, or without one when every other byte of
    the text is zero), else Windows cp1252 (what Excel on Windows saves as 'CSV'), which can decode any byte and
    reads Latin-1 letters (é, £) the same; the note says when it was not UTF-8."""
    text, encoding = decode_as(data)
    return text, ENCODING_NOTES.get(encoding, "")


def decode_as(data: bytes) -> tuple[str, str]:
    """(text, encoding): see decode; encoding is "utf-8", "utf-16" or "cp1252"."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace"), "utf-16"
    bom_less = _utf16_without_bom(data)
    if bom_less:
        return data.decode(bom_less, errors="replace"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _utf16_without_bom(data: bytes) -> str:
    """'utf-16-le' or 'utf-16-be' when the text's ASCII letters come with a zero byte each, else ''."""
    head = data[:2000]
    if len(head) < 4 or b"\x00" not in head:
        return ""
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return ""


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first few lines most consistently: for each of ',', ';', tab and '|', the
    number of lines that split into the same number of cells (more than one); the most such lines wins, then the
    most cells, then the order of DELIMITERS (',' first). Consistency rather than the widest line, so a comma file
    with a note full of semicolons, or a title row with commas above a semicolon table, is not misread."""
    lines = [line for line in text.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        counts: dict[int, int] = {}
        for line in lines:
            width = len(next(csv.reader([line], delimiter=delimiter), []))
            if width > 1:
                counts[width] = counts.get(width, 0) + 1
        score = max(((lines_with, width) for width, lines_with in counts.items()), default=(0, 0))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(name: str, data: bytes, problems: Problems) -> list[Grid]:
    text, encoding = decode_as(data)
    note = ENCODING_NOTES.get(encoding, "")
    delimiter = sniff_delimiter(text)
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True, skipinitialspace=True)
    next_line = 1  # the line of the file the next record starts on
    try:
        for row in reader:
            rows.append(row)
            next_line = reader.line_num + 1
    except csv.Error as exc:
        # The reader stops on the record it could not finish. A quote opened and never closed (often a file cut
        # off while being copied) swallows the rest of the file, so the record's first line is where it opened.
        where = "" if next_line == len(rows) + 1 else f" (line {next_line} of the file)"
        if "unexpected end of data" in str(exc) or "EOF" in str(exc):
            rule = (f"a quote (\") opens a cell on this row{where} and is never closed, so rcc cannot read the "
                    "file past it: close the quote, or remove it; if the file was cut off, copy it again")
        else:
            rule = (f"cannot be read past this row{where} ({exc}): a cell in quotes has more text after its "
                    "closing quote; put the whole cell in quotes, writing a quote inside it as \"\"")
        problems.add(name, len(rows) + 1, "", "", rule)
    if delimiter != ",":
        note = "; ".join(filter(None, [note, f"columns separated by {delimiter!r}"]))
    return [Grid(name, "", rows, note, encoding, delimiter)]


# --- finding the table ------------------------------------------------------------------------------------

def find_header(grid: Grid, is_header: Callable[[list[str]], bool],
                search_rows: int = HEADER_SEARCH_ROWS) -> int | None:
    """Index in grid.rows of the first row (among the first `search_rows`) that `is_header` accepts; the row is
    given as header keys (see header_key)."""
    for index, row in enumerate(grid.rows[:search_rows]):
        if is_header([header_key(c) for c in row]):
            return index
    return None


def table_under(grid: Grid, header_index: int, problems: Problems, drop_blank_rows: bool = True,
                strict: bool = False) -> Table:
    """The records below the header as text columns; rows of bare delimiters (Excel's trailing ',,,') dropped.
    A header cell that is blank gets the name `column_N` (its spreadsheet column number); a name used twice keeps
    both copies (`name`, `name (2)`) and is an issue naming both columns, since which one is meant cannot be told.

    `strict` (a council's own input rather than a publication): names differing only in case are the same name,
    and a repeated name or a row wider than the header is an error, not a warning that rcc reads the first copy
    or ignores the extra cells."""
    severity = "error" if strict else "warning"
    header = [clean_header(c) for c in grid.rows[header_index]]
    names: list[str] = []
    first_at: dict[str, int] = {}  # a name's key -> its first column's position
    used = {"_row"}
    for position, cell in enumerate(header, start=1):
        base = cell or f"column_{position}"
        key = header_key(base) if strict else base
        if key in first_at:
            first = first_at[key]
            same = "the same name" if header[first - 1] == base else "the same name but for capitals"
            problems.add(grid.file, header_index + 1, header[first - 1], base,
                         f"columns {column_letter(first)} ('{header[first - 1]}') and {column_letter(position)} "
                         f"('{base}') have {same}: " + ("rcc reads the first" if not strict else
                                                        "delete or rename one (rcc cannot tell which is meant)"),
                         severity=severity)
        else:
            first_at[key] = position
        name, copy = base, 1
        while (header_key(name) if strict else name) in used:
            copy += 1
            name = f"{base} ({copy})"
        used.add(header_key(name) if strict else name)
        names.append(name)
    width = len(names)
    records, row_numbers = [], []
    for index in range(header_index + 1, len(grid.rows)):
        row = grid.rows[index]  # cells are text (a CSV's, or a workbook's through _cell_text)
        if drop_blank_rows and not "".join(row).strip():
            continue
        if len(row) != width:
            extra = [c for c in row[width:] if c.strip()]
            if extra:
                problems.add(grid.file, index + 1, "", extra[0], f"this row has {len(row)} cells but the header "
                             f"has {width}: " + ("the cells beyond the header are ignored" if not strict else
                                                 "is a comma inside a value? Put that value in double quotes, or "
                                                 "delete the cells beyond the last column"), severity=severity)
            row = (list(row[:width]) + [""] * (width - len(row)))[:width]
        records.append(row)
        row_numbers.append(index + 1)
    block = pd.DataFrame(records, columns=range(width)) if records else pd.DataFrame(columns=range(width))
    frame = pd.DataFrame({name: _shared_texts(block[position].to_numpy(dtype=object))
                          for position, name in enumerate(names)}, index=pd.RangeIndex(len(records)))
    frame["_row"] = pd.array(row_numbers, dtype="Int64")
    return Table(grid, header_index + 1, frame)


def _shared_texts(column: np.ndarray) -> np.ndarray:
    """A column's cells stripped, each text held once however many cells repeat it (as pandas' own CSV parser
    does): string operations on the column are then several times faster, and each distinct text is stripped
    once."""
    codes, uniques = pd.factorize(column)
    stripped = np.array([text.strip() for text in uniques], dtype=object)
    return stripped[codes] if len(codes) else np.array([], dtype=object)


def column_letter(position: int) -> str:
    """A spreadsheet's name for the column at 1-based `position`: A, B, ..., Z, AA, ..."""
    letters = ""
    while position > 0:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


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
