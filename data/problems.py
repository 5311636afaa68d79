"""The validation issues table: every problem found in the input, with where it is and which rule it breaks.

Rows are numbered as a spreadsheet shows them (the header is row 1, the first record row 2), so a council
officer can open the file in Excel and go straight to the cell. Row is blank for a problem with a whole file
or column.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

COLUMNS = ["file", "row", "column", "value", "rule", "severity"]
SEVERITIES = ("error", "warning", "flag")  # flag: lawful data describing something a commissioner must act on
FIRST_RECORD_ROW = 2


class Problems:
    """Collects problems from many checks before anything fails (users fix a file once, not once per error)."""

    def __init__(self) -> None:
        self._frames: list[pd.DataFrame] = []
        self._row_numbers: dict[str, np.ndarray] = {}
        self._error_rows: dict[tuple[str, str], set[int]] = {}  # (file, column) -> rows with an error

    def number_rows(self, file: str, rows: Iterable[int]) -> None:
        """Say which spreadsheet row each record of a file is on, when they are not simply 2, 3, 4, ... (a blank
        row skipped between records, the header below a title); add_mask and rows then number by it."""
        self._row_numbers[file] = np.asarray(list(rows), dtype=np.int64)

    def rows(self, file: str, positions) -> np.ndarray:
        """Spreadsheet row numbers of a file's records at these 0-based positions."""
        positions = np.asarray(positions, dtype=np.int64)
        numbers = self._row_numbers.get(file)
        if numbers is None or not positions.size or positions.max() >= len(numbers):
            return positions + FIRST_RECORD_ROW
        return numbers[positions]

    def reported(self, file: str, column: str) -> set[int]:
        """Spreadsheet rows of a file with an error already reported in this column (so a cell found invalid is
        not reported again as blank by a check that only sees the value it was left with)."""
        return self._error_rows.get((file, column), set())

    def add(self, file: str, row: int | None, column: str, value, rule: str, severity: str = "error") -> None:
        self.add_rows(file, [row] if row is not None else [None], column, [value], rule, severity)

    def add_rows(self, file: str, rows: Iterable, column: str, values: Iterable, rule: str,
                 severity: str = "error") -> None:
        """Add one problem per row; `rows` are spreadsheet row numbers (or None for a whole-file problem)."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity {severity!r} is not one of {SEVERITIES}")
        rows = list(rows)
        if not rows:
            return
        if severity == "error":
            self._error_rows.setdefault((file, column), set()).update(int(r) for r in rows if r is not None)
        self._frames.append(pd.DataFrame({
            "file": file,
            "row": pd.array(rows, dtype="Int64"),
            "column": column,
            "value": [_display(v) for v in values],
            "rule": rule,
            "severity": severity,
        }))

    def add_mask(self, file: str, positions: np.ndarray, column: str, values: pd.Series, rule: str,
                 severity: str = "error") -> None:
        """Add a problem for each True in a boolean mask over a table's records (0-based positions)."""
        where = np.flatnonzero(np.asarray(positions, dtype=bool))
        if where.size:
            self.add_rows(file, self.rows(file, where), column, values.iloc[where].tolist(), rule, severity)

    def extend(self, other: Problems) -> None:
        """Take every problem another collector found (a file read on its own, then kept)."""
        self._frames.extend(other._frames)
        self._row_numbers.update(other._row_numbers)
        for key, rows in other._error_rows.items():
            self._error_rows.setdefault(key, set()).update(rows)

    def table(self) -> pd.DataFrame:
        return combined(self._frames)


def combined(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Issues tables as one, errors first, then by file, row and column."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else object) for c in COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    out["_severity_order"] = out["severity"].map(order)
    out = out.sort_values(["_severity_order", "file", "row", "column"], kind="stable", na_position="first")
    return out.drop(columns="_severity_order").reset_index(drop=True)


def _display(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def count_by_severity(issues: pd.DataFrame) -> dict[str, int]:
    counts = issues["severity"].value_counts()
    return {s: int(counts.get(s, 0)) for s in SEVERITIES}


class ValidationError(ValueError):
    """Raised in strict mode: one error that lists every problem, not just the first."""

    def __init__(self, source: str, issues: pd.DataFrame):
        self.source = source
        self.issues = issues
        errors = issues[issues["severity"] == "error"]
        shown = errors.head(50)
        lines = [f"{source}: {len(errors)} error(s) in the input data; nothing was run."]
        lines += [format_problem(p) for p in shown.itertuples(index=False)]
        if len(errors) > len(shown):
            lines.append(f"... and {len(errors) - len(shown)} more (run `rcc validate` for the full table).")
        super().__init__("\n".join(lines))


def format_problem(p) -> str:
    where = p.file if pd.isna(p.row) else f"{p.file} row {p.row}"
    if p.column:
        where += f", column {p.column}"
    value = f" (value {p.value!r})" if p.value != "" else ""
    return f"{p.severity.upper()}: {where}{value}: {p.rule}"
