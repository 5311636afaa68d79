"""Running a sweep: every cell of the spec not yet in the result store, on an executor (app/executors.py), each
stored as it arrives.

The result store is a run store (app/history/store.py) of its own, OUT/sweep.duckdb: one row per cell in `runs`
(run_id is the cell's key: region, its files' hash, job, parameters' hash, run date, rcc version) and the cell's
result tables in the store's tables, under that id, written in one transaction per cell. Only this process (the
client) writes it; the workers compute and hand back tables. So:

- a re-run finds every stored cell and submits only the others: nothing is recomputed;
- a sweep killed half way leaves the store with whole cells only, and the next run resumes with the rest;
- a worker killed mid-cell loses nothing stored: Dask reschedules its cell on another worker, and the cell is
  stored once (the store refuses a second copy of a cell, and this process writes each cell once);
- a failed cell is reported with its error and is not stored, so the next run tries it again; the others go on.

One sweep writes a store at a time (OUT/sweep.lock); a reader (the dashboard, a duckdb shell) never blocks it for
longer than it holds the file.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from app.history.store import open_store
from app.sweep.cells import CellOutcome, run_cell
from app.sweep.regions import england_rccs, folder_digest, region_name
from app.sweep.spec import Cell, RegionSource, Spec, cells

STORE_FILE = "sweep.duckdb"
LOCK_FILE = "sweep.lock"
STORE_WAIT_S = 30.0


class SweepBusy(RuntimeError):
    """Another sweep is writing this output folder's result store."""


@dataclass
class Progress:
    total: int
    reused: int = 0
    done: int = 0
    failed: int = 0
    running: int = 0

    @property
    def waiting(self) -> int:
        return self.total - self.reused - self.done - self.failed - self.running


@dataclass
class SweepRun:
    """What a sweep did: its cells, which were computed now, reused from the store or failed (with why)."""
    spec: Spec
    out: Path
    cells: list[Cell]
    computed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, CellOutcome] = field(default_factory=dict)
    outcomes: dict[str, CellOutcome] = field(default_factory=dict)  # computed now, ok
    wall_s: float = 0.0
    executor: str = ""
    executor_used: object = None  # the executor the cells ran on (None when none was needed)

    @property
    def store_path(self) -> Path:
        return self.out / STORE_FILE


def sweep_regions(spec: Spec, out: Path, progress: Callable[[str], None] = lambda message: None
                  ) -> list[RegionSource]:
    """The spec's regions: its folders, and England's regions cut from the national synthetic region."""
    paths = list(spec.folders)
    if spec.england is not None:
        paths += england_rccs(out / "regions", int(spec.england.get("seed", 1)), spec.england.get("only"), progress)
    found: dict[str, RegionSource] = {}
    for path in paths:
        name = region_name(path)
        if name in found and found[name].path != str(path):
            raise ValueError(f"two regions are called {name!r} ({found[name].path} and {path}): a region is known by "
                             "its folder's name, so rename one")
        found[name] = RegionSource(name, str(path), folder_digest(path))
    return list(found.values())


def stored_cells(store_path: Path) -> set[str]:
    if not store_path.exists():
        return set()
    with open_store(store_path, read_only=True, wait_s=STORE_WAIT_S) as store:
        runs = store.runs()
    return set(runs["run_id"]) if not runs.empty else set()


def run_sweep(spec: Spec, out: Path, executor: cf.Executor | Callable[[], cf.Executor],
              progress: Callable[[str], None] = lambda message: None,
              on_progress: Callable[[Progress], None] = lambda state: None,
              on_cell: Callable[[Cell, CellOutcome], None] = lambda cell, outcome: None,
              monthly_out: Path | None = None) -> SweepRun:
    """Run every cell of `spec` not yet stored in OUT/sweep.duckdb on `executor` (or on the one a factory makes,
    only when some cell is left to run); store each as it arrives.
    `on_progress` is called whenever a count changes (and about twice a second while cells run); `on_cell` once per
    cell computed now, ok or failed. Monthly cells publish into MONTHLY_OUT/<region>/ (default OUT/monthly)."""
    from filelock import FileLock, Timeout

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = FileLock(out / LOCK_FILE)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise SweepBusy(f"another sweep is writing {out / STORE_FILE} ({out / LOCK_FILE} is held): wait for it to "
                        "finish") from None
    try:
        return _run(spec, out, executor, progress, on_progress, on_cell, Path(monthly_out or out / "monthly"))
    finally:
        lock.release()


