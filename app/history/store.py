"""The run history: every monthly run and its result tables, in one DuckDB file (the default: no server) or in a
PostgreSQL database shared by an RCC's councils (`--store postgresql://...` or RCC_STORE).

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

import pandas as pd
import sqlalchemy as sa

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


SERVER_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")


def default_store(out: Path = DEFAULT_OUT) -> Path:
    return Path(out) / STORE_FILE


def is_server(location) -> bool:
    """A PostgreSQL URL rather than a DuckDB file's path."""
    return str(location).startswith(SERVER_SCHEMES)


def store_location(text: str | Path) -> str | Path:
    """What `--store` and RCC_STORE name: a PostgreSQL URL as it is, anything else a DuckDB file's path."""
    return str(text) if is_server(text) else Path(text)


def store_exists(location) -> bool:
    """Whether there may be runs to read: a server is asked (RunStore says when it holds none), a file must exist."""
    return is_server(location) or Path(location).exists()


def shown(location) -> str:
    """The store as messages name it: a URL without its password."""
    return sa.make_url(str(location)).render_as_string(hide_password=True) if is_server(location) else str(location)


class StoreError(RuntimeError):
    """The store cannot be opened or does not hold what was asked for; the message says what to do."""


class StoreBusy(StoreError):
    """Another program holds the store open (a `duckdb` shell, a notebook, another rcc writing)."""


def configured_store(out: Path = DEFAULT_OUT) -> str | Path:
    """The store a command uses without --store: RCC_STORE (a PostgreSQL URL or a file), else OUT/runs.duckdb."""
    import os

    return store_location(os.environ["RCC_STORE"]) if os.environ.get("RCC_STORE") else default_store(out)


class ServerLock:
    """One monthly batch per PostgreSQL store at a time: a session-level advisory lock, held on a connection of
    its own for the whole run and released by the server if the batch dies (so a killed batch never leaves it
    held, as a lock file's holder's death does not either)."""

    KEY = 0x7263635F72756E  # 'rcc_run': one key for every batch writing this database

    def __init__(self, url: str):
        self.engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"),
                                       poolclass=sa.pool.NullPool)
        self.conn = self.engine.connect()

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if self.conn.execute(sa.text("select pg_try_advisory_lock(:key)"), {"key": self.KEY}).scalar():
                self.conn.commit()
                return True
            self.conn.commit()
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def release(self) -> None:
        self.conn.execute(sa.text("select pg_advisory_unlock(:key)"), {"key": self.KEY})
        self.conn.commit()
        self.release_unheld()

    def release_unheld(self) -> None:
        """Close the lock's connection without having held the lock (a batch that stops without running)."""
        self.conn.close()
        self.engine.dispose()


def open_store(location: Path | str, read_only: bool = False, wait_s: float = 30.0,
               progress: Callable[[str], None] = lambda message: None) -> RunStore:
    """The store, waiting up to `wait_s` seconds (saying so) while another program holds it; StoreBusy after."""
    deadline = time.monotonic() + wait_s
    said = False
    while True:
        try:
            return RunStore(location, read_only=read_only)
        except StoreBusy as busy:
            if time.monotonic() >= deadline:
                raise
            if not said:
                progress(f"{busy}; waiting up to {wait_s:.0f} s")
                said = True
            time.sleep(0.5)


