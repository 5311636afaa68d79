"""Fuzzing the region loaders: whatever bytes a region's CSV files or its workbook hold, `read_region` answers with
a region or an issues table (errors naming a file), never a traceback.

The inputs are random bytes and mutations of the valid region's own bytes (cut short, bytes flipped, quotes,
delimiters, NULs, line breaks and byte-order marks inserted, lines repeated or dropped), odd cell values put into
real rows (infinities, 30-digit numbers, impossible dates), and the same for a workbook of the valid region.
Derandomized and without an example database, so every run tries the same inputs.
"""

from __future__ import annotations

import functools
import io
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.load import read_region
from data.problems import COLUMNS, SEVERITIES
from data.schema import TABLES

VALID = Path(__file__).parent / "fixtures" / "valid-region"
TODAY = date(2026, 11, 22)
FILES = sorted(p.name for p in VALID.glob("*.csv"))
# Each CSV example reads a whole region (about 0.1 s on a slow machine); a damaged workbook is mostly refused at once.
CSV_FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BOOK_FUZZ = settings(CSV_FUZZ, max_examples=120)
TYPED_FUZZ = settings(CSV_FUZZ, max_examples=40)  # each example writes a workbook

HISTORY_FILES = ("header.csv", "episodes.csv", "uasc.csv", "dol_orders.csv")
INSERTS = [b'"', b",", b";", b"\t", b"\x00", b"\n", b"\r", b"\r\n", b'""', b",,,,", b"\xff", b"\xef\xbb\xbf",
           b"\xff\xfe", b"\xe9", b"\xc3"]
ODD_CELLS = ["inf", "-inf", "nan", "NaN", "1e30", "-1e30", "1e309", "123456789012345678901234567890", "-0", "-1",
             "0", "501", "26", "0.5",
             "0x1F", "1,2", "£", "£-5", "2026-02-30", "0001-01-01", "31/12/9999", "99/99/9999", "true;false",
             ";;", " ", '"', "E08000003;E08000001", "\u00e9\u00a3", "\x00", "=1+1", "SC100001", "C0001", "R0001"]


def _check(answer) -> None:
    """A region whose only errors are on records of the SSDA903 history (each naming its row: the forecast leaves
    those children out), or None with at least one other error; every issue names a file and a rule."""
    region, issues = answer
    assert list(issues.columns) == COLUMNS
    assert set(issues["severity"]) <= set(SEVERITIES)
    errors = issues[issues["severity"].eq("error")]
    sheet = errors["file"].astype(str).str.extract(r"\[(\w+)\]$")[0].fillna("") + ".csv"
    history = (errors["file"].isin(HISTORY_FILES) | sheet.isin(HISTORY_FILES)) & errors["row"].notna()
    assert (region is None) == bool((~history).any()), issues.to_string()
    assert issues["file"].astype(str).str.len().gt(0).all() and issues["rule"].astype(str).str.len().gt(0).all()


def _read_with(file: str, data: bytes):
    """read_region on a copy of the valid region with one file's bytes replaced."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(shutil.copytree(VALID, Path(scratch) / "region"))
        (folder / file).write_bytes(data)
        return read_region(folder, today=TODAY)


def _read_book(data: bytes):
    with tempfile.TemporaryDirectory() as scratch:
        book = Path(scratch) / "region.xlsx"
        book.write_bytes(data)
        return read_region(book, today=TODAY)


@functools.cache
def _valid_book() -> bytes:
    """The valid region as one workbook, a sheet per table (as test_validation builds it)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for table in (t for t in TABLES.values() if (VALID / t.file_name).exists()):
            frame = pd.read_csv(VALID / table.file_name, dtype=str, keep_default_na=False)
            frame.to_excel(writer, sheet_name=table.name, index=False)
    return buffer.getvalue()


@st.composite
def _mutated(draw, original: bytes) -> bytes:
    """The bytes with a few edits: cut, flip, insert, delete, repeat a slice."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "flip", "insert", "delete", "repeat"]))
        if kind == "cut":
            del data[at:]
        elif kind == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(INSERTS) | st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 200))]
    return bytes(data)


@st.composite
def _file_and_mutation(draw) -> tuple[str, bytes]:
    file = draw(st.sampled_from(FILES))
    return file, draw(_mutated((VALID / file).read_bytes()))


@st.composite
def _odd_cells(draw) -> tuple[str, bytes]:
    """A valid file with a few cells replaced by odd values (or any text), so the parsers and the cross-table
    checks meet them rather than the reader alone."""
    file = draw(st.sampled_from(FILES))
    rows = (VALID / file).read_text(encoding="utf-8").splitlines()
    cells = [row.split(",") for row in rows]  # the fixture's cells hold no quoted commas
    for _ in range(draw(st.integers(1, 4))):
        row = draw(st.integers(0, len(cells) - 1))
        column = draw(st.integers(0, len(cells[row]) - 1))
        cells[row][column] = draw(st.sampled_from(ODD_CELLS) | st.text(max_size=12))
    text = "\n".join(",".join(row) for row in cells) + "\n"
    return file, text.encode("utf-8", errors="surrogatepass")


TYPED_CELLS = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.datetimes(datetime(1900, 3, 1), datetime(9999, 12, 31)), st.dates(date(1900, 3, 1), date(9999, 12, 31)),
    st.sampled_from(ODD_CELLS[:-5] + ["=1/0", "=A1", "#N/A"]), st.none(),
    st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=12))


@st.composite
def _typed_book(draw) -> bytes:
    """The valid region's workbook with a few cells holding typed values (huge integers and floats, booleans,
    dates from 1900 to 9999, formulas, any text) as Excel stores them, not as text."""
    from openpyxl import Workbook

    sheets = {name: [row.split(",") for row in (VALID / file).read_text(encoding="utf-8").splitlines()]
              for file, name in ((f, f.removesuffix(".csv")) for f in FILES)}
    for _ in range(draw(st.integers(1, 5))):
        rows = sheets[draw(st.sampled_from(sorted(sheets)))]
        row = rows[draw(st.integers(0, len(rows) - 1))]
        row[draw(st.integers(0, len(row) - 1))] = draw(TYPED_CELLS)
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@CSV_FUZZ
@given(st.sampled_from(FILES), st.binary(max_size=600))
def test_any_bytes_in_a_csv_file(file, data):
    """Random bytes in place of one CSV file: a region or an issues table, never a traceback."""
    _check(_read_with(file, data))


@CSV_FUZZ
@given(_file_and_mutation())
def test_mutations_of_a_real_csv_file(case):
    """The valid region's own bytes, cut, flipped, with quotes, delimiters and NULs put in: never a traceback."""
    _check(_read_with(*case))


@CSV_FUZZ
@given(_odd_cells())
def test_odd_values_in_real_rows(case):
    """Infinities, 30-digit numbers, impossible dates and any text in real rows: never a traceback."""
    _check(_read_with(*case))


@BOOK_FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_as_a_workbook(data):
    """Random bytes named region.xlsx (and a zip header with garbage after it): one error, never a traceback."""
    _check(_read_book(data))
    _check(_read_book(b"PK\x03\x04" + data))


@BOOK_FUZZ
@given(st.data())
def test_mutations_of_a_real_workbook(data):
    """The valid region's workbook cut short or with bytes changed: a region or an error, never a traceback."""
    _check(_read_book(data.draw(_mutated(_valid_book()))))


@TYPED_FUZZ
@given(_typed_book())
def test_typed_cells_in_a_real_workbook(data):
    """Numbers, booleans, dates and formulas stored as such in a workbook's cells: never a traceback."""
    _check(_read_book(data))
