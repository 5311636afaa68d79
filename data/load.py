"""Read a region from a folder of CSVs or one XLSX workbook, parse every cell by its schema, and validate.

`read_region` never stops at the first problem: it parses what it can, records every bad cell in the issues
table and returns both. `load_region` is the strict form the jobs use: it raises one ValidationError listing
every error, and otherwise returns the Region with its warnings attached.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.problems import Problems, ValidationError
from data.region import Region
from data.schema import TABLES, Column, Table
from data.validate import cross_table_checks

TRUE_WORDS = {"true", "t", "yes", "y", "1"}
FALSE_WORDS = {"false", "f", "no", "n", "0"}
XLSX_SUFFIXES = (".xlsx", ".xlsm")


def load_region(path: str | Path, today: date | None = None) -> Region:
    """Load and validate a region; raise ValidationError (listing every error) if any error is found."""
    region, issues = read_region(path, today=today)
    if region is None:
        raise ValidationError(str(path), issues)
    return region


def read_region(path: str | Path, today: date | None = None) -> tuple[Region | None, pd.DataFrame]:
    """Parse and validate; return (Region or None when there are errors, issues table)."""
    path = Path(path)
    today = today or date.today()
    problems = Problems()
    raw_tables, files, digest = _read_raw(path, problems)
    tables = {name: _parse_table(TABLES[name], raw_tables.get(name), files.get(name, TABLES[name].file_name),
                                 problems, today)
              for name in TABLES}
    tables["children"] = _derive_ages(tables["children"], today)
    cross_table_checks(tables, files, problems)
    issues = problems.table()
    if (issues["severity"] == "error").any():
        return None, issues
    region = Region(**tables, source=str(path), input_hash=digest, issues=issues)
    return region, issues


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

def _read_raw(path: Path, problems: Problems) -> tuple[dict[str, pd.DataFrame], dict[str, str], str]:
    """Every table as strings exactly as typed (no type guessing: "007" stays "007"), with its file name."""
    if path.is_file() and path.suffix.lower() in XLSX_SUFFIXES:
        return _read_workbook(path, problems)
    if path.is_dir():
        return _read_folder(path, problems)
    problems.add(str(path), None, "", "", "not found: give a folder of CSV files or one .xlsx workbook")
    return {}, {}, ""


def _read_folder(folder: Path, problems: Problems) -> tuple[dict[str, pd.DataFrame], dict[str, str], str]:
    raw, files, sha = {}, {}, hashlib.sha256()
    for name, table in TABLES.items():
        file = folder / table.file_name
        files[name] = table.file_name
        if not file.exists():
            if not table.optional_table:
                problems.add(table.file_name, None, "", "", f"required file missing from {folder}")
            continue
        content = file.read_bytes()
        sha.update(table.file_name.encode() + b"\0" + content + b"\0")
        try:
            raw[name] = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                    skipinitialspace=True)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            problems.add(table.file_name, None, "", "", f"cannot be read as CSV: {exc}")
    return raw, files, sha.hexdigest()


def _read_workbook(book: Path, problems: Problems) -> tuple[dict[str, pd.DataFrame], dict[str, str], str]:
    sheets = pd.read_excel(book, sheet_name=None, dtype=str, keep_default_na=False)
    by_lower = {s.strip().lower(): s for s in sheets}
    raw, files = {}, {}
    for name, table in TABLES.items():
        files[name] = f"{book.name}[{name}]"
        sheet = by_lower.get(name)
        if sheet is None:
            if not table.optional_table:
                problems.add(files[name], None, "", "", f"required sheet '{name}' missing from the workbook")
            continue
        raw[name] = sheets[sheet]
    return raw, files, hashlib.sha256(book.read_bytes()).hexdigest()


# --- parsing ----------------------------------------------------------------------------------------------

def _parse_table(table: Table, raw: pd.DataFrame | None, file: str, problems: Problems,
                 today: date) -> pd.DataFrame:
    if raw is None:
        raw = pd.DataFrame(columns=table.column_names)
    raw = raw.rename(columns=lambda c: str(c).strip())
    if not table.ssda903:
        raw = raw.rename(columns=lambda c: c.lower())
    for col in table.required_columns:
        if col not in raw.columns and not _satisfied_by_alternative(table, col, raw):
            problems.add(file, None, col, "", "required column missing")
    out = {}
    for column in table.columns:
        text = raw[column.name].astype(str).str.strip() if column.name in raw.columns else \
            pd.Series("", index=raw.index)
        out[column.name] = _parse_column(column, text, file, problems, today)
    extra = [c for c in raw.columns if c not in table.column_names]
    parsed = pd.DataFrame(out, index=pd.RangeIndex(len(raw)))
    for c in extra:  # unknown columns are kept, untouched, and ignored (DATA.md)
        parsed[c] = raw[c].to_numpy()
    return parsed


def _satisfied_by_alternative(table: Table, col: str, raw: pd.DataFrame) -> bool:
    return table.name == "children" and col == "age" and "dob" in raw.columns


def _parse_column(column: Column, text: pd.Series, file: str, problems: Problems, today: date) -> pd.Series:
    blank = text.eq("") | text.str.lower().isin({"nan", "none", "null", "na", "n/a"})
    if column.required and not column.blank_means:
        problems.add_mask(file, blank, column.name, text, "required value is blank")
    parse = {"str": _parse_str, "int": _parse_int, "float": _parse_float, "bool": _parse_bool,
             "date": _parse_date, "list": _parse_list}[column.dtype]
    values = parse(column, text, blank, file, problems)
    _check_range(column, values, file, problems)
    if column.dtype == "date" and column.not_in_future:
        future = values.notna() & (values > pd.Timestamp(today))
        problems.add_mask(file, future, column.name, values, f"date is in the future (after {today.isoformat()})")
    return _fill_default(column, values, blank)


def _parse_str(column: Column, text: pd.Series, blank: pd.Series, file: str, problems: Problems) -> pd.Series:
    values = text.where(~blank, None)
    if column.allowed:
        spelling = {a.lower(): a for a in column.allowed}  # "Private" and "k2" are meant, and accepted
        canon = values.str.lower().map(spelling)
        bad = ~blank & canon.isna()
        problems.add_mask(file, bad, column.name, text, "must be one of: " + ", ".join(column.allowed))
        values = canon
    return values.astype(object)


def _parse_float(column: Column, text: pd.Series, blank: pd.Series, file: str, problems: Problems) -> pd.Series:
    cleaned = text.str.replace(r"^£", "", regex=True).str.replace(",", "", regex=False)
    values = pd.to_numeric(cleaned.where(~blank), errors="coerce")
    bad = ~blank & values.isna()
    problems.add_mask(file, bad, column.name, text, "must be a number")
    return values.astype(float)


def _parse_int(column: Column, text: pd.Series, blank: pd.Series, file: str, problems: Problems) -> pd.Series:
    values = _parse_float(column, text, blank, file, problems)
    fractional = values.notna() & (values != np.floor(values))
    problems.add_mask(file, fractional, column.name, text, "must be a whole number")
    return values.where(~fractional).round().astype("Int64")


def _parse_bool(column: Column, text: pd.Series, blank: pd.Series, file: str, problems: Problems) -> pd.Series:
    lower = text.str.lower()
    bad = ~blank & ~lower.isin(TRUE_WORDS | FALSE_WORDS)
    problems.add_mask(file, bad, column.name, text, "must be true or false (also accepted: yes/no, 1/0)")
    values = pd.Series(pd.NA, index=text.index, dtype="boolean")
    values[lower.isin(TRUE_WORDS)] = True
    values[lower.isin(FALSE_WORDS)] = False
    return values


def _parse_date(column: Column, text: pd.Series, blank: pd.Series, file: str, problems: Problems) -> pd.Series:
    # Excel cells arrive as "2026-11-01 00:00:00"; SSDA903 files may use the DfE's dd/mm/yyyy.
    plain = text.str.replace(r"[ T]00:00:00$", "", regex=True).where(~blank)
    iso = pd.to_datetime(plain, format="%Y-%m-%d", errors="coerce")
    dfe = pd.to_datetime(plain, format="%d/%m/%Y", errors="coerce")
    values = iso.fillna(dfe)
    bad = ~blank & values.isna()
    problems.add_mask(file, bad, column.name, text, "must be a date as YYYY-MM-DD (or DD/MM/YYYY)")
    return values


def _parse_list(column: Column, text: pd.Series, blank: pd.Series, file: str, problems: Problems) -> pd.Series:
    items = text.str.lower().str.split(";").map(lambda parts: tuple(sorted({p.strip() for p in parts} - {""})))
    if column.allowed:
        allowed = set(column.allowed)
        unknown = items.map(lambda t: tuple(i for i in t if i not in allowed))
        bad = unknown.map(bool)
        problems.add_mask(file, bad, column.name, unknown,
                          "unknown item(s); allowed: " + ", ".join(column.allowed))
        items = items.map(lambda t: tuple(i for i in t if i in allowed))
    return items.where(~blank, None).astype(object)


def _check_range(column: Column, values: pd.Series, file: str, problems: Problems) -> None:
    if column.dtype not in ("int", "float"):
        return
    numeric = values.astype(float)
    if column.minimum is not None:
        low = numeric < column.minimum
        rule = "must not be negative" if column.minimum == 0 else f"must be at least {column.minimum:g}"
        problems.add_mask(file, low.fillna(False), column.name, values, rule)
    if column.maximum is not None:
        high = numeric > column.maximum
        problems.add_mask(file, high.fillna(False), column.name, values, f"must be at most {column.maximum:g}")


def _fill_default(column: Column, values: pd.Series, blank: pd.Series) -> pd.Series:
    if column.default is None:
        return values
    if column.dtype == "list":
        return values.map(lambda v: column.default if v is None else v).astype(object)
    filled = values.copy()
    filled[blank | filled.isna()] = column.default
    if column.dtype == "bool":
        return filled.astype(bool)
    return filled