class RunStore:
    """`with RunStore(location) as store: ...`; readers pass read_only=True so a dashboard never locks out the
    batch for longer than a read. Every statement is SQLAlchemy's, the same on both backends; what truly differs
    (opening a file that another process holds, binary and text types, moving a DataFrame in fast) is in
    `_Backend` below."""

    def __init__(self, location: Path | str, read_only: bool = False):
        self.server = is_server(location)
        self.path = shown(location) if self.server else Path(location)
        if not self.server and read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no run store here yet; run `rcc monthly` first")
        if not self.server and not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.backend = _Postgres(str(location)) if self.server else _DuckDB(self.path, read_only)
        self.conn = self.backend.connect()
        if not read_only:
            blob = self.backend.blob
            with self.conn.begin():
                self._sql("create table if not exists runs (run_id varchar primary key, month varchar, "
                          "region varchar, source varchar, input_hash varchar, params_hash varchar, "
                          "code_version varchar, started_at timestamp, finished_at timestamp, status varchar, "
                          "stages varchar, summary varchar, parameters varchar, tables varchar, purged varchar)")
                # a store made before retention existed gains the column; its runs are whole (NULL)
                self._sql("alter table runs add column if not exists purged varchar")
                # every file a run published, byte for byte: a lost or half-published month folder is rebuilt whole
                self._sql(f"create table if not exists run_files (run_id varchar, name varchar, content {blob})")
                self._sql(f"create table if not exists audit ({', '.join(f'{c} {t}' for c, t in AUDIT_TYPES)})")

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()
        self.backend.engine.dispose()

    def _sql(self, statement: str, **values):
        return self.conn.execute(sa.text(statement), values)

    def _read(self, statement: str, **values) -> list[tuple]:
        """Rows of a read outside a write's transaction (ended at once, so a reader holds nothing)."""
        in_write = self.conn.in_transaction() and self._writing
        rows = [tuple(row) for row in self._sql(statement, **values).fetchall()]
        if not in_write:
            self.conn.commit()
        return rows

    def _frame(self, statement: str, **values) -> pd.DataFrame:
        frame = self.backend.frame(self.conn, statement, values)
        if not self._writing:
            self.conn.commit()
        return frame

    _writing = False

    # Reading

    def runs(self) -> pd.DataFrame:
        """One row per run, newest first."""
        if not self._exists("runs"):
            return pd.DataFrame(columns=list(RUN_COLUMNS))
        return self._frame("select * from runs order by month desc, finished_at desc")

    def has_run(self, run_id: str) -> bool:
        return self._exists("runs") and bool(
            self._read("select count(*) from runs where run_id = :run_id", run_id=run_id)[0][0])

    def latest_run_id(self, region: str | None = None) -> str | None:
        runs = self.runs()
        if region is not None:
            runs = runs[runs["region"] == region]
        return None if runs.empty else str(runs.iloc[0]["run_id"])

    def run(self, run_id: str) -> dict:
        row = (self._frame("select * from runs where run_id = :run_id", run_id=run_id)
               if self._exists("runs") else None)
        if row is None or row.empty:
            known = ", ".join(self.runs()["run_id"].head(5)) or "none yet"
            raise StoreError(f"no run {run_id!r} in {self.path} (latest: {known}); see `rcc runs list`")
        record = row.iloc[0].to_dict()
        for column in _JSON_COLUMNS:
            record[column] = json.loads(record[column]) if isinstance(record[column], str) and record[column] else None
        return record

    def files(self, run_id: str) -> dict[str, bytes]:
        """Every file the run published, by name (empty for a run stored before rcc kept them)."""
        if not self._exists("run_files"):
            return {}
        rows = self._read("select name, content from run_files where run_id = :run_id order by name", run_id=run_id)
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
        frame = self._frame(f'select * from "{name}" where run_id = :run_id order by _row', run_id=run_id)
        return frame.drop(columns=["run_id", "_row"])

    # Writing

    def write_run(self, record: dict, tables: dict[str, pd.DataFrame], files: dict[str, bytes] | None = None,
                  progress: Callable[[str], None] = lambda message: None) -> None:
        """Add one run, its tables and the bytes of its files in a single transaction, replacing nothing: a run id
        already present is an error (the batch checks first, so a repeated month is reused rather than
        duplicated; the primary key refuses a second copy even from a writer that did not check)."""
        unknown = set(tables) - set(RESULT_TABLES)
        if unknown:
            raise StoreError(f"not a result table: {', '.join(sorted(unknown))}")
        row = {column: record.get(column) for column in RUN_COLUMNS} | {"tables": list(tables)}
        for column in _JSON_COLUMNS:
            row[column] = json.dumps(row[column], default=str, sort_keys=True)
        row["purged"] = None  # a run goes in whole
        with self._transaction():
            if self.has_run(row["run_id"]):
                raise StoreError(f"run {row['run_id']} is already in {self.path}")
            self._sql(f"insert into runs ({', '.join(RUN_COLUMNS)}) values "
                      f"({', '.join(':' + c for c in RUN_COLUMNS)})", **row)
            for name, frame in tables.items():
                progress(f"storing {name} ({len(frame)} rows)")
                self._append(name, row["run_id"], frame)
            progress(f"storing the {len(files or {})} published files")
            if files:
                self.conn.execute(sa.text("insert into run_files values (:run_id, :name, :content)"),
                                  [{"run_id": row["run_id"], "name": name, "content": content}
                                   for name, content in files.items()])
            progress("committing the run")

    def _transaction(self):
        store = self

        class _Writing:
            def __enter__(self):
                if store.conn.in_transaction():
                    store.conn.commit()  # a read's implicit transaction, nothing of its own
                store.transaction = store.conn.begin()
                store._writing = True

            def __exit__(self, kind, value, tb):
                store._writing = False
                if kind is None:
                    store.transaction.commit()
                else:
                    store.transaction.rollback()
                return False

        return _Writing()

    def _append(self, name: str, run_id: str, frame: pd.DataFrame) -> None:
        frame = _storable(frame)
        staged = frame.assign(run_id=run_id, _row=range(len(frame)))[["run_id", "_row", *frame.columns]]
        if not self._exists(name):
            self.backend.create(self.conn, name, staged)
        present = {row[0] for row in self._read(
            "select column_name from information_schema.columns where table_name = :name "
            "and table_schema = current_schema()", name=name)}
        for column in staged.columns:
            if column not in present:
                # A newer rcc may add a column: older runs keep NULL there rather than being rewritten.
                self._sql(f'alter table "{name}" add column "{column}" {self.backend.sql_type(staged, column)}')
        self.backend.append(self.conn, name, staged)

    # Retention

    def purge_children(self, run_id: str, when: datetime, older_than: str) -> dict:
        """Remove the run's child-level rows (CHILD_ROWS) and published files (CHILD_FILES) in one transaction and
        say so in its run record; every aggregate stays. Returns what was removed (the record's `purged`)."""
        tables = self.tables(run_id)
        removed: dict[str, int] = {}
        child_files = ", ".join(f":f{i}" for i in range(len(CHILD_FILES)))
        named_files = {f"f{i}": name for i, name in enumerate(CHILD_FILES)}
        with self._transaction():
            for name, where in CHILD_ROWS.items():
                if name not in tables:
                    continue
                condition, values = ("", {}) if where is None else (f' and "{where[0]}" = :value', {"value": where[1]})
                removed[name] = self._read(f'select count(*) from "{name}" where run_id = :run_id{condition}',
                                           run_id=run_id, **values)[0][0]
                self._sql(f'delete from "{name}" where run_id = :run_id{condition}', run_id=run_id, **values)
            files = [row[0] for row in self._read(
                f"select name from run_files where run_id = :run_id and name in ({child_files}) order by name",
                run_id=run_id, **named_files)]
            self._sql(f"delete from run_files where run_id = :run_id and name in ({child_files})", run_id=run_id,
                      **named_files)
            purged = {"at": when.isoformat(timespec="seconds"), "older_than": older_than, "rows": removed,
                      "files": files}
            self._sql("update runs set purged = :purged where run_id = :run_id", purged=json.dumps(purged),
                      run_id=run_id)
        return purged

    # The audit trail

    def record_event(self, event: dict) -> None:
        """Append one audit row (its own transaction: an event is kept even when nothing else is written)."""
        unknown = set(event) - set(AUDIT_COLUMNS)
        if unknown:
            raise StoreError(f"not an audit column: {', '.join(sorted(unknown))}")
        with self._transaction():
            self._sql(f"insert into audit values ({', '.join(':' + c for c in AUDIT_COLUMNS)})",
                      **{column: event.get(column) for column in AUDIT_COLUMNS})

    def audit(self, who: str | None = None) -> pd.DataFrame:
        """The audit trail, newest first; only `who`'s own events when given."""
        if not self._exists("audit"):
            return pd.DataFrame(columns=list(AUDIT_COLUMNS))
        if who is None:
            return self._frame("select * from audit order by happened_at desc")
        return self._frame("select * from audit where who = :who order by happened_at desc", who=who)

    # Comparing

    def diff(self, run_a: str, run_b: str) -> dict[str, pd.DataFrame]:
        """What changed from run A (earlier) to run B: see app.history.diff for the tables."""
        from app.history.diff import diff_runs

        return diff_runs(self, run_a, run_b)

    def _exists(self, name: str) -> bool:
        return bool(self._read("select count(*) from information_schema.tables where table_name = :name "
                               "and table_schema = current_schema()", name=name)[0][0])


