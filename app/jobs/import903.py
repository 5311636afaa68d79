"""The import job: a council's SSDA903 returns, one or many years, as they hold them (CSV, the DfE's XML or a
workbook; one council's, or a regional extract stacking several), read, checked by the DfE's rules return by
return and merged into a region's history (data/ssda903). The job writes no file: `rcc import-903` writes the
region's header.csv, episodes.csv, uasc.csv, dol_orders.csv, authorities.csv (when the region has none) and
import_issues.csv (`write_import`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from data.problems import Problems
from data.schema import TABLES
from data.ssda903.history import MERGED, History, read_history, relocate
from data.ssda903.returns import KEPT
from data.ssda903.rules import prefer_rules

ISSUES_FILE = "import_issues.csv"


@dataclass(frozen=True)
class ImportResult:
    history: History | None
    issues: pd.DataFrame
    job: str = field(default="import-903", init=False)

    @property
    def usable(self) -> bool:
        from data.load import usable

        if self.history is None:
            return False
        files = {f for name in KEPT for f in self.history.tables[name]["_file"].dropna().unique()}
        return usable(self.issues, files)


def import_903(paths: list[Path], la: str | None = None, today: date | None = None) -> ImportResult:
    """Read, check and merge the returns under `paths` (see data/ssda903); every problem in the issues table, on
    the council's own file and row. The checks a region's history gets when it is loaded (ids across tables,
    episodes ending before they start) are made here too, so the region written validates the same."""
    from data.load import parse_records
    from data.validate import cross_table_checks

    problems = Problems()
    today = today or date.today()
    history = read_history([Path(p) for p in paths], la, problems, today)
    if history is None:
        return ImportResult(None, problems.table())
    tables = {name: parse_records(TABLES[name], None, TABLES[name].file_name, Problems(), today) for name in TABLES}
    tables.update(history.tables)
    tables["authorities"] = parse_records(TABLES["authorities"], history.authorities.astype(str),
                                          TABLES["authorities"].file_name, problems, today)
    files = {name: MERGED[name] for name in KEPT}
    absent = {name for name in TABLES if name not in KEPT and name != "authorities"}
    cross_table_checks(tables, files, problems, absent)
    return ImportResult(history, prefer_rules(relocate(problems.table(), tables, files)))


def write_import(result: ImportResult, out: Path) -> list[Path]:
    """The region's history files (dates as YYYY-MM-DD, the council's own extra columns kept, RETURN_YEAR the
    collection year each record is from), authorities.csv unless the folder has one, and import_issues.csv."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if result.history is not None:
        for name in KEPT:
            frame = result.history.tables[name].drop(columns=["_file", "_row"], errors="ignore")
            path = out / TABLES[name].file_name
            _as_text(frame).to_csv(path, index=False)
            written.append(path)
        authorities = out / TABLES["authorities"].file_name
        if not authorities.exists():
            result.history.authorities.to_csv(authorities, index=False)
            written.append(authorities)
    path = out / ISSUES_FILE
    result.issues.to_csv(path, index=False)
    written.append(path)
    return written


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d").fillna("")
    return frame
