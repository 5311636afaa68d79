"""Benchmark the yearly forecast from the DfE's published series (`rcc public forecast` and `rcc public backtest`):
time and memory for every council, and the rolling-origin backtest on the real years against the targets, for
rcc's pooled model and each yardstick (naive, drift, damped-trend ETS).

Prints figures; asserts nothing. Targets (issue 17): for `all` one and two years ahead, MAE below 0.9 of naive's
(beating "same as last year" by 10%) and p10-p90 coverage 75-85%; for `foster` and `childrens_home`, below naive's
MAE and coverage 70-90%; the forecast with its backtest for all councils under 60 s on 2 cores.

"vs naive" is the MAE over the same forecasts divided by naive's (the target's "MASE against naive"); MASE is
Hyndman's, each error over the series' own mean year-on-year change before the origin (naive scores above 1
when the years ahead change more than the years behind).

examples:
  .venv/bin/python benchmarks/public_forecast.py
  .venv/bin/python benchmarks/public_forecast.py --until 2021 --no-ets
  .venv/bin/python benchmarks/public_forecast.py --data-dir /path/to/newer/downloads
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import peak_memory_mb  # noqa: E402
from data.public.read import read_public_data  # noqa: E402
from forecasts.annual import MODEL_LABELS, MODELS, QUICK_MODELS, AnnualParams, run_annual  # noqa: E402

TARGETS = {"all": (0.9, (0.75, 0.85)), "foster": (1.0, (0.70, 0.90)), "childrens_home": (1.0, (0.70, 0.90))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "public-data")
    parser.add_argument("--until", type=int, default=None, help="last year the forecast may read")
    parser.add_argument("--no-ets", action="store_true", help="leave out the (slow) ETS yardstick")
    args = parser.parse_args()

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg()[:2])}")
    clock = time.perf_counter()
    public = read_public_data(args.data_dir, series_only=True)
    read_s = time.perf_counter() - clock
    table = public.dfe.table
    annual = table[table["level"].eq("la")].rename(columns={"area_code": "la_code"})
    councils = annual["la_code"].nunique()

    clock = time.perf_counter()
    quick = run_annual(annual, public.population, args.until, AnnualParams(), models=QUICK_MODELS)
    quick_s = time.perf_counter() - clock
    summary = quick.summary
    ets_s = None
    if not args.no_ets:
        clock = time.perf_counter()
        full = run_annual(annual, public.population, args.until, AnnualParams(), models=MODELS)
        ets_s = time.perf_counter() - clock
        summary = full.summary

    print(f"\n{councils} councils' series, {int(annual['year'].min())}-{quick.until}; forecast from {quick.until} "
          f"for {', '.join(str(int(y)) for y in sorted(quick.forecast['year'].unique()))}")
    print(f"  read the DfE's tables and ONS population  {read_s:6.1f} s")
    print(f"  forecast + backtest (pooled, naive, drift) {quick_s:6.1f} s   <- target: under 60 s with reading")
    if ets_s is not None:
        print(f"  the same with the ETS yardstick            {ets_s:6.1f} s   (ETS refitted per series and origin)")
    print(f"  peak memory                                {peak_memory_mb():6.0f} MB")

    print("\nBacktest on the real years (origins "
          f"{int(quick.backtest['origin'].min())}-{int(quick.backtest['origin'].max())}), every council:")
    print(f"  {'group':<19}{'ahead':>6}  {'model':<28}{'forecasts':>10}{'MASE':>7}{'vs naive':>9}{'bias':>8}"
          f"{'p10-p90':>9}  target")
    for r in summary.itertuples():
        target = ""
        if r.model == "pooled" and r.group in TARGETS and r.horizon <= (2 if r.group == "all" else 3):
            limit, (low, high) = TARGETS[r.group]
            met = r.relative_mae < limit and low <= r.coverage <= high
            target = f"{'met' if met else 'MISSED'} (vs naive < {limit}, coverage {low:.0%}-{high:.0%})"
        coverage = "-" if r.coverage != r.coverage else f"{r.coverage:.0%}"
        print(f"  {r.group:<19}{r.horizon:>6}  {MODEL_LABELS[r.model]:<28}{r.forecasts:>10,}{r.mase:>7.2f}"
              f"{r.relative_mae:>9.2f}{r.bias:>+8.1%}{coverage:>9}  {target}")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg()[:2])}")
    for note in quick.notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
