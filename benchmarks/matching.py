"""Benchmark the regional match: time, peak memory, objective and gap, per solver, at regional or national scale.

Prints figures; asserts nothing (speed is measured here, not in tests).

examples:
  .venv/bin/python benchmarks/matching.py                                   # embedded Greater Manchester
  .venv/bin/python benchmarks/matching.py --region national --max-distance-km 80 --solvers scip
  .venv/bin/python benchmarks/matching.py --region national --stress 20000 --max-distance-km 40 --solvers fast \
      --time-limit 30                                                       # issue 4's stress case
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.common import peak_memory_mb, region_folder  # noqa: E402
from data.load import load_region  # noqa: E402
from optimiser.match.candidates import build_candidates  # noqa: E402
from optimiser.match.params import MatchParams  # noqa: E402
from optimiser.match.solvers import BACKENDS, flow_relaxation  # noqa: E402


def stress_referrals(referrals: pd.DataFrame, target: int, seed: int) -> pd.DataFrame:
    """About `target` referrals drawn from the month's, whole sibling groups at a time, with fresh ids: the same
    mix of needs, ages and sibling groups at several months' volume, all searching at once."""
    rng = np.random.default_rng(seed)
    key = referrals["sibling_group"].where(referrals["sibling_group"].fillna("").ne(""), referrals["referral_id"])
    groups = list(referrals.groupby(key, sort=False).groups.values())
    frames, count, copy = [], 0, 0
    while count < target:
        rows = referrals.loc[groups[rng.integers(len(groups))]]
        copy += 1
        tag = f"{copy:06d}"
        frames.append(rows.assign(
            referral_id=[f"RS{tag}{i}" for i in range(len(rows))], child_id=[f"CS{tag}{i}" for i in range(len(rows))],
            sibling_group=(f"SGS{tag}" if len(rows) > 1 else rows["sibling_group"])))
        count += len(rows)
    return pd.concat(frames, ignore_index=True)





def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="greater-manchester", help="greater-manchester or national")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--solvers", default="scip,highs,cp-sat", help="comma-separated solvers to compare")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--stress", type=int, default=0,
                        help="replace the referrals by about this many, drawn from them with sibling groups whole")
    parser.add_argument("--max-distance-km", type=float, default=0.0,
                        help="regional distance cap (keeps the national pair table to a solvable size)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = region_folder(args.region, args.seed, Path(tmp))
        started = time.perf_counter()
        region = load_region(folder)
        print(f"loaded {folder.name}: {region.summary()} in {time.perf_counter() - started:.1f} s")
    if args.stress:
        region = region.replace(referrals=stress_referrals(region.referrals, args.stress, args.seed))
        siblings = region.referrals["sibling_group"].fillna("").ne("").sum()
        print(f"stress case: {len(region.referrals):,} referrals ({siblings:,} in sibling groups)")
    base = MatchParams(time_limit_s=args.time_limit, max_distance_km=args.max_distance_km)
    started = time.perf_counter()
    candidates = build_candidates(region, base)
    print(f"candidates: {len(candidates.referrals)} referrals, {len(candidates.units)} units, "
          f"{len(candidates.pairs):,} pairs, {len(candidates.conflicts):,} age conflicts, "
          f"built in {time.perf_counter() - started:.1f} s, peak {peak_memory_mb():.0f} MB", flush=True)
    started = time.perf_counter()
    flow_relaxation(candidates)
    print(f"floor: pure min-cost flow on the same pairs in {time.perf_counter() - started:.2f} s", flush=True)
    print(f"{'solver':8} {'status':9} {'objective':>16} {'bound':>16} {'gap':>8} {'solve s':>8} {'peak MB':>8}")
    for solver in args.solvers.split(","):
        params = dataclasses.replace(base, solver=solver)
        started = time.perf_counter()
        _, report = BACKENDS[solver](candidates, params)
        print(f"{solver:8} {report.status:9} {report.objective:16,.0f} {report.bound:16,.0f} {report.gap:8.4%} "
              f"{time.perf_counter() - started:8.2f} {peak_memory_mb():8.0f}", flush=True)

if __name__ == "__main__":
    main()
