"""Benchmark the forecasts: SSDA903 preparation, fitting, the rolling-origin backtest and a 24-month forecast,
timed with peak memory, on the embedded region or national synthetic data (152 councils).

Prints figures; asserts nothing (speed is measured here, not in tests). Loading and validating the input files is
timed separately: it is the data layer's work, shared by every job. So is loading the simulation's compiled month
step: `make` compiles it once into numba's cache, and without that cache it compiles here (about 6 s). Each
stage shows its wall time and its CPU
time (this process and its worker processes): on a shared machine the wall time depends on what else
is running, shown by the load average (runnable processes, for 1 and 5 minutes) before and after.

examples:
  .venv/bin/python benchmarks/forecast.py                      # national synthetic data, seed 1, forecast.toml
  .venv/bin/python benchmarks/forecast.py --origins 12 --origin-step 2 --backtest-paths 50 --paths 200
  .venv/bin/python benchmarks/forecast.py --region greater-manchester --seed 7
  .venv/bin/python benchmarks/forecast.py --backtest-models markov,seasonal_naive,ets
  .venv/bin/python benchmarks/forecast.py --processes 1      # the chain in this process only
  .venv/bin/python benchmarks/forecast.py --no-shared-shock   # without the shock shared by every council
  .venv/bin/python benchmarks/forecast.py --shrink-shared-shock   # that shock shrunk by its standard error
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

# Each simulation is single-threaded (the backtest runs one per core); on two cores OpenBLAS's extra threads
# (used only by the entries GLM) spin against it and against anything else running, which made the same fit
# take 2 s or 20 s from run to run.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import peak_memory_mb, region_folder  # noqa: E402
from data.load import load_region  # noqa: E402
from forecasts.backtest import ALL_GROUPS, REGION, backtest  # noqa: E402
from forecasts.demand import population, prepared_history  # noqa: E402
from forecasts.params import ForecastParams  # noqa: E402
from forecasts.simulate import compile_simulation, demand_table, fit, simulate, usable_cores  # noqa: E402


@contextmanager
def _timed(timings: dict[str, tuple[float, float]], name: str):
    """Time the block: (wall, CPU of this process and of any worker processes it waited for) under `name`, which
    the block may rename by setting the yielded list's item."""
    label = [name]
    wall, cpu = time.perf_counter(), _cpu_seconds()
    yield label
    timings[label[0]] = (time.perf_counter() - wall, _cpu_seconds() - cpu)


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="national", help="national or greater-manchester")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backtest-models", default="markov,seasonal_naive",
                        help="models to backtest (ETS fits one statsmodels model per series: about 0.1 s each, "
                             "so 1,500 national series add minutes)")
    parser.add_argument("--origins", type=int, help="backtest origins (default from forecast.toml)")
    parser.add_argument("--origin-step", type=int, help="months between backtest origins (default from forecast.toml)")
    parser.add_argument("--backtest-paths", type=int, help="paths per backtest origin (default from forecast.toml)")
    parser.add_argument("--paths", type=int, help="paths of the 24-month forecast (default from forecast.toml)")
    parser.add_argument("--processes", type=int,
                        help="processes for the backtest's chain and the forecast's paths (default: every core)")
    parser.add_argument("--shared-shock", action=argparse.BooleanOptionalAction,
                        help="with (or --no-shared-shock without) the shock shared by every council "
                             "(default: forecast.toml's shared_shock)")
    parser.add_argument("--shrink-shared-shock", action=argparse.BooleanOptionalAction,
                        help="shrink that shock towards none by its standard error "
                             "(default: forecast.toml's shrink_shared_shock)")
    args = parser.parse_args()
    processes = args.processes or usable_cores()
    defaults = ForecastParams()
    bt = defaults.backtest
    params = dataclasses.replace(defaults, paths=args.paths or defaults.paths,
                                 shared_shock=defaults.shared_shock if args.shared_shock is None
                                 else args.shared_shock,
                                 shrink_shared_shock=defaults.shrink_shared_shock
                                 if args.shrink_shared_shock is None else args.shrink_shared_shock,
                                 backtest=dataclasses.replace(
        bt, models=tuple(args.backtest_models.split(",")), origins=args.origins or bt.origins,
        origin_step=args.origin_step or bt.origin_step, paths=args.backtest_paths or bt.paths))

    with tempfile.TemporaryDirectory() as workdir:
        folder = region_folder(args.region, args.seed, Path(workdir))
        load_average = os.getloadavg()
        clock = time.perf_counter()
        region = load_region(folder)
        load_s = time.perf_counter() - clock
        clock = time.perf_counter()
        compile_simulation()
        compile_s = time.perf_counter() - clock
        timings = {}
        with _timed(timings, "preparation (903 rules, monthly stocks and flows)"):
            preparation, history = prepared_history(region, params)
        with _timed(timings, "fit (chain rates, entries GLM)"):
            model = fit(history, len(history.months) - 1, params, population(region))
        with _timed(timings, "backtest") as name:
            result = backtest(history, params, population(region), processes=processes)
            name[0] = (f"backtest ({len(result.origins)} origins, {params.backtest.paths} paths, "
                       f"{'+'.join(params.backtest.models)})")
        with _timed(timings, f"24-month forecast ({params.paths} paths)"):
            demand = demand_table(simulate(model, 24, params.paths, params.seed, processes=processes))

    wall, cpu = (sum(t[i] for t in timings.values()) for i in (0, 1))
    print(f"{args.region} (seed {args.seed}): {len(history.la_codes)} councils, {len(region.episodes):,} episodes, "
          f"{int(history.stock[:, -1].sum()):,} children in care, {len(history.months)} months of history")
    print(f"  {'':<58} {'wall':>7}   {'CPU':>7}")
    print(f"  {'load and validate the files (data layer)':<58} {load_s:7.1f} s")
    print(f"  {'load the compiled month step (numba; compiling: about 6 s)':<58} {compile_s:7.1f} s")
    for name, (seconds, cpu_seconds) in timings.items():
        print(f"  {name:<58} {seconds:7.1f} s {cpu_seconds:7.1f} s")
    print(f"  {'total: preparation + fit + backtest + forecast':<58} {wall:7.1f} s {cpu:7.1f} s")
    print(f"  load average before {load_average[0]:.1f} (1 min), {load_average[1]:.1f} (5 min); "
          f"after {os.getloadavg()[0]:.1f}, {os.getloadavg()[1]:.1f} on {os.cpu_count()} cores")
    print(f"  peak memory {peak_memory_mb():,.0f} MB (this process), {_children_peak_mb():,.0f} MB (largest worker); "
          f"Demand table {len(demand):,} rows")
    regional = result.regional().pivot(index="model", columns="horizon", values=["mase", "coverage_80"])
    lines = regional.round(2).to_string().splitlines()
    print(f"  backtest of the {args.region} total:\n" + "\n".join("    " + line for line in lines))
    print(f"  p10-p90 coverage of the councils' series (mean over series), the chain; shared shock "
          f"{'on' if params.shared_shock else 'off'}"
          + "".join(f" (at the last origin: entries sd {s.sd:.1%} (estimated {s.estimated_sd:.1%}), "
                    f"autocorrelation {s.autocorrelation:.2f}; exit rates sd {x.sd:.1%} (estimated "
                    f"{x.estimated_sd:.1%}), autocorrelation {x.autocorrelation:.2f}"
                    f"{'; shrunk' if params.shrink_shared_shock else ''})"
                    for s, x in [(model.entries.shock, model.rates.exit_shock)] if params.shared_shock) + ":")
    councils = _council_coverage(result.table)
    print("\n".join("    " + line for line in councils.round(2).to_string().splitlines()))


def _council_coverage(table: pd.DataFrame) -> pd.DataFrame:
    """The chain's p10-p90 coverage by horizon, averaged over each council's total and over council x group."""
    chain = table[(table["model"] == "markov") & (table["la_code"] != REGION)].dropna(subset=["coverage_80"])
    rows = {"council totals": chain[chain["group"] == ALL_GROUPS],
            "council x group": chain[chain["group"] != ALL_GROUPS]}
    return pd.DataFrame({name: rows.groupby("horizon")["coverage_80"].mean() for name, rows in rows.items()}).T


if __name__ == "__main__":
    main()
