"""Benchmark a sweep on dask.distributed: England's nine regions cut from the national synthetic region (seed 1),
each with a grid of two forecast scenarios (family group decision making off and at DfE's 5.2%) and two match
distance costs (25 and 50 £/km): 2 forecast + 2 match cells per region, 36 cells. The same sweep runs on a
LocalCluster of 1 worker, then of 2 (each into a fresh store, so every cell is computed), then again on the second
store (every cell reused).

Printed per run: wall clock (from the first submission; starting the cluster is printed apart), the cells' own time
on the workers, and the scheduler's overhead per cell, measured two ways: the mean gap on a worker between one cell
finishing and its next starting (handing back the result, the scheduler's bookkeeping, the next task's arrival), and
all workers' time not spent in a cell divided by the cells (which also counts the tail, when fewer cells are left
than workers). Both as a share of the mean cell's time (target: under 5%). Prints figures; asserts nothing.

examples:
  .venv/bin/python benchmarks/sweep.py                    # 36 cells, 1 then 2 workers
  .venv/bin/python benchmarks/sweep.py --work /tmp/bench  # keep the regions (cut once) and the stores
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.executors import DaskExecutor  # noqa: E402
from app.sweep.regions import england_rccs  # noqa: E402
from app.sweep.run import run_sweep  # noqa: E402
from app.sweep.spec import spec_from_dict  # noqa: E402
from forecasts.simulate import compile_simulation  # noqa: E402

SPEC = {
    "name": "benchmark: England's regions x scenarios x distance costs",
    "jobs": ["forecast", "match"],
    "base": {"horizon_months": 12, "forecast": {"paths": 100}},
    "grid": {"scenario.levers.fgdm_diversion": [0.0, 0.052], "match.cost_per_km": [25.0, 50.0]},
}


def figures(run, workers: int) -> dict:
    outcomes = list(run.outcomes.values()) + [o for o in run.failed.values() if o.started_at]
    seconds = [o.seconds for o in outcomes]
    by_worker: dict[str, list] = {}
    for o in outcomes:
        by_worker.setdefault(o.worker, []).append(o)
    gaps = []
    for cells in by_worker.values():
        cells.sort(key=lambda o: o.started_at)
        gaps += [(b.started_at - a.finished_at).total_seconds() for a, b in zip(cells, cells[1:])]
    busy = sum(seconds)
    return {"cells": len(outcomes), "failed": len(run.failed), "wall": run.wall_s, "busy": busy,
            "mean_cell": statistics.mean(seconds), "gap": statistics.mean(gaps) if gaps else 0.0,
            "idle_per_cell": max(0.0, workers * run.wall_s - busy) / len(outcomes), "workers": len(by_worker),
            "load": sum(o.load_seconds for o in outcomes)}


def report(name: str, f: dict) -> None:
    print(f"{name}: {f['cells']} cells ({f['failed']} failed) on {f['workers']} worker(s): wall {f['wall']:.1f} s, "
          f"cells' own time {f['busy']:.1f} s (of which loading regions {f['load']:.1f} s), mean cell "
          f"{f['mean_cell']:.2f} s", flush=True)
    print(f"  scheduler overhead per cell: gap between cells on a worker {1000 * f['gap']:.0f} ms "
          f"({100 * f['gap'] / f['mean_cell']:.1f}% of a cell); workers' time outside cells "
          f"{1000 * f['idle_per_cell']:.0f} ms per cell ({100 * f['idle_per_cell'] / f['mean_cell']:.1f}%)",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, help="folder for the regions and the stores (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=1, help="the national synthetic region's seed (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = args.work or Path(temporary)
        compile_simulation()
        started = time.perf_counter()
        folders = england_rccs(work / "regions", args.seed, progress=lambda m: print(m, flush=True))
        print(f"England's {len(folders)} regions from the national synthetic region (seed {args.seed}) ready in "
              f"{time.perf_counter() - started:.1f} s: {', '.join(f.name for f in folders)}", flush=True)
        spec = spec_from_dict(SPEC | {"regions": {"folders": [str(f) for f in folders]}}, work / "sweep.toml")
        results = {}
        for workers in (1, 2):
            out = work / f"out-{workers}"
            clock = time.perf_counter()
            executor = DaskExecutor(workers=workers)
            print(f"LocalCluster of {workers} worker(s) started in {time.perf_counter() - clock:.1f} s", flush=True)
            try:
                run = run_sweep(spec, out, executor)
                results[workers] = figures(run, workers)
                report(f"{workers} worker(s)", results[workers])
                for cell_id, outcome in run.failed.items():
                    cell = next(c for c in run.cells if c.cell_id == cell_id)
                    print(f"  failed: {cell.region.name} / {cell.job} / {cell.label}: {outcome.error[:160]}")
                if workers == 2:
                    again = run_sweep(spec, out, executor)
                    print(f"the same sweep again: {len(again.computed)} computed, {len(again.reused)} reused, "
                          f"{len(again.failed)} failed (retried), {again.wall_s:.1f} s", flush=True)
            finally:
                executor.shutdown()
        print(f"speed-up 1 -> 2 workers: {results[1]['wall'] / results[2]['wall']:.2f}x "
              f"({results[1]['wall']:.1f} s -> {results[2]['wall']:.1f} s)")


if __name__ == "__main__":
    main()
