"""Benchmark `rcc what-if replan`: every child in care re-matched against where they live today.

Prints load, build, solve and verify time, peak memory, objective, bound and proven gap, and beside them the
floor: a pure min-cost flow on the same pairs in the same run (what no exact solve of this pair table can beat
by much). Asserts nothing (speed is measured here, not in tests).

examples:
  .venv/bin/python benchmarks/replan.py                                   # embedded Greater Manchester
  .venv/bin/python benchmarks/replan.py --max-distance-km 40              # the same at the national cap
  rcc synth --region national --seed 1 --out /tmp/nat1
  .venv/bin/python benchmarks/replan.py --folder /tmp/nat1 --max-distance-km 40 --time-limit 60
  .venv/bin/python benchmarks/replan.py --folder /tmp/nat1 --max-distance-km 40 --profile 25   # where time goes
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import peak_memory_mb, region_folder  # noqa: E402
from data.load import load_region  # noqa: E402
from optimiser.match.params import MatchParams  # noqa: E402
from optimiser.match.replan import match_area, reuse_freed_memory  # noqa: E402
from optimiser.match.solvers import components, flow_relaxation  # noqa: E402

RUN_DATE = date(2026, 11, 1)  # fixed, so runs compare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="greater-manchester", help="greater-manchester or national")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--folder", type=Path, help="a region folder already written (e.g. by rcc synth --region "
                                                     "national), instead of synthesising --region")
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver time limit, seconds")
    parser.add_argument("--max-distance-km", type=float, default=0.0, help="distance cap for every child")
    parser.add_argument("--move-threshold", type=float, default=100.0, help="what a move must save, £ a week")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also print the N functions with the most cumulative time (cProfile)")
    args = parser.parse_args()
    reuse_freed_memory()  # as `rcc what-if replan` does

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or region_folder(args.region, args.seed, Path(tmp))
        started = time.perf_counter()
        region = load_region(folder, history=False)  # as rcc match loads it: no SSDA903 history
        load_s = time.perf_counter() - started
    print(f"loaded {folder.name}: {region.summary()} in {load_s:.1f} s, peak {peak_memory_mb():.0f} MB", flush=True)
    params = MatchParams(time_limit_s=args.time_limit, max_distance_km=args.max_distance_km)
    councils = set(region.authorities["la_code"])
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    matched = match_area(region, councils, params, args.move_threshold, RUN_DATE)
    if profiler:
        profiler.disable()
    t, report, candidates = matched.timings, matched.report, matched.candidates
    label = components(candidates)
    print(f"children re-matched {len(matched.area.referrals):,} ({len(candidates.units):,} units), "
          f"{len(candidates.pairs):,} pairs, {len(candidates.conflicts):,} age conflicts, "
          f"{label.max() + 1 if len(label) else 0:,} components", flush=True)
    started = time.perf_counter()
    flow_relaxation(candidates)
    floor_s = time.perf_counter() - started
    total = load_s + sum(t.values())
    print(f"load {load_s:.1f} s, build {t['build_s']:.1f} s, solve {t['solve_s']:.1f} s, verify "
          f"{t['verify_s']:.1f} s: {total:.1f} s in all; peak {peak_memory_mb():.0f} MB")
    print(f"floor: pure min-cost flow on the same pairs in {floor_s:.2f} s; the solve is "
          f"{t['solve_s'] / floor_s:.1f}x the floor, the build {t['build_s'] / floor_s:.1f}x")
    print(f"{report.solver}: {report.status}, objective {report.objective:,.0f}, bound {report.bound:,.0f}, "
          f"gap {report.gap:.4%}" + (f" ({report.message})" if report.message else ""))
    moved = matched.allocations["status"].eq("matched") & matched.allocations["setting_id"].ne(
        matched.area.referrals.set_index("referral_id")["current_setting_id"]
        .reindex(matched.allocations["referral_id"]).fillna("").to_numpy())
    print(f"children who would move {int(moved.sum()):,}; unmatched "
          f"{int(matched.allocations['status'].ne('matched').sum()):,}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
