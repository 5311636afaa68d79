"""Benchmark the market flags: recall and false-positive rate per flag type against the anomalies the synthetic
generator planted, and timings, on the embedded region and a few other seeds.

Prints figures; asserts nothing (tests/test_flags_synthetic.py holds the thresholds). The definitions of
positives and clean subjects per flag type are in tests/flag_scoring.py. The matcher (step-down proposals, the
stress test and the re-housing test of owners difficult to replace) runs on every region: the derived
difficult-to-replace designation and the top market risk need it. `--no-match` skips it, and those two flags
are then not scored.

examples:
  .venv/bin/python benchmarks/flags.py                                  # GM seeds 7 (embedded), 8, 9; South East 3
  .venv/bin/python benchmarks/flags.py --regions greater-manchester:11 --no-match
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import region_folder  # noqa: E402
from data.load import load_region  # noqa: E402
from optimiser.flags import FlagParams, find_flags  # noqa: E402
from optimiser.flags.params import StressParams, UnlawfulParams  # noqa: E402
from tests.flag_scoring import NEEDS_MATCH, read_truth, score, table  # noqa: E402

RUN_DATE = date(2026, 11, 22)  # three weeks after the synthetic regions' snapshot
DEFAULT_REGIONS = "greater-manchester:7,greater-manchester:8,greater-manchester:9,south-east:3"



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regions", default=DEFAULT_REGIONS, help="comma-separated region:seed pairs")
    parser.add_argument("--no-match", action="store_true",
                        help="skip the matcher (faster; the flags that need it are not scored)")
    args = parser.parse_args()
    quick = FlagParams(unlawful=UnlawfulParams(propose_alternatives=False), stress=StressParams(run=False))
    scores = []
    with tempfile.TemporaryDirectory() as tmp:
        for pair in args.regions.split(","):
            name, seed = pair.split(":")
            started = time.perf_counter()
            folder = region_folder(name, int(seed), Path(tmp), verbose=False)
            made = time.perf_counter()
            region = load_region(folder, today=RUN_DATE)
            loaded = time.perf_counter()
            flags = find_flags(region, quick if args.no_match else FlagParams(), RUN_DATE)
            done = time.perf_counter()
            timing = ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in flags.timings.items())
            print(f"\n{name} seed {seed}: {len(region.children):,} children, {len(region.settings):,} settings, "
                  f"{len(region.providers):,} providers; synth {made - started:.1f} s, load {loaded - made:.1f} s, "
                  f"flags {done - loaded:.1f} s ({timing})")
            result = table(score(region, read_truth(folder), flags.table, flags.markets)).assign(region=pair)
            if args.no_match:
                result = result[~result["flag"].isin(NEEDS_MATCH)]
            with pd.option_context("display.width", 200, "display.float_format", "{:.4f}".format):
                print(result.drop(columns="region").to_string(index=False))
            if flags.stress is not None:
                s = flags.stress.summary()
                print(f"stress test: {s['group']} exits: {s['children_displaced']} children displaced, "
                      f"{s['rehoused']} re-housed, {s['not_rehoused']} not")
            scores.append(result)
    overall = pd.concat(scores).groupby("flag", sort=False)[["positives", "found", "clean", "false_flags"]].sum()
    overall["recall"] = overall["found"] / overall["positives"]
    overall["false_positive_rate"] = overall["false_flags"] / overall["clean"]
    print(f"\nAll regions together ({args.regions}):")
    with pd.option_context("display.width", 200, "display.float_format", "{:.4f}".format):
        print(overall.to_string())


if __name__ == "__main__":
    main()
