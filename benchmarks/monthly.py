"""Benchmark the monthly batch: the whole run (validate, forecast, backtest, match with the baseline, flags with
the stress test, strategy, store) on a region, stage by stage, into a fresh store; then the same month again
(reused). The backtest and the flags run in a second process beside the other stages, so the total is the wall
clock, not the stages' sum.

Prints figures; asserts nothing. Target on 2 cores: the Greater Manchester monthly run in under 30 s.

`--executor` says what runs the stages beside the main line (app/executors.py): `beside` (the default: the
second process of app/batch/beside.py), `dask` (a one-worker Dask LocalCluster, started for the run and counted in
its wall clock, as the batch would have to), or `inline` (no second process: every stage one after another, as a
monthly cell of a sweep runs).

examples:
  .venv/bin/python benchmarks/monthly.py                       # the embedded Greater Manchester
  .venv/bin/python benchmarks/monthly.py --region south-east --seed 3
  .venv/bin/python benchmarks/monthly.py --executor dask
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.batch.monthly import BESIDE_STAGES, MonthlyParams, run_monthly  # noqa: E402
from benchmarks.common import peak_memory_mb, region_folder  # noqa: E402
from forecasts.simulate import compile_simulation  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="greater-manchester")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--params", type=Path, help="monthly parameters TOML (default: the defaults)")
    parser.add_argument("--executor", choices=["beside", "dask", "inline"], default="beside",
                        help="what runs the backtest and the flags beside the main line (default beside)")
    args = parser.parse_args()
    params = MonthlyParams.from_toml(args.params) if args.params else MonthlyParams()
    with tempfile.TemporaryDirectory() as work:
        folder = region_folder(args.region, args.seed, Path(work))
        out = Path(work) / "out"
        # `make` compiles the forecast's month step once into numba's cache; after a change to it the first run
        # compiles (about 6 s), which is set-up, not the month's work.
        started = time.perf_counter()
        compile_simulation()
        print(f"compiled month step loaded in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        executor = None
        if args.executor == "dask":
            from app.executors import DaskExecutor

            executor = DaskExecutor(workers=1)
            print(f"one-worker LocalCluster started in {time.perf_counter() - started:.1f} s (counted below)")
        elif args.executor == "inline":
            from app.executors import InlineExecutor

            executor = InlineExecutor()
        try:
            run = run_monthly(folder, out_dir=out, params=params, executor=executor)
        finally:
            if executor is not None:
                executor.shutdown()
        wall = time.perf_counter() - started
        print(f"monthly run {run.month} of {args.region} (seed {args.seed}): run {run.run_id}")
        for stage, seconds in run.timings.items():
            if stage != "total_s":
                beside = f" (on the {args.executor} executor, beside the others)" if stage[:-2] in BESIDE_STAGES \
                    and args.executor != "inline" else ""
                print(f"  {stage[:-2]:10} {seconds:7.1f} s{beside}")
        print(f"  {'total':10} {wall:7.1f} s wall clock (target for Greater Manchester: under 30 s)")
        m = run.summary["match"]
        print(f"  referrals {m['referrals']}, matched {m['matched']}, weekly cost £{m['total_weekly_cost']:,.0f}; "
              f"flags {sum(run.summary['flags'].values())}")
        started = time.perf_counter()
        again = run_monthly(folder, out_dir=out, params=params)
        print(f"same month again: reused={again.reused}, {time.perf_counter() - started:.1f} s")
        print(f"peak memory {peak_memory_mb():,.0f} MB; store {(out / 'runs.duckdb').stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
