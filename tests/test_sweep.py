"""Sweeps on dask.distributed (a LocalCluster of 2 worker processes): the same tables as the same cells run serially
in one process, a worker killed mid-sweep (by its pid) or a sweep killed half way leaves every cell stored once,
a re-run recomputes nothing, a failed cell is reported and the others go on; sweep.xlsx, the dashboard's Sweep page
(commissioners only) and `rcc monthly --all-regions`."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.cli import main
from app.dashboard.auth import User
from app.executors import DaskExecutor, InlineExecutor
from app.history.store import RunStore
from app.outputs import write_result
from app.sweep.compare import sweep_result
from app.sweep.run import run_sweep
from app.sweep.spec import monthly_preset, read_spec, spec_from_dict
from data.toml_files import ParameterError
from tests.monthly_regions import two_councils, write

ROOT = Path(__file__).resolve().parent.parent
FAST = ROOT / "tests" / "fixtures" / "monthly-fast.toml"
SPEC = {
    "name": "test grid", "jobs": ["forecast", "match", "strategy"],
    "base": {"horizon_months": 6, "forecast": {"paths": 40},
             "strategy": {"horizon_quarters": 2, "samples": 5, "time_limit_s": 20.0}},
    "grid": {"scenario.levers.fgdm_diversion": [0.0, 0.052], "match.cost_per_km": [25.0, 50.0]},
}
CELLS = 8  # forecast x 2 scenarios (the match's cost does not reach it), match x 2 costs, strategy x 4


class Counting(cf.Executor):
    """An executor that counts what it is given (and runs nothing itself)."""

    def __init__(self, inner):
        self.inner, self.submitted = inner, 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        return self.inner.submit(fn, *args, **kwargs)

    def running(self) -> int:
        return self.inner.running()


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    return write(two_councils(), tmp_path_factory.mktemp("regions") / "two-councils")


@pytest.fixture(scope="module")
def cluster():
    """Made while dask's default port (8787) is held, as another program on the machine may hold it: dask's
    warning that it is taken fails the setup (warnings are errors here) unless the scheduler lets the system pick."""
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # something else holds it already: the same condition
            held.bind(("", 8787))
            held.listen()
        executor = DaskExecutor(workers=2)
    yield executor
    executor.shutdown()


def spec_for(folder: Path, where: Path, **changes):
    return spec_from_dict({**SPEC, "regions": {"folders": [str(folder)]}, **changes}, where / "spec.toml")


@pytest.fixture(scope="module")
def serial(region, tmp_path_factory):
    """The reference: every cell run one after another in this process."""
    out = tmp_path_factory.mktemp("serial")
    return run_sweep(spec_for(region, out), out, InlineExecutor())


@pytest.fixture(scope="module")
def parallel(region, cluster, tmp_path_factory):
    out = tmp_path_factory.mktemp("parallel")
    return run_sweep(spec_for(region, out), out, cluster)


def stored(store: Path) -> dict[str, dict[str, pd.DataFrame]]:
    """Every cell's every table, read back through the run store."""
    with RunStore(store, read_only=True) as s:
        return {cell: {name: s.table(cell, name) for name in s.tables(cell)} for cell in s.runs()["run_id"]}


def runs_rows(store: Path) -> pd.DataFrame:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute("select run_id, started_at, finished_at from runs order by run_id").df()
    finally:
        con.close()


def assert_same_cells(store: Path, reference: Path) -> None:
    ours, theirs = stored(store), stored(reference)
    assert sorted(ours) == sorted(theirs) and len(ours) == CELLS
    for cell, tables in theirs.items():
        assert sorted(ours[cell]) == sorted(tables), cell
        for name, frame in tables.items():
            pd.testing.assert_frame_equal(ours[cell][name], frame, obj=f"cell {cell} table {name}")