class _Backend:
    """What differs between DuckDB and PostgreSQL, and nothing else."""

    blob = "blob"
    engine: sa.Engine

    def connect(self) -> sa.Connection:
        return self.engine.connect()

    def frame(self, conn: sa.Connection, statement: str, values: dict) -> pd.DataFrame:
        return pd.read_sql(sa.text(statement), conn, params=values)


class _DuckDB(_Backend):
    def __init__(self, path: Path, read_only: bool):
        self.path = path
        # one connection per store object: DuckDB lets one process write a file, so none is pooled and kept
        self.engine = sa.create_engine(f"duckdb:///{path}", connect_args={"read_only": read_only},
                                       poolclass=sa.pool.NullPool)

    def connect(self) -> sa.Connection:
        try:
            return self.engine.connect()
        except sa.exc.DBAPIError as error:
            text = str(error.orig)
            holder = re.search(r"Conflicting lock is held in (.*?)(?:\. |$)", text)
            if "Could not set lock" in text:
                raise StoreBusy(f"the run store {self.path} is open in another program"
                                + (f" ({holder.group(1)})" if holder else "")
                                + ": close it (a duckdb shell, a notebook, a script) to let the batch write"
                                ) from None
            raise StoreError(f"{self.path}: cannot open the run store ({text})") from error

    def frame(self, conn: sa.Connection, statement: str, values: dict) -> pd.DataFrame:
        # DuckDB's own DataFrame conversion keeps the stored types (nullable integers, timestamps) as they were
        raw = conn.connection.driver_connection
        names = re.findall(r":(\w+)", statement)
        return raw.execute(re.sub(r":\w+", "?", statement), [values[n] for n in names]).df()

    @staticmethod
    def _from_staged(conn: sa.Connection, staged: pd.DataFrame, statement: str) -> None:
        # DuckDB reads the DataFrame in place, by name, for one statement: no row-by-row insert
        raw = conn.connection.driver_connection
        raw.register("staged", staged)
        try:
            raw.execute(statement)
        finally:
            raw.unregister("staged")

    @classmethod
    def create(cls, conn: sa.Connection, name: str, staged: pd.DataFrame) -> None:
        cls._from_staged(conn, staged, f'create table "{name}" as select * from staged limit 0')

    @staticmethod
    def sql_type(staged: pd.DataFrame, column: str) -> str:
        return _pg_type(staged[column])

    @classmethod
    def append(cls, conn: sa.Connection, name: str, staged: pd.DataFrame) -> None:
        cls._from_staged(conn, staged, f'insert into "{name}" by name select * from staged')


