"""The files of a council's SSDA903 returns, found and read as text, each record with its file and row.

A return is the DfE's set of tables for one collection year (1 April to 31 March): header.csv, episodes.csv,
uasc.csv, reviews.csv, missing.csv, oc2.csv, oc3.csv, ad1.csv, placed_for_adoption.csv, previous_permanence.csv,
sw_episodes.csv and, from 2026/27, DoLo.csv (deprivation-of-liberty orders), or the same as the DfE's XML
(`<EXPSSDA903>`: a CHILD element per child, its HEADER and EPISODEs), or a workbook with a sheet per table.
Analysts keep several years side by side, named by year (`2019-episodes.csv`, `episodes_2019.csv`) or in a
folder a year (`2019/episodes.csv`, `2019-20/episodes.csv`). A regional extract stacks several councils' returns
in one file with a council column (LA, LA_CODE, LA_NAME or COUNCIL: an ONS code, the DfE's three-digit number or
the council's name).

rcc keeps what forecasting and matching use: header, episodes, uasc and the DoL orders. The other DfE tables are
recognised (so nothing is reported as an unknown file) and not read. Columns are read whatever their case; the
XML's CHILDID and PL are CHILD and PLACE. SEX M and F are read as the DfE's 1 and 2 (U stays U, and is reported
by rule 101). Dates may be DD/MM/YYYY (the DfE's), YYYY-MM-DD, DD-MM-YYYY, or in a workbook a date cell or an
Excel serial number.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from data.problems import Problems
from data.public.tabular import grids_from_bytes, looks_like_workbook, read_bytes

# The DfE's table names (file stems, sheet names, lower case) -> rcc's table, or "" for a table rcc does not keep.
DFE_TABLES = {
    "header": "header", "episodes": "episodes", "uasc": "uasc", "dolo": "dol_orders",
    "reviews": "", "missing": "", "oc2": "", "oc3": "", "ad1": "", "placed_for_adoption": "",
    "previous_permanence": "", "sw_episodes": "", "placedadoption": "", "prevperm": "", "swepisodes": "",
}
KEPT = ("header", "episodes", "uasc", "dol_orders")
DFE_FILE = {"header": "header", "episodes": "episodes", "uasc": "uasc", "dol_orders": "DoLo"}
COUNCIL_COLUMNS = ("LA", "LA_CODE", "LA_NAME", "LOCAL_AUTHORITY", "COUNCIL", "LA_NUMBER")
XML_NAMES = {"CHILDID": "CHILD", "PL": "PLACE"}
DATE_COLUMNS = ("DOB", "DECOM", "DEC", "DUC", "DOLO_START", "DOLO_END", "MC_DOB")
SEX_SPELLINGS = {"m": "1", "male": "1", "1": "1", "f": "2", "female": "2", "2": "2", "u": "U", "unknown": "U"}
YEAR_LABEL = r"(?:19|20)\d\d(?:[-_/](?:\d\d|(?:19|20)\d\d))?"
EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's 1900 date system (as its 1900 leap-day bug makes it)
SUFFIXES = (".csv", ".xml", ".xlsx", ".xlsm", ".xls", ".ods")


@dataclass
class ReturnFile:
    """One file (or one XML, or one workbook) of a return: where it is, what it holds, the year in its name."""
    path: Path
    shown: str  # how problems name it: "2019-episodes.csv", "2019/episodes.csv", "fake_903.xml"
    table: str  # rcc's table ("header", ...), "" for a DfE table rcc does not keep, "*" for XML and workbooks
    label: str  # the year in its name or its folder's ("2019", "2019-20"), "" when none
    group: str  # files of one return share this: their folder and label


@dataclass
class RawTable:
    """One table of one return as text, with each record's file and row (`_file`, `_row`)."""
    table: str
    file: str
    frame: pd.DataFrame
    workbook: bool = False  # cells from a workbook: a bare number in a date column is an Excel serial


@dataclass
class RawReturn:
    group: str
    label: str
    tables: dict[str, RawTable] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    not_kept: list[str] = field(default_factory=list)  # DfE tables found and not needed


def table_of(stem: str) -> tuple[str, str] | None:
    """(label, DfE table key) of a file stem such as '2019-episodes', 'episodes_2019-20' or 'Header'; None when
    the stem names no DfE table."""
    s = stem.strip().lower()
    if s in DFE_TABLES:
        return "", s
    m = re.fullmatch(rf"({YEAR_LABEL})[-_ ]+(.+)", s) or re.fullmatch(rf"(.+?)[-_ ]+({YEAR_LABEL})", s)
    if not m:
        return None
    label, rest = (m.group(1), m.group(2)) if m.group(1)[:1].isdigit() else (m.group(2), m.group(1))
    return (label, rest) if rest in DFE_TABLES else None


