"""Benchmark the regional match: time, peak memory, objective and gap, per solver, at regional or national scale.

Prints figures; asserts nothing (speed is measured here, not in tests).

examples:
  .venv/bin/python benchmarks/matching.py                                   # embedded Greater Manchester
  .venv/bin/python benchmarks/matching.py --region national --max-distance-km 80 --solvers scip
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.load import load_region  # noqa: E402
from optimiser.matching import match_region  # noqa: E402
from optimiser.params import MatchParams  # noqa: E402

EMBEDDED = ROOT / "data" / "regions" / "greater-manchester"


def region_folder(name: str, seed: int, workdir: Path) -> Path:
    if name == "greater-manchester" and seed == 7:
        return EMBEDDED
    from data.synthetic import generate, write

    started = time.perf_counter()
    folder = workdir / name
    write(generate(name, seed, progress=lambda m: print(f"  synth: {m}", flush=True)), folder)
    print(f"synthesised {name} (seed {seed}) in {time.perf_counter() - started:.1f} s")
    return folder


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="greater-manchester", help="greater-manchester or national")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--solvers", default="scip,highs,cp-sat", help="comma-separated solvers to compare")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--max-distance-km", type=float, default=0.0,
                        help="regional distance cap (keeps the national pair table to a solvable size)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = region_folder(args.region, args.seed, Path(tmp))
        started = time.perf_counter()
        region = load_region(folder)
        print(f"loaded {folder.name}: {region.summary()} in {time.perf_counter() - started:.1f} s")
    base = MatchParams(time_limit_s=args.time_limit, max_distance_km=args.max_distance_km)
    print(f"{'solver':8} {'status':9} {'objective':>16} {'gap':>8} {'units':>7} {'pairs':>9} "
          f"{'screen s':>9} {'solve s':>8} {'matched':>8} {'peak MB':>8}")
    for solver in args.solvers.split(","):
        result = match_region(region, dataclasses.replace(base, solver=solver))
        matched = int((result.allocations["status"] == "matched").sum())
        print(f"{solver:8} {result.status:9} {result.objective:16,.0f} {result.gap:8.4%} {result.units:7d} "
              f"{result.pairs:9d} {result.timings['candidates_s']:9.2f} {result.timings['solve_s']:8.2f} "
              f"{matched:8d} {peak_memory_mb():8.0f}", flush=True)


if __name__ == "__main__":
    main()