def test_two_workers_give_the_tables_of_the_serial_run(parallel, serial):
    """Every cell's every table stored from the 2-worker LocalCluster equals the serial run's, cell by cell, and the
    cells ran on both workers (other processes than this one)."""
    assert not parallel.failed and not serial.failed
    assert len(parallel.computed) == CELLS and not parallel.reused
    assert_same_cells(parallel.store_path, serial.store_path)
    workers = {o.worker for o in parallel.outcomes.values()}
    assert len(workers) == 2 and f":{os.getpid()}" not in "".join(workers)
    assert {o.worker for o in serial.outcomes.values()} == {f"{os.uname().nodename}:{os.getpid()}"}
    tables = stored(parallel.store_path)
    jobs = {c.cell_id: c.job for c in parallel.cells}
    assert all({"forecast", "allocations", "strategy_actions"} <= set(tables[c]) for c in jobs if jobs[c] == "strategy")
    assert all(set(tables[c]) == {"forecast", "forecast_costs", "history_stocks"} for c in jobs
               if jobs[c] == "forecast")


def test_a_rerun_recomputes_nothing(parallel, cluster, region):
    """The same spec again submits no cell to the workers, and every stored cell keeps its timestamps."""
    before = runs_rows(parallel.store_path)
    counting = Counting(cluster)
    again = run_sweep(spec_for(region, parallel.out), parallel.out, counting)
    assert counting.submitted == 0 and not again.computed and len(again.reused) == CELLS
    pd.testing.assert_frame_equal(runs_rows(parallel.store_path), before)
    table = sweep_result(again).cells
    assert table["status"].eq("reused").all() and len(table) == CELLS


def test_a_worker_killed_mid_sweep_leaves_every_cell_once(cluster, region, serial, tmp_path):
    """A worker SIGKILLed by its pid while computing a cell: Dask reruns that cell elsewhere, and the store holds
    every cell once with the serial run's tables."""
    client, killed = cluster.client, []

    def kill_a_busy_worker(cell, outcome) -> None:
        if killed:
            return
        pids = cluster.worker_pids()
        busy = [w for w, keys in client.processing().items() if keys and w in pids]
        if busy:
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(pids[busy[0]])

    run = run_sweep(spec_for(region, tmp_path), tmp_path, cluster, on_cell=kill_a_busy_worker)
    assert killed, "no worker was busy when the first cell came back"
    assert not run.failed and len(run.computed) == CELLS
    assert killed[0] not in cluster.worker_pids().values()
    rows = runs_rows(run.store_path)
    assert rows["run_id"].is_unique and len(rows) == CELLS
    con = duckdb.connect(str(run.store_path), read_only=True)
    try:
        for name in ("forecast", "allocations", "strategy_actions"):
            dupes = con.execute(f'select count(*) from (select run_id, _row from "{name}" group by 1, 2 '
                                'having count(*) > 1)').fetchone()[0]
            assert dupes == 0, name
    finally:
        con.close()
    assert_same_cells(run.store_path, serial.store_path)
    client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker for the tests after this


KILLED_SWEEP = """
import sys
from pathlib import Path
from app.executors import InlineExecutor
from app.sweep.run import run_sweep
from app.sweep.spec import read_spec
run_sweep(read_spec(Path(sys.argv[1])), Path(sys.argv[2]), InlineExecutor())
"""