class _Postgres(_Backend):
    blob = "bytea"

    def __init__(self, url: str):
        self.url = sa.make_url(url).set(drivername="postgresql+psycopg")
        self.engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)

    def connect(self) -> sa.Connection:
        try:
            return self.engine.connect()
        except sa.exc.OperationalError as error:
            raise StoreError(f"cannot reach the run store {shown(self.url)} ({error.orig})") from None

    @staticmethod
    def create(conn: sa.Connection, name: str, staged: pd.DataFrame) -> None:
        columns = ", ".join(f'"{column}" {_pg_type(staged[column])}' for column in staged.columns)
        conn.execute(sa.text(f'create table "{name}" ({columns})'))

    @staticmethod
    def sql_type(staged: pd.DataFrame, column: str) -> str:
        return _pg_type(staged[column])

    @staticmethod
    def append(conn: sa.Connection, name: str, staged: pd.DataFrame) -> None:
        # COPY: one round trip per table, not one per row (an allocation table is thousands of rows)
        columns = ", ".join(f'"{column}"' for column in staged.columns)
        # tolist() gives Python values (psycopg adapts no numpy scalar); missing values of any kind go in as NULL
        values = [staged[column].astype(object).where(staged[column].notna(), None).tolist()
                  for column in staged.columns]
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f'copy "{name}" ({columns}) from stdin') as copy:
            for row in zip(*values):
                copy.write_row(row)


def _pg_type(series: pd.Series) -> str:
    """The SQL type a column of a result table is stored as (the names both backends accept)."""
    kind = series.dtype
    if pd.api.types.is_bool_dtype(kind):
        return "boolean"
    if pd.api.types.is_integer_dtype(kind):
        return "bigint"
    if pd.api.types.is_float_dtype(kind):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(kind):
        return "timestamp"
    return "varchar"


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
