"""One real monthly run of the embedded region for the dashboard tests, made once per test session.

The run is the real batch (app.batch.monthly.run_monthly) into a temporary folder, with the light settings of
tests/fixtures/monthly-fast.toml (fewer simulated paths, a 6-month horizon, two backtest horizons). A second,
earlier month is added to
the store from the same tables with a smaller children-in-care figure, so month-on-month changes and the run diff
have something to show without running the batch twice.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data import EMBEDDED_REGION

FAST_PARAMS = Path(__file__).resolve().parent / "fixtures" / "monthly-fast.toml"
EARLIER_CHILDREN_IN_CARE_DROP = 25  # the earlier run had this many fewer children in care


@dataclass(frozen=True)
class DashboardRun:
    out: Path
    store: Path
    run_id: str
    earlier_run_id: str


@functools.cache
def dashboard_run() -> DashboardRun:
    from app.batch.monthly import MonthlyParams, run_monthly
    from app.history.store import RunStore

    out = Path(tempfile.mkdtemp(prefix="rcc-dashboard-test-"))
    atexit.register(shutil.rmtree, out, True)
    # with the yearly stage, so the Demand page shows the DfE's yearly series beside the monthly forecast
    params = dataclasses.replace(MonthlyParams.from_toml(FAST_PARAMS), yearly=True)
    run = run_monthly(EMBEDDED_REGION, out_dir=out, params=params)
    store = out / "runs.duckdb"
    with RunStore(store) as s:
        record = s.run(run.run_id)
        tables = {name: s.table(run.run_id, name) for name in record["tables"]}
        earlier_month = f"{pd.Period(run.month, freq='M') - 1}"
        summary = dict(record["summary"], month=earlier_month,
                       children_in_care=record["summary"]["children_in_care"] - EARLIER_CHILDREN_IN_CARE_DROP)
        earlier = dict(record, run_id=f"{run.run_id}-earlier", month=earlier_month, summary=summary)
        s.write_run(earlier, tables)
    return DashboardRun(out=out, store=store, run_id=run.run_id, earlier_run_id=earlier["run_id"])