def test_a_sweep_killed_half_way_resumes_with_the_cells_left(region, serial, tmp_path):
    """A sweep SIGKILLed after some cells were stored: the store has whole cells only, and the next run computes
    exactly the others, ending with every cell once and the serial run's tables."""
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(toml_of(SPEC, region))
    out = tmp_path / "out"
    sweep = subprocess.Popen([sys.executable, "-c", KILLED_SWEEP, str(spec_file), str(out)], cwd=ROOT,
                             env=os.environ | {"PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and sweep.poll() is None:
        done = stored_count(out / "sweep.duckdb")
        if done >= 2:
            break
        time.sleep(0.05)
    sweep.send_signal(signal.SIGKILL)
    sweep.wait()
    kept = stored_count(out / "sweep.duckdb", wait=True)
    assert 2 <= kept < CELLS, f"the sweep was killed with {kept} of {CELLS} cells stored"
    counting = Counting(InlineExecutor())
    resumed = run_sweep(read_spec(spec_file), out, counting)
    assert counting.submitted == CELLS - kept and len(resumed.reused) == kept
    assert_same_cells(out / "sweep.duckdb", serial.store_path)


def toml_of(spec: dict, region: Path) -> str:
    return "\n".join([
        f'name = "{spec["name"]}"', f"jobs = {json.dumps(spec['jobs'])}",
        "[regions]", f"folders = [{json.dumps(str(region))}]",
        "[base]", f"horizon_months = {spec['base']['horizon_months']}",
        "forecast = { paths = 40 }", "strategy = { horizon_quarters = 2, samples = 5, time_limit_s = 20.0 }",
        "[grid]", *(f'"{k}" = {json.dumps(v)}' for k, v in spec["grid"].items())]) + "\n"


def stored_count(store: Path, wait: bool = False) -> int:
    """Cells in the store (0 while it does not exist yet or is held by the writer, unless told to wait)."""
    for _ in range(200 if wait else 1):
        if not store.exists():
            return 0
        try:
            con = duckdb.connect(str(store), read_only=True)
        except duckdb.Error:
            time.sleep(0.05)
            continue
        try:
            return con.execute("select count(*) from runs").fetchone()[0]
        except duckdb.Error:
            return 0
        finally:
            con.close()
    return 0


def test_a_failed_cell_is_reported_and_the_others_go_on(region, tmp_path):
    """A region without SSDA903 history fails its forecast cell with the reason; the other region's cells are
    stored; sweep.xlsx and sweep_cells.csv list the failure; the next run retries only the failed cell."""
    tables = two_councils()
    tables["episodes"] = tables["episodes"].iloc[:0]
    tables["header"] = tables["header"].iloc[:0]
    tables["uasc"] = tables["uasc"].iloc[:0]
    broken = write(tables, tmp_path / "no-history")
    spec = spec_from_dict({"name": "one bad", "jobs": ["forecast", "match"], "run_date": "2026-10-31", "regions": {
        "folders": [str(region), str(broken)]}, "base": {"horizon_months": 3, "forecast": {"paths": 20}}},
        tmp_path / "spec.toml")
    run = run_sweep(spec, tmp_path / "out", InlineExecutor())
    failed = {(c.region.name, c.job): run.failed[c.cell_id].error for c in run.cells if c.cell_id in run.failed}
    assert list(failed) == [("no-history", "forecast")]
    assert "no SSDA903 history" in failed[("no-history", "forecast")]
    assert len(run.computed) == 3
    result = sweep_result(run)
    written = write_result(result, run.out)
    csv = pd.read_csv(written["sweep_cells"])
    row = csv[csv["status"].eq("failed")].iloc[0]
    assert (row["region"], row["job"]) == ("no-history", "forecast") and "no SSDA903 history" in row["error"]
    assert csv.loc[csv["status"].eq("computed"), "weekly_cost"].notna().sum() == 2
    counting = Counting(InlineExecutor())
    again = run_sweep(spec, tmp_path / "out", counting)
    assert counting.submitted == 1 and list(again.failed) == list(run.failed)


def test_sweep_workbook_has_the_cells_and_native_charts(parallel):
    """sweep.xlsx holds one row per cell with its headline figures, and native charts of them."""
    written = write_result(sweep_result(parallel), parallel.out)
    with pd.ExcelFile(written["workbook"]) as book:
        assert book.sheet_names == ["Cells", "Charts", "About"]
    cells = pd.read_excel(written["workbook"], sheet_name="Cells", header=2)
    assert len(cells) == CELLS
    strategy = cells[cells["job"].eq("strategy")]
    assert strategy["savings"].notna().all() and strategy["shortfall risk"].between(0, 1).all()
    assert cells.loc[cells["job"].eq("match"), "children unmatched"].notna().all()
    with zipfile.ZipFile(written["workbook"]) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 4  # cost, unmatched and over 20 miles, savings, shortfall risk, children in care


def test_sweep_page_is_for_commissioners_only(parallel, monkeypatch):
    """A commissioner's navigation has the Sweep page, which charts and lists every cell; an officer's has no
    such page, and the page itself refuses them."""
    write_result(sweep_result(parallel), parallel.out)
    monkeypatch.setenv("RCC_SWEEP", str(parallel.out))
    monkeypatch.setenv("RCC_OUT", str(parallel.out / "no-runs"))
    entry = str(ROOT / "app" / "streamlit_app.py")
    commissioner = User("c", "commissioner", display_name="Commissioner")
    officer = User("b", "council_officer", "E08000001", "Bolton officer")
    at = AppTest.from_file(entry, default_timeout=120)
    at.session_state["user"] = commissioner
    at.run()
    at.switch_page("dashboard/pages/sweep.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert len(table) == CELLS and set(table["job"]) == {"forecast", "match", "strategy"}
    assert at.get("vega_lite_chart")
    page = AppTest.from_file(str(ROOT / "app" / "dashboard" / "pages" / "sweep.py"), default_timeout=60)
    page.session_state["user"] = officer
    page.run()
    assert not page.dataframe and "regional commissioners" in page.warning[0].value
    at = AppTest.from_file(entry, default_timeout=120)
    at.session_state["user"] = officer
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in an officer's navigation
        at.switch_page("dashboard/pages/sweep.py")


def test_monthly_for_every_region_is_one_sweep(region, cluster, tmp_path):
    """`rcc monthly --all-regions` as a sweep: each region's month published into OUT/<region>/ with its own run
    store, one monthly cell each in the sweep's store; the same again reuses them all."""
    regions = tmp_path / "regions"
    for name in ("bolton-bury", "bury-bolton"):
        write(two_councils(), regions / name)
    spec = monthly_preset(regions, FAST)
    run = run_sweep(spec, tmp_path / "out", cluster, monthly_out=tmp_path / "out")
    assert not run.failed, {k: v.error for k, v in run.failed.items()}
    for name in ("bolton-bury", "bury-bolton"):
        with RunStore(tmp_path / "out" / name / "runs.duckdb", read_only=True) as store:
            runs = store.runs()
        assert list(runs["region"]) == [name]
        assert (tmp_path / "out" / name / runs.iloc[0]["month"] / "allocations.csv").exists()
    cells = sweep_result(run).cells
    assert list(cells["job"]) == ["monthly", "monthly"] and cells["weekly_cost"].notna().all()
    counting = Counting(cluster)
    assert not run_sweep(spec, tmp_path / "out", counting, monthly_out=tmp_path / "out").computed
    assert counting.submitted == 0


def test_bad_specs_stop_before_anything_runs(tmp_path, region, capsys):
    """An unknown key, an unknown job or a parameter out of range is one error naming it (exit 2)."""
    with pytest.raises(ParameterError, match="unknown key"):
        spec_from_dict({"jobs": ["match"], "regions": {"folders": [str(region)]}, "grdi": {}}, tmp_path / "s.toml")
    with pytest.raises(ParameterError, match="jobs must be"):
        spec_from_dict({"jobs": ["matches"], "regions": {"folders": [str(region)]}}, tmp_path / "s.toml")
    spec = tmp_path / "bad.toml"
    spec.write_text(f'jobs = ["match"]\n[regions]\nfolders = [{json.dumps(str(region))}]\n'
                    '[grid]\n"match.cost_per_km" = [25.0, -1.0]\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "out")]) == 2
    assert "match.cost_per_km=-1.0" in capsys.readouterr().err and not (tmp_path / "out").exists()