def folder_label(folder: Path) -> str:
    return folder.name if re.fullmatch(YEAR_LABEL, folder.name.strip()) else ""


def find_returns(paths: list[Path], problems: Problems) -> tuple[list[ReturnFile], list[str]]:
    """The return files under `paths` (files, or folders and their year subfolders), and the files ignored
    there (not a DfE table's name)."""
    found: list[ReturnFile] = []
    ignored: list[str] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            problems.add(str(path), None, "", "", "not found: give the files of a return, or the folder they are in")
            continue
        if path.is_dir():
            base = path
            candidates = sorted(p for p in path.iterdir() if p.is_file())
            for sub in sorted(p for p in path.iterdir() if p.is_dir()):
                candidates += sorted(p for p in sub.iterdir() if p.is_file())
        else:
            base, candidates = path.parent, [path]
        for file in candidates:
            entry = _return_file(file, base)
            if entry is None:
                if not file.name.startswith("."):
                    ignored.append(_shown(file, base))
            else:
                found.append(entry)
    return found, ignored


def _shown(file: Path, base: Path) -> str:
    try:
        return str(file.relative_to(base))
    except ValueError:
        return file.name


def _return_file(file: Path, base: Path) -> ReturnFile | None:
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES:
        return None
    folder = folder_label(file.parent) if file.parent != base else ""
    shown = _shown(file, base)
    if suffix == ".xml":
        label = table_of(file.stem)
        year = label[0] if label else (re.search(YEAR_LABEL, file.stem) or [""])[0]
        return ReturnFile(file, shown, "*", year or folder, f"{file.parent}|{year or folder}")
    if suffix != ".csv":
        return ReturnFile(file, shown, "*", folder, f"{file}") if _workbook_return(file) else None
    parts = table_of(file.stem)
    if parts is None:
        return None
    label, key = parts
    label = label or folder
    return ReturnFile(file, shown, DFE_TABLES[key], label, f"{file.parent}|{label}")


def _workbook_return(file: Path) -> bool:
    """A workbook is a return when one of its sheets is named after a DfE table (Ofsted's lists are not)."""
    try:
        from python_calamine import CalamineWorkbook

        names = CalamineWorkbook.from_path(str(file)).sheet_names
    except Exception:  # noqa: BLE001  (a damaged or password-protected workbook is simply not a return)
        return False
    return any(table_of(n) is not None and DFE_TABLES[table_of(n)[1]] in KEPT for n in names)


def read_returns(files: list[ReturnFile], problems: Problems) -> list[RawReturn]:
    """Each return's kept tables as text; a file that cannot be read is one problem naming it."""
    from data.load import read_records
    from data.schema import TABLES

    groups: dict[str, RawReturn] = {}
    members: dict[str, list[ReturnFile]] = {}
    for f in files:
        members.setdefault(f.group, []).append(f)
    for group, mine in members.items():
        xml = [f.shown for f in mine if f.path.suffix.lower() == ".xml"]
        if xml and len(xml) < len(mine):
            problems.add(xml[0], None, "", "", "this folder holds a return as CSV files and another as XML ("
                         + ", ".join(xml) + "): say which is meant by naming its files, e.g. `rcc import-903 "
                         "FOLDER/*.csv` or `rcc import-903 FOLDER/" + Path(xml[0]).name + "`")
            continue
        ret = groups.setdefault(group, RawReturn(group, mine[0].label))
        for f in mine:
            _read_file(f, ret, problems, read_records, TABLES)
    return [groups[g] for g in groups]


def _read_file(f: ReturnFile, ret: RawReturn, problems: Problems, read_records, tables) -> None:
    ret.files.append(f.shown)
    if f.table == "":
        ret.not_kept.append(f.shown)
        return
    data = read_bytes(f.path, problems, f.shown, "save it again from the system that made it")
    if data is None:
        return
    if f.path.suffix.lower() == ".xml":
        for raw in _read_xml(f.shown, data, problems).values():
            _add(ret, raw, problems)
        return
    workbook = looks_like_workbook(data)
    scratch = Problems()
    grids = grids_from_bytes(f.shown, data, scratch, workbook=workbook)
    problems.extend(scratch)
    if not scratch.table().empty and not workbook:
        return
    sheets = [(g, DFE_TABLES.get((table_of(g.sheet) or ("", ""))[1], "")) for g in grids] if workbook \
        else [(grids[0], f.table)] if grids else []
    for grid, table in sheets:
        if table not in KEPT:
            continue
        records = read_records(tables[table], grid, problems)
        if records is None:
            continue
        rows = problems.rows(grid.file, np.arange(len(records)))
        frame = _normalise(records).assign(_file=grid.file, _row=rows)
        _add(ret, RawTable(table, grid.file, frame, workbook), problems)


