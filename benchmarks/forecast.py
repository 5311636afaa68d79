"""Benchmark the forecasts: SSDA903 preparation, fitting, the rolling-origin backtest and a 24-month forecast,
timed with peak memory, on the embedded region or national synthetic data (152 councils).

Prints figures; asserts nothing (speed is measured here, not in tests). Loading and validating the input files is
timed separately: it is the data layer's work, shared by every job.

examples:
  .venv/bin/python benchmarks/forecast.py                      # national synthetic data, seed 1, forecast.toml
  .venv/bin/python benchmarks/forecast.py --origins 12 --origin-step 2 --backtest-paths 50 --paths 200
  .venv/bin/python benchmarks/forecast.py --region greater-manchester --seed 7
  .venv/bin/python benchmarks/forecast.py --backtest-models markov,seasonal_naive,ets
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

# The simulation is single-threaded; on two cores OpenBLAS's extra threads (used only by the entries GLM) spin
# against it and against anything else running, which made the same fit take 2 s or 20 s from run to run.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import peak_memory_mb, region_folder  # noqa: E402

from data.load import load_region  # noqa: E402
from forecasts.backtest import backtest  # noqa: E402
from forecasts.demand import population, prepared_history  # noqa: E402
from forecasts.params import ForecastParams  # noqa: E402
from forecasts.simulate import demand_table, fit, simulate  # noqa: E402





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
    args = parser.parse_args()
    defaults = ForecastParams()
    bt = defaults.backtest
    params = dataclasses.replace(defaults, paths=args.paths or defaults.paths, backtest=dataclasses.replace(
        bt, models=tuple(args.backtest_models.split(",")), origins=args.origins or bt.origins,
        origin_step=args.origin_step or bt.origin_step, paths=args.backtest_paths or bt.paths))

    with tempfile.TemporaryDirectory() as workdir:
        folder = region_folder(args.region, args.seed, Path(workdir))
        clock = time.perf_counter()
        region = load_region(folder)
        load_s = time.perf_counter() - clock
        timings = {}
        clock = time.perf_counter()
        preparation, history = prepared_history(region, params)
        timings["preparation (903 rules, monthly stocks and flows)"] = time.perf_counter() - clock
        clock = time.perf_counter()
        model = fit(history, len(history.months) - 1, params, population(region))
        timings["fit (chain rates, entries GLM)"] = time.perf_counter() - clock
        clock = time.perf_counter()
        result = backtest(history, params, population(region))
        timings[f"backtest ({len(result.origins)} origins, {params.backtest.paths} paths, "
                f"{'+'.join(params.backtest.models)})"] = time.perf_counter() - clock
        clock = time.perf_counter()
        demand = demand_table(simulate(model, 24, params.paths, params.seed))
        timings[f"24-month forecast ({params.paths} paths)"] = time.perf_counter() - clock

    total = sum(timings.values())
    print(f"{args.region} (seed {args.seed}): {len(history.la_codes)} councils, {len(region.episodes):,} episodes, "
          f"{int(history.stock[:, -1].sum()):,} children in care, {len(history.months)} months of history")
    print(f"  {'load and validate the files (data layer)':<58} {load_s:7.1f} s")
    for name, seconds in timings.items():
        print(f"  {name:<58} {seconds:7.1f} s")
    print(f"  {'total: preparation + fit + backtest + forecast':<58} {total:7.1f} s")
    print(f"  peak memory {peak_memory_mb():,.0f} MB; Demand table {len(demand):,} rows")
    regional = result.regional().pivot(index="model", columns="horizon", values=["mase", "coverage_80"])
    lines = regional.round(2).to_string().splitlines()
    print(f"  backtest of the {args.region} total:\n" + "\n".join("    " + line for line in lines))


if __name__ == "__main__":
    main()
