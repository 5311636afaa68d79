"""A council's SSDA903 returns, one or many years, as a region's history: found, read, given their council,
parsed by the schema file by file (so that every problem names the council's own file and row), checked against
the DfE's rules return by return, and merged (merge.py).

`read_history` is what `rcc import-903` and a region folder holding returns (`rcc validate`, `rcc forecast`) share.
The merged tables keep, for every record, the file and row it came from (`_file`, `_row`): a problem found in the
history afterwards (an episode before the child's birth, an overlap) is reported there, by `relocate`, not on a
row of a merged table nobody has seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.authorities import register
from data.problems import FIRST_RECORD_ROW, Problems
from data.ssda903.merge import YEAR, Return, collection_year, merge_returns
from data.ssda903.returns import KEPT, RawTable, excel_serials, find_returns, read_returns

# The cells whose text as written the DfE's rules look at (a date that cannot be read is not a blank one).
RAW_KEPT = ("SEX", "DOB", "DECOM", "DEC", "RNE", "LS", "PLACE", "PLACE_PROVIDER", "REC", "DOLO_START", "DOLO_END")
# The names problems on a merged table are first recorded under, before `relocate` sends each to its own file.
MERGED = {name: f"<merged {name}>" for name in KEPT}
NO_COUNCIL = ("a council's own SSDA903 return has no council column (every row is that council's): say which "
              "council it is, `rcc import-903 PATH --la CODE --out REGION` (an ONS code such as E08000003, the "
              "DfE's number or the council's name), or put authorities.csv with that one council beside the "
              "returns")


@dataclass
class History:
    """The merged history (header, episodes, uasc, dol_orders; typed, with `_file`, `_row`, LA and RETURN_YEAR),
    the councils it covers (as authorities.csv rows from rcc's register), one line per return read, what merging
    did, and the files found but not used."""
    tables: dict[str, pd.DataFrame]
    authorities: pd.DataFrame
    returns: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    not_kept: list[str] = field(default_factory=list)
    records: pd.DataFrame | None = None  # file, row, CHILD of every record read, merged away or not


def holds_returns(folder: Path) -> bool:
    """A folder holding SSDA903 returns as councils hold them rather than a region's history: returns named or
    foldered by year, an XML return, a DoLo.csv, or a header.csv or episodes.csv without a council column."""
    files, _ = find_returns([folder], Problems())
    if any(f.label or f.table in ("*", "dol_orders") for f in files):
        return True
    for name in ("header.csv", "episodes.csv"):
        path = folder / name
        if path.is_file():
            with open(path, encoding="utf-8-sig", errors="replace") as handle:
                first = handle.readline()
            columns = {c.strip().strip('"').upper() for c in re.split(r"[,;\t|]", first)}
            if "LA" not in columns and {"CHILD"} & columns:
                return True
    return False


def read_history(paths: list[Path], la: str | None, problems: Problems, today: date | None = None) -> History | None:
    """The returns under `paths` as one history (see the module's docstring); None when there is none to merge
    (the problems say why). `la` is the council of a return without a council column."""
    from data.load import parse_records
    from data.schema import TABLES
    from data.ssda903.rules import check_return

    today = today or date.today()
    files, ignored = find_returns(paths, problems)
    raws = read_returns(files, problems)
    if (problems.table()["severity"] == "error").any():
        return None
    if not any("episodes" in r.tables for r in raws):
        where = ", ".join(str(p) for p in paths)
        problems.add(where, None, "", "", "holds no SSDA903 episodes: a return's files are named header.csv, "
                     "episodes.csv, uasc.csv, ... (or 2019-episodes.csv, 2019/episodes.csv), or are the DfE's XML")
        return None
    code = None
    if la:
        code = council_code(la)
        if not code:
            problems.add("--la", None, "LA", la, "not a council rcc knows: give its ONS code (e.g. E08000003), the "
                         "DfE's three-digit number or its name")
            return None
    parsed: list[Return] = []
    missing_said = False
    for raw in raws:
        tables = {}
        for name, table in raw.tables.items():
            frame = _with_council(table, code, problems, missing_said)
            if frame is None:
                missing_said = True
                continue
            frame = excel_serials(frame) if table.workbook else frame
            frame = frame.assign(**{f"_raw_{c}": frame[c] for c in RAW_KEPT if c in frame.columns})
            tables[name] = parse_records(TABLES[name], frame, table.file, problems, today)
        if "episodes" not in tables:
            continue
        year = collection_year(tables["episodes"]) or _label_year(raw.label)
        check_return(tables, year, problems)
        tables = {n: t.drop(columns=[c for c in t.columns if c.startswith("_raw_")]) for n, t in tables.items()}
        parsed.append(Return(year, raw.label, tables))
    if not parsed:
        return None
    records = record_children({f"{i}.{n}": t for i, r in enumerate(parsed) for n, t in r.tables.items()}, {})
    merged = merge_returns(parsed, problems)
    tables = {name: merged.tables.get(name, _empty(name)) for name in KEPT}
    councils = sorted(set(tables["episodes"]["LA"].dropna()) | set(tables["header"]["LA"].dropna()))
    lines = []
    for ret in sorted(parsed, key=lambda r: (r.year, r.label)):
        episodes = ret.tables["episodes"]
        lines.append({"year": ret.year, "label": ret.label,
                      "files": sorted({*episodes["_file"], *(t["_file"].iloc[0] for t in ret.tables.values()
                                                               if len(t))}),
                      "children": int(episodes["CHILD"].nunique()), "episodes": len(episodes)})
    return History(tables, authorities_of(councils), lines, merged.counts, ignored,
                   sorted({f for r in raws for f in r.not_kept}), records)


def _label_year(label: str) -> int:
    return int(label[:4]) + 1 if label[:4].isdigit() else 0


def _with_council(table: RawTable, code: str | None, problems: Problems, said: bool) -> pd.DataFrame | None:
    """The table with LA holding ONS codes: from its council column (codes, DfE numbers or names), else `code`;
    None, after one problem for the whole history, when neither says."""
    frame = table.frame
    if "LA" not in frame.columns:
        if code is None:
            if not said:
                problems.add(table.file, None, "LA", "", NO_COUNCIL)
            return None
        return frame.assign(LA=code)
    values = frame["LA"].astype(str).str.strip()
    mapped = {v: council_code(v) for v in values.unique() if v}
    for value in sorted(v for v, c in mapped.items() if not c):
        at = int(np.flatnonzero(values.eq(value).to_numpy())[0])
        count = int(values.eq(value).sum())
        problems.add(table.file, int(frame["_row"].iloc[at]), "LA", value,
                     f"not a council rcc knows ({count} row{'s' if count > 1 else ''}): an ONS code (E08000003), "
                     "the DfE's three-digit number (352) or the council's name")
    return frame.assign(LA=values.map(lambda v: mapped.get(v) or v))


def council_code(value: str) -> str:
    """The ONS code of a council given as its code, the DfE's number or its name; '' when none is found."""
    known = register()
    value = str(value).strip()
    if not value:
        return ""
    if known.known(pd.Series([value.upper()])).iloc[0]:
        return value.upper()
    table = known.table
    number = table[(table["old_la_code"] == value.lstrip("0").rjust(3, "0")) & table["valid_to"].eq("")]
    if len(number):
        return str(number["la_code"].iloc[0])
    return known.match_name(value).la_code


def authorities_of(codes: list[str]) -> pd.DataFrame:
    """authorities.csv rows for councils, from rcc's register (name and label point)."""
    known = register()
    rows = [{"la_code": c, "la_name": known.name(c), "lat": float(known.row(c)["lat"]),
             "lon": float(known.row(c)["lon"])} for c in codes if known.known(pd.Series([c])).iloc[0]]
    return pd.DataFrame(rows, columns=["la_code", "la_name", "lat", "lon"])


def _empty(name: str) -> pd.DataFrame:
    from data.load import parse_records
    from data.schema import TABLES

    return parse_records(TABLES[name], None, MERGED[name], Problems(), date.today()).assign(
        _file=pd.Series(dtype=object), _row=pd.Series(dtype="Int64"), **{YEAR: pd.Series(dtype="Int64")})


def check_region_history(tables: dict[str, pd.DataFrame], files: dict[str, str], problems: Problems) -> None:
    """The DfE's rules on a region's history written by `rcc import-903` (RETURN_YEAR says which return each record
    is from): each year's records checked as that year's return, findings on the region's own files and rows."""
    from data.ssda903.rules import check_return

    episodes = tables["episodes"]
    if YEAR not in episodes.columns or episodes.empty:
        return
    years = pd.to_numeric(episodes[YEAR], errors="coerce")
    for year in sorted(set(years.dropna().astype(int))):
        subset = {}
        for name in KEPT:
            frame = tables[name]
            if frame.empty:
                subset[name] = frame.assign(_file=pd.Series(dtype=object), _row=pd.Series(dtype="Int64"))
                continue
            mine = pd.to_numeric(frame[YEAR], errors="coerce").eq(year) if YEAR in frame.columns \
                else pd.Series(True, index=frame.index)
            part = frame[mine.to_numpy()]
            subset[name] = part.assign(_file=files.get(name, name), _row=part.index.to_numpy() + FIRST_RECORD_ROW)
        check_return(subset, year, problems)


def relocate(issues: pd.DataFrame, tables: dict[str, pd.DataFrame], names: dict[str, str]) -> pd.DataFrame:
    """Problems recorded on a merged table (file `names[table]`, row = a record's index label + 2, as the
    region's checks and the forecast's preparation number them) moved to the file and row the record came from."""
    if issues.empty:
        return issues
    issues = issues.copy()
    for name, shown in names.items():
        frame = tables.get(name)
        if frame is None or "_file" not in frame.columns:
            continue
        hit = issues["file"].eq(shown) & issues["row"].notna()
        if not hit.any():
            continue
        labels = pd.Index(issues.loc[hit, "row"].astype(int).to_numpy() - FIRST_RECORD_ROW)
        known = labels.isin(frame.index)
        index = issues.index[hit][known]
        source = frame.loc[labels[known], ["_file", "_row"]]
        issues.loc[index, "file"] = source["_file"].to_numpy()
        issues.loc[index, "row"] = pd.array(source["_row"].to_numpy(), dtype="Int64")
    # A council already reported as unknown on its own row (history._with_council) is not reported again, once
    # moved there, as an id the merged table's authorities do not hold.
    errors = issues["severity"].eq("error") & issues["row"].notna()
    place = issues["file"] + "|" + issues["row"].astype(str) + "|" + issues["column"]
    looked_up = errors & issues["rule"].str.startswith("unknown id:")
    said = set(place[errors & ~looked_up])
    return issues[~(looked_up & place.isin(said))].reset_index(drop=True)


def record_children(tables: dict[str, pd.DataFrame], files: dict[str, str]) -> pd.DataFrame:
    """file, row, CHILD of every record of the history (each return's own, or the region's file and row): which
    child a problem on a record is about, so that the forecast can leave out the children whose records have
    errors."""
    parts = []
    for name, frame in tables.items():
        if frame is None or frame.empty or "CHILD" not in frame.columns:
            continue
        if "_file" in frame.columns:
            parts.append(pd.DataFrame({"file": frame["_file"].to_numpy(), "row": frame["_row"].to_numpy(),
                                       "CHILD": frame["CHILD"].to_numpy()}))
        else:
            parts.append(pd.DataFrame({"file": files.get(name, name), "row": frame.index.to_numpy() + FIRST_RECORD_ROW,
                                       "CHILD": frame["CHILD"].to_numpy()}))
    if not parts:
        return pd.DataFrame({"file": pd.Series(dtype=object), "row": pd.Series(dtype="Int64"),
                             "CHILD": pd.Series(dtype=object)})
    out = pd.concat(parts, ignore_index=True)
    out["row"] = out["row"].astype("Int64")
    return out