def _add(ret: RawReturn, raw: RawTable, problems: Problems) -> None:
    if raw.table in ret.tables:
        problems.add(raw.file, None, "", "", f"a second {raw.table} table for the same return as "
                     f"{ret.tables[raw.table].file}: give each year's files once (one of them is a copy?)")
        return
    ret.tables[raw.table] = raw


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names as the DfE's (upper case; XML's CHILDID and PL; a council column as LA) and SEX as 1/2/U."""
    names = {}
    for c in frame.columns:
        name = str(c).strip().upper().replace(" ", "_")
        name = XML_NAMES.get(name, name)
        if name in COUNCIL_COLUMNS:
            name = "LA"
        names[c] = name
    frame = frame.rename(columns=names)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    if "SEX" in frame.columns:
        frame["SEX"] = [SEX_SPELLINGS.get(str(v).strip().lower(), v) for v in frame["SEX"]]
    return frame


def excel_serials(frame: pd.DataFrame) -> pd.DataFrame:
    """A workbook's date cells typed as numbers (Excel's serial days, 45017 for 1 April 2023) as ISO dates."""
    frame = frame.copy()
    for column in DATE_COLUMNS:
        if column not in frame.columns:
            continue
        text = frame[column].astype(str)
        serial = text.str.fullmatch(r"\d{4,5}(\.0+)?")
        if serial.any():
            days = text[serial].astype(float).astype(int)
            ok = days.between(1, 2958465)
            frame.loc[serial[serial].index[ok], column] = [
                (EXCEL_EPOCH + timedelta(days=int(d))).isoformat() for d in days[ok]]
    return frame


# --- the DfE's XML ----------------------------------------------------------------------------------------

def _read_xml(shown: str, data: bytes, problems: Problems) -> dict[str, RawTable]:
    """The header, episodes and uasc tables of an `<EXPSSDA903>` file. A record's row is its place among its kind
    (the 3rd CHILD's header is row 3, the 10th EPISODE row 10): an XML file has no rows to point at."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        problems.add(shown, None, "", "", f"cannot be read as XML ({exc}): save it again from the system that "
                     "made it")
        return {}
    header, episodes, uasc, dolo = [], [], [], []
    for child in root.iter("CHILD"):
        head = child.find("HEADER")
        fields = {XML_NAMES.get(n.tag, n.tag): (n.text or "").strip() for n in (head if head is not None else [])
                  if len(n) == 0}
        header.append(fields)
        if fields.get("UASC", "") not in ("", "0") or fields.get("DUC", ""):
            uasc.append({k: fields.get(k, "") for k in ("CHILD", "SEX", "DOB", "DUC")})
        for episode in child.iter("EPISODE"):
            row = {XML_NAMES.get(n.tag, n.tag): (n.text or "").strip() for n in episode if len(n) == 0}
            episodes.append({"CHILD": fields.get("CHILD", ""), **row})
        # The 2026/27 XML's element for an order is taken to be DOLO, as the CSV's table is named (no XML of
        # that year was at hand to check it against).
        for order in child.iter("DOLO"):
            row = {n.tag: (n.text or "").strip() for n in order if len(n) == 0}
            dolo.append({"CHILD": fields.get("CHILD", ""), "DOB": fields.get("DOB", ""), **row})
    if root.tag != "EXPSSDA903" and not header:
        problems.add(shown, None, "", "", f"is not an SSDA903 return: its root element is <{root.tag}>, not "
                     "<EXPSSDA903>")
        return {}
    out = {}
    for name, records in (("header", header), ("episodes", episodes), ("uasc", uasc), ("dol_orders", dolo)):
        if not records and name != "header":
            continue
        file = f"{shown}[{name}]"
        frame = _normalise(pd.DataFrame(records).fillna("").astype(str))
        rows = np.arange(1, len(frame) + 1)
        problems.number_rows(file, rows)
        out[name] = RawTable(name, file, frame.assign(_file=file, _row=rows))
    return out
