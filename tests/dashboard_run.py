"""One real monthly run of the embedded region for the dashboard tests, made once per test session.

The run is the real batch (app.batch.monthly.run_monthly) into a temporary folder, with the light settings of
tests/fixtures/monthly-fast.toml (fewer simulated paths, a 6-month horizon, two backtest horizons). A second,
earlier month is added to
the store from the same tables with a smaller children-in-care figure, so month-on-month changes and the run diff
have something to show without running the batch twice.

Under pytest-xdist the first worker to need the run makes it, in the folder the workers of one pytest run share,
and each worker then works on its own copy: the dashboard writes its audit rows into the store, and one DuckDB file
takes one writing process.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from data import EMBEDDED_REGION

ENTRY = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
FAST_PARAMS = Path(__file__).resolve().parent / "fixtures" / "monthly-fast.toml"
EARLIER_CHILDREN_IN_CARE_DROP = 25  # the earlier run had this many fewer children in care


@dataclass(frozen=True)
class DashboardRun:
    out: Path
    store: Path
    run_id: str
    earlier_run_id: str


SESSION_TMP: list[pytest.TempPathFactory] = []  # the session's tmp_path_factory, set by tests/conftest.py


@functools.cache
def dashboard_run() -> DashboardRun:
    from filelock import FileLock

    base = SESSION_TMP[0].getbasetemp()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    shared = base.parent if worker else base  # xdist's workers each have a folder in the run's own
    with FileLock(shared / "dashboard-run.lock"):
        made = shared / "dashboard-run"
        if not (made / "made.json").exists():
            shutil.rmtree(made, ignore_errors=True)  # what a failed attempt left
            _make(made)
    ids = json.loads((made / "made.json").read_text())
    out = base / "dashboard-run-copy" if worker else made
    if worker:
        shutil.copytree(made, out, symlinks=True)  # OUT/<month> is a link into OUT/.runs/
    return DashboardRun(out=out, store=out / "runs.duckdb", run_id=ids["run_id"], earlier_run_id=ids["earlier_run_id"])


def _make(out: Path) -> None:
    from app.batch.monthly import MonthlyParams, run_monthly
    from app.history.store import RunStore

    # with the yearly stage, so the Demand page shows the DfE's yearly series beside the monthly forecast
    params = dataclasses.replace(MonthlyParams.from_toml(FAST_PARAMS), yearly=True)
    run = run_monthly(EMBEDDED_REGION, out_dir=out, params=params)
    with RunStore(out / "runs.duckdb") as s:
        record = s.run(run.run_id)
        tables = {name: s.table(run.run_id, name) for name in record["tables"]}
        earlier_month = f"{pd.Period(run.month, freq='M') - 1}"
        summary = dict(record["summary"], month=earlier_month,
                       children_in_care=record["summary"]["children_in_care"] - EARLIER_CHILDREN_IN_CARE_DROP)
        earlier = dict(record, run_id=f"{run.run_id}-earlier", month=earlier_month, summary=summary)
        s.write_run(earlier, tables)
    # written last: its presence says the folder is whole
    (out / "made.json").write_text(json.dumps({"run_id": run.run_id, "earlier_run_id": earlier["run_id"]}))


@contextmanager
def dashboard_on_session_run() -> Iterator[DashboardRun]:
    """The session's run, with the dashboard's environment pointed at it (its out folder and store; the embedded
    region) for as long as the block lasts: a test module's fixture yields from it. Each block has its own copy of
    the run, so what one module's pages write to the store (audit rows) is not there for the next, whichever order
    the modules run in (pytest-xdist changes it)."""
    made = dashboard_run()
    out = SESSION_TMP[0].mktemp("dashboard-run")
    shutil.copytree(made.out, out, symlinks=True, dirs_exist_ok=True)
    run = dataclasses.replace(made, out=out, store=out / "runs.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RCC_OUT", str(run.out))
        patch.setenv("RCC_STORE", str(run.store))
        patch.delenv("RCC_REGION", raising=False)
        yield run


def open_page(user, page: str) -> AppTest:
    """The app signed in as `user`, switched to one page, with no exception on it."""
    at = AppTest.from_file(ENTRY, default_timeout=240)
    at.session_state["user"] = user
    at.run()
    at.switch_page(f"dashboard/pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at
