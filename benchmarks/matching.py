"""Benchmark the regional match: time, peak memory, objective and gap, per solver, at regional or national scale.

Prints figures; asserts nothing (speed is measured here, not in tests).

examples:
  .venv/bin/python benchmarks/matching.py                                   # embedded Greater Manchester
  .venv/bin/python benchmarks/matching.py --region national --max-distance-km 80 --solvers scip
  .venv/bin/python benchmarks/matching.py --region national --stress 20000 --max-distance-km 40 --solvers fast \
      --time-limit 30                                                       # issue 4's stress case
  .venv/bin/python benchmarks/matching.py --region national --stress 20000 --max-distance-km 40 --solvers fast \
      --time-limit 30 --reference-sample 600     # and check the build against the plain reference on a sample
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
from optimiser.match.solvers import BACKENDS, flow_relaxation, solve_by_components  # noqa: E402


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



def compare_with_reference(region, params: MatchParams, target: int, seed: int) -> None:
    """The fast and the plain reference build on a sample of the referrals: every table the same, or the first
    that differs (the test suite checks small regions; this checks the national data)."""
    from tests.candidates_reference import candidate_differences, reference_build_candidates

    sample = region.replace(referrals=stress_referrals(region.referrals, target, seed + 1))
    started = time.perf_counter()
    fast = build_candidates(sample, params)
    fast_s = time.perf_counter() - started
    started = time.perf_counter()
    plain = reference_build_candidates(sample, params)
    plain_s = time.perf_counter() - started
    differ = [difference.splitlines()[0] for difference in candidate_differences(sample, fast, plain)]
    print(f"reference check on {len(sample.referrals):,} referrals ({len(plain.pairs):,} pairs, "
          f"{len(plain.conflicts):,} conflicts): " + ("every table identical" if not differ else "; ".join(differ))
          + f" (fast {fast_s:.1f} s, reference {plain_s:.1f} s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="greater-manchester", help="greater-manchester or national")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--folder", type=Path, help="a region folder already written (e.g. by rcc synth --region "
                                                     "national), instead of synthesising --region")
    parser.add_argument("--solvers", default="scip,highs,cp-sat",
                        help="comma-separated solvers to compare; NAME+components solves component by component")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--stress", type=int, default=0,
                        help="replace the referrals by about this many, drawn from them with sibling groups whole")
    parser.add_argument("--max-distance-km", type=float, default=0.0,
                        help="regional distance cap (keeps the national pair table to a solvable size)")
    parser.add_argument("--reference-sample", type=int, default=0,
                        help="also build about this many referrals (whole sibling groups) with the plain reference "
                             "build (tests/candidates_reference.py) and say whether every table is the same")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or region_folder(args.region, args.seed, Path(tmp))
        started = time.perf_counter()
        region = load_region(folder, history=False)  # as rcc match loads it: no SSDA903 history
        print(f"loaded {folder.name}: {region.summary()} in {time.perf_counter() - started:.1f} s")
    if args.stress:
        region = region.replace(referrals=stress_referrals(region.referrals, args.stress, args.seed))
        siblings = region.referrals["sibling_group"].fillna("").ne("").sum()
        print(f"stress case: {len(region.referrals):,} referrals ({siblings:,} in sibling groups)")
    base = MatchParams(time_limit_s=args.time_limit, max_distance_km=args.max_distance_km)
    if args.reference_sample:
        compare_with_reference(region, base, args.reference_sample, args.seed)
    started = time.perf_counter()
    candidates = build_candidates(region, base)
    build_s = time.perf_counter() - started
    print(f"candidates: {len(candidates.referrals)} referrals, {len(candidates.units)} units, "
          f"{len(candidates.pairs):,} pairs, {len(candidates.conflicts):,} age conflicts, "
          f"built in {build_s:.1f} s, peak {peak_memory_mb():.0f} MB", flush=True)
    started = time.perf_counter()
    flow_relaxation(candidates)
    floor_s = time.perf_counter() - started
    print(f"floor: pure min-cost flow on the same pairs in {floor_s:.2f} s; the build is {build_s / floor_s:.1f}x "
          "the floor", flush=True)
    print(f"{'solver':8} {'status':9} {'objective':>16} {'bound':>16} {'gap':>8} {'solve s':>8} {'peak MB':>8}")
    for solver in args.solvers.split(","):
        # "fast+components": the same backend on each connected component of the pair graph in turn
        backend, by_components = solver.removesuffix("+components"), solver.endswith("+components")
        params = dataclasses.replace(base, solver=backend)
        started = time.perf_counter()
        _, report = (solve_by_components if by_components else BACKENDS[backend])(candidates, params)
        print(f"{solver:8} {report.status:9} {report.objective:16,.0f} {report.bound:16,.0f} {report.gap:8.4%} "
              f"{time.perf_counter() - started:8.2f} {peak_memory_mb():8.0f}", flush=True)

if __name__ == "__main__":
    main()
