"""The run history: one DuckDB file (no server) holding every monthly run and its result tables.

A run is written in one transaction, so a crash or a kill at any moment leaves the store exactly as it was. Each
result table (forecast, allocations, flags, ...) is one DuckDB table with the run id as its first column and the
columns of the CSV the job's result is written as, so anything on screen can be traced back with plain SQL:

    duckdb out/runs.duckdb "select * from allocations where run_id = '...' and status = 'unmatched'"
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd

from app.outputs import OUTPUTS, STORED_TABLES

RUN_COLUMNS = ("run_id", "month", "region", "source", "input_hash", "params_hash", "code_version", "started_at",
               "finished_at", "status", "stages", "summary", "parameters", "tables", "purged")
# purged: what retention removed of the run and when (app/history/retention.py); NULL while the run is whole
_JSON_COLUMNS = ("stages", "summary", "parameters", "tables", "purged")
# Result tables a run may hold: the output registry's stored tables (app/outputs.py). Only these names become
# tables, so a table name can never be anything a user typed.
RESULT_TABLES = STORED_TABLES
# What retention removes of an old run, from the output registry's child-level tables (app/outputs.py): table ->
# None (every row) or (column, value) (only the rows about children); and the published files of those tables.
CHILD_ROWS = {o.table: o.child_rows for o in OUTPUTS if o.child_level and o.stored}
CHILD_FILES = tuple(sorted(o.file for o in OUTPUTS if o.child_level))
# Who did what on the dashboard, one row per event (app/dashboard/audit.py records them): the answer to a
# council's information governance asking who looked at which children's rows, and when.
AUDIT_TYPES = (("happened_at", "timestamp"), ("who", "varchar"), ("role", "varchar"), ("council", "varchar"),
               ("action", "varchar"), ("page", "varchar"), ("run_id", "varchar"), ("detail", "varchar"))
AUDIT_COLUMNS = tuple(column for column, _ in AUDIT_TYPES)
# Where runs live unless told otherwise: OUT/<month>/ for the files and OUT/runs.duckdb for the store.
DEFAULT_OUT = Path("out")
STORE_FILE = "runs.duckdb"


def default_store(out: Path = DEFAULT_OUT) -> Path:
    return Path(out) / STORE_FILE


class StoreError(RuntimeError):
    """The store cannot be opened or does not hold what was asked for; the message says what to do."""


class StoreBusy(StoreError):
    """Another program holds the store open (a `duckdb` shell, a notebook, another rcc writing)."""


def open_store(path: Path | str, read_only: bool = False, wait_s: float = 30.0,
               progress: Callable[[str], None] = lambda message: None) -> RunStore:
    """The store, waiting up to `wait_s` seconds (saying so) while another program holds it; StoreBusy after."""
    deadline = time.monotonic() + wait_s
    said = False
    while True:
        try:
            return RunStore(path, read_only=read_only)
        except StoreBusy as busy:
            if time.monotonic() >= deadline:
                raise
            if not said:
                progress(f"{busy}; waiting up to {wait_s:.0f} s")
                said = True
            time.sleep(0.5)


class RunStore:
    """`with RunStore(path) as store: ...`; readers pass read_only=True so a dashboard never locks out the batch
    for longer than a read."""

    def __init__(self, path: Path | str, read_only: bool = False):
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no run store here yet; run `rcc monthly` first")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as error:
            holder = re.search(r"Conflicting lock is held in (.*?)(?:\. |$)", str(error))
            if "Could not set lock" in str(error):
                raise StoreBusy(f"the run store {self.path} is open in another program"
                                + (f" ({holder.group(1)})" if holder else "")
                                + ": close it (a duckdb shell, a notebook, a script) to let the batch write"
                                ) from None
            raise StoreError(f"{self.path}: cannot open the run store ({error})") from error
        if not read_only:
            self.con.execute(
                "create table if not exists runs (run_id varchar primary key, month varchar, region varchar, "
                "source varchar, input_hash varchar, params_hash varchar, code_version varchar, "
                "started_at timestamp, finished_at timestamp, status varchar, stages varchar, summary varchar, "
                "parameters varchar, tables varchar, purged varchar)")
            # a store made before retention existed gains the column; its runs are whole (NULL)
            self.con.execute("alter table runs add column if not exists purged varchar")
            # every file a run published, byte for byte: a lost or half-published month folder is rebuilt whole
            self.con.execute("create table if not exists run_files (run_id varchar, name varchar, content blob)")
            self.con.execute(f"create table if not exists audit ({', '.join(f'{c} {t}' for c, t in AUDIT_TYPES)})")

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # Reading

    def runs(self) -> pd.DataFrame:
        """One row per run, newest first."""
        if not self._exists("runs"):
            return pd.DataFrame(columns=list(RUN_COLUMNS))
        return self.con.execute("select * from runs order by month desc, finished_at desc").df()

    def has_run(self, run_id: str) -> bool:
        return self._exists("runs") and bool(
            self.con.execute("select count(*) from runs where run_id = ?", [run_id]).fetchone()[0])

    def latest_run_id(self, region: str | None = None) -> str | None:
        runs = self.runs()
        if region is not None:
            runs = runs[runs["region"] == region]
        return None if runs.empty else str(runs.iloc[0]["run_id"])

    def run(self, run_id: str) -> dict:
        row = self.con.execute("select * from runs where run_id = ?", [run_id]).df() if self._exists("runs") else None
        if row is None or row.empty:
            known = ", ".join(self.runs()["run_id"].head(5)) or "none yet"
            raise StoreError(f"no run {run_id!r} in {self.path} (latest: {known}); see `rcc runs list`")
        record = row.iloc[0].to_dict()
        for column in _JSON_COLUMNS:
            record[column] = json.loads(record[column]) if record[column] else None
        return record

    def files(self, run_id: str) -> dict[str, bytes]:
        """Every file the run published, by name (empty for a run stored before rcc kept them)."""
        if not self._exists("run_files"):
            return {}
        rows = self.con.execute("select name, content from run_files where run_id = ? order by name",
                                [run_id]).fetchall()
        return {name: bytes(content) for name, content in rows}

    def tables(self, run_id: str) -> list[str]:
        """The result tables this run wrote (some may have no rows: no stress test, nothing unmatched)."""
        return list(self.run(run_id)["tables"])

    def table(self, run_id: str, name: str) -> pd.DataFrame:
        """The result table as the pipeline wrote it (without the run id column)."""
        if name not in RESULT_TABLES:
            raise StoreError(f"unknown table {name!r}; the store holds: {', '.join(RESULT_TABLES)}")
        self.run(run_id)  # a clear error for an unknown run
        if name not in self.tables(run_id):
            raise StoreError(f"run {run_id} has no {name} table; it has: {', '.join(self.tables(run_id))}")
        frame = self.con.execute(f'select * from "{name}" where run_id = ? order by _row', [run_id]).df()
        return frame.drop(columns=["run_id", "_row"])

    # Writing

    def write_run(self, record: dict, tables: dict[str, pd.DataFrame], files: dict[str, bytes] | None = None,
                  progress: Callable[[str], None] = lambda message: None) -> None:
        """Add one run, its tables and the bytes of its files in a single transaction, replacing nothing: a run id
        already present is an error (the batch checks first, so a repeated month is reused rather than
        duplicated)."""
        unknown = set(tables) - set(RESULT_TABLES)
        if unknown:
            raise StoreError(f"not a result table: {', '.join(sorted(unknown))}")
        row = {column: record.get(column) for column in RUN_COLUMNS} | {"tables": list(tables)}
        for column in _JSON_COLUMNS:
            row[column] = json.dumps(row[column], default=str, sort_keys=True)
        row["purged"] = None  # a run goes in whole
        self.con.begin()
        try:
            if self.has_run(row["run_id"]):
                raise StoreError(f"run {row['run_id']} is already in {self.path}")
            self.con.execute(f"insert into runs ({', '.join(RUN_COLUMNS)}) values "
                             f"({', '.join('?' * len(RUN_COLUMNS))})",
                             [row[c] for c in RUN_COLUMNS])
            for name, frame in tables.items():
                progress(f"storing {name} ({len(frame)} rows)")
                self._append(name, row["run_id"], frame)
            progress(f"storing the {len(files or {})} published files")
            for name, content in (files or {}).items():
                self.con.execute("insert into run_files values (?, ?, ?)", [row["run_id"], name, content])
            progress("committing the run")
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise

    def _append(self, name: str, run_id: str, frame: pd.DataFrame) -> None:
        frame = _storable(frame)
        staged = frame.assign(run_id=run_id, _row=range(len(frame)))[["run_id", "_row", *frame.columns]]
        self.con.register("staged", staged)
        try:
            if not self._exists(name):
                self.con.execute(f'create table "{name}" as select * from staged limit 0')
            present = set(self.con.execute(f'select * from "{name}" limit 0').df().columns)
            for column in staged.columns:
                if column not in present:
                    # A newer rcc may add a column: older runs keep NULL there rather than being rewritten.
                    kind = self.con.execute(f'select typeof("{column}") from staged limit 1').fetchone()
                    self.con.execute(f'alter table "{name}" add column "{column}" '
                                     f'{kind[0] if kind else "varchar"}')
            self.con.execute(f'insert into "{name}" by name select * from staged')
        finally:
            self.con.unregister("staged")

    # Retention

    def purge_children(self, run_id: str, when: datetime, older_than: str) -> dict:
        """Remove the run's child-level rows (CHILD_ROWS) and published files (CHILD_FILES) in one transaction and
        say so in its run record; every aggregate stays. Returns what was removed (the record's `purged`)."""
        tables = self.tables(run_id)
        removed: dict[str, int] = {}
        self.con.begin()
        try:
            for name, where in CHILD_ROWS.items():
                if name not in tables:
                    continue
                condition, values = ("", [run_id]) if where is None else (f' and "{where[0]}" = ?', [run_id, where[1]])
                removed[name] = self.con.execute(f'select count(*) from "{name}" where run_id = ?{condition}',
                                                 values).fetchone()[0]
                self.con.execute(f'delete from "{name}" where run_id = ?{condition}', values)
            files = [row[0] for row in self.con.execute(
                f"select name from run_files where run_id = ? and name in ({', '.join('?' * len(CHILD_FILES))}) "
                "order by name", [run_id, *CHILD_FILES]).fetchall()]
            self.con.execute(f"delete from run_files where run_id = ? and name in "
                             f"({', '.join('?' * len(CHILD_FILES))})", [run_id, *CHILD_FILES])
            purged = {"at": when.isoformat(timespec="seconds"), "older_than": older_than, "rows": removed,
                      "files": files}
            self.con.execute("update runs set purged = ? where run_id = ?", [json.dumps(purged), run_id])
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        return purged

    # The audit trail

    def record_event(self, event: dict) -> None:
        """Append one audit row (its own transaction: an event is kept even when nothing else is written)."""
        unknown = set(event) - set(AUDIT_COLUMNS)
        if unknown:
            raise StoreError(f"not an audit column: {', '.join(sorted(unknown))}")
        self.con.execute(f"insert into audit values ({', '.join('?' * len(AUDIT_COLUMNS))})",
                         [event.get(column) for column in AUDIT_COLUMNS])

    def audit(self, who: str | None = None) -> pd.DataFrame:
        """The audit trail, newest first; only `who`'s own events when given."""
        if not self._exists("audit"):
            return pd.DataFrame(columns=list(AUDIT_COLUMNS))
        where, values = ("where who = ?", [who]) if who is not None else ("", [])
        return self.con.execute(f"select * from audit {where} order by happened_at desc", values).df()

    # Comparing

    def diff(self, run_a: str, run_b: str) -> dict[str, pd.DataFrame]:
        """What changed from run A (earlier) to run B: see app.history.diff for the tables."""
        from app.history.diff import diff_runs

        return diff_runs(self, run_a, run_b)

    def _exists(self, name: str) -> bool:
        return bool(self.con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [name]).fetchone()[0])


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as text whatever they hold, so a column that happens to be empty this month (all missing) does
    not fix the stored type to a number and break next month's insert."""
    out = frame.reset_index(drop=True).copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("string")
        elif str(out[column].dtype) == "bool":
            out[column] = out[column].astype("boolean")
    return out