def _run(spec, out, executor, progress, on_progress, on_cell, monthly_out: Path) -> SweepRun:
    clock = time.perf_counter()
    regions = sweep_regions(spec, out, progress)
    all_cells = cells(spec, regions, monthly_out=monthly_out)
    stored = stored_cells(Path(out) / STORE_FILE)
    todo = [c for c in all_cells if c.cell_id not in stored]
    if todo and not isinstance(executor, cf.Executor):
        executor = executor()
    run = SweepRun(spec, out, all_cells, executor=_describe(executor) if todo else "nothing (every cell stored)")
    run.reused = [c.cell_id for c in all_cells if c.cell_id in stored]
    state = Progress(total=len(all_cells), reused=len(run.reused))
    progress(f"{len(all_cells)} cell(s) over {len(regions)} region(s): {len(run.reused)} already in "
             f"{run.store_path}, {len(todo)} to run" + (f" on {run.executor}" if todo else ""))
    on_progress(state)
    pending: dict[cf.Future, Cell] = {}

    def settle(future: cf.Future) -> None:
        cell = pending.pop(future)
        try:
            outcome = future.result()
        except BaseException as exc:  # noqa: BLE001 - the cell's worker died too often, or the cell was lost
            outcome = CellOutcome(cell.cell_id, "failed", error=f"{type(exc).__name__}: {exc}")
        if outcome.status == "ok":
            try:
                _store(run, cell, outcome, progress)
            except Exception as exc:  # noqa: BLE001 - reported as the cell's failure; the others go on
                outcome = CellOutcome(cell.cell_id, "failed", error=f"storing the cell failed: {exc}")
        if outcome.status == "ok":
            run.computed.append(cell.cell_id)
            run.outcomes[cell.cell_id] = outcome
            state.done += 1
        else:
            run.failed[cell.cell_id] = outcome
            state.failed += 1
        on_cell(cell, outcome)

    def tick() -> None:
        state.running = min(executor.running() if hasattr(executor, "running") else 0, len(pending))
        on_progress(state)

    try:
        for cell in todo:
            pending[executor.submit(run_cell, cell, **_key(executor, cell))] = cell
            for future in [f for f in pending if f.done()]:  # an inline executor is done at once
                settle(future)
            tick()
        while pending:
            done, _ = cf.wait(list(pending), timeout=0.5, return_when=cf.FIRST_COMPLETED)
            for future in done:
                settle(future)
            tick()
    except BaseException:
        for future in pending:
            future.cancel()
            remote = getattr(future, "dask_future", None)
            if remote is not None:
                remote.cancel()
        raise
    state.running = 0
    on_progress(state)
    run.wall_s = time.perf_counter() - clock
    run.executor_used = executor if todo else None
    return run


def _key(executor, cell: Cell) -> dict:
    from app.executors import DaskExecutor

    return {"key": f"{cell.job}-{cell.region.name}-{cell.cell_id}"} if isinstance(executor, DaskExecutor) else {}


def _describe(executor) -> str:
    return executor.describe() if hasattr(executor, "describe") else type(executor).__name__


def _store(run: SweepRun, cell: Cell, outcome: CellOutcome, progress) -> None:
    """The cell's row and tables in one transaction; a cell already stored (a second copy) is left as it is."""
    from app.batch.monthly import _code_version

    month = (cell.run_date or (outcome.summaries.get("monthly", {}).get("month") or ""))[:7]
    record = {"run_id": cell.cell_id, "month": month, "region": cell.region.name, "source": cell.region.path,
              "input_hash": cell.region.digest, "params_hash": cell.params_hash, "code_version": _code_version(),
              "started_at": outcome.started_at, "finished_at": outcome.finished_at, "status": "ok",
              "stages": {"seconds": round(outcome.seconds, 3), "load_seconds": round(outcome.load_seconds, 3),
                         "worker": outcome.worker},
              "summary": {"sweep": run.spec.name, "job": cell.job, "label": cell.label, "overrides": cell.overrides,
                          "headline": outcome.headline, "jobs": outcome.summaries},
              "parameters": cell.params}
    with open_store(run.store_path, wait_s=STORE_WAIT_S, progress=progress) as store:
        if store.has_run(cell.cell_id):
            return
        store.write_run(record, outcome.tables)


def read_cells(store_path: Path, cell_ids: list[str] | None = None) -> pd.DataFrame:
    """One row per stored cell (of `cell_ids`, in that order, when given): region, job, label, the overrides,
    the headline figures, when and where it ran."""
    from app.sweep.cells import HEADLINE

    if not Path(store_path).exists():
        return pd.DataFrame()
    with open_store(store_path, read_only=True, wait_s=STORE_WAIT_S) as store:
        runs = store.runs()
    rows = []
    for row in runs.itertuples(index=False):
        summary, stages = json.loads(row.summary), json.loads(row.stages)
        rows.append({"cell_id": row.run_id, "region": row.region, "job": summary.get("job"),
                     "cell": summary.get("label"), "status": "ok", "error": "",
                     **{name: summary.get("headline", {}).get(name) for name, _ in HEADLINE},
                     **{f"set {k}": v for k, v in summary.get("overrides", {}).items()},
                     "seconds": stages.get("seconds"), "worker": stages.get("worker"),
                     "finished_at": row.finished_at})
    table = pd.DataFrame(rows)
    if cell_ids is not None and not table.empty:
        order = {cell_id: i for i, cell_id in enumerate(cell_ids)}
        table = table[table["cell_id"].isin(order)]
        table = table.assign(_order=table["cell_id"].map(order)).sort_values("_order").drop(columns="_order")
    return table.reset_index(drop=True)

