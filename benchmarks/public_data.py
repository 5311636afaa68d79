"""Benchmark reading the public data: every Ofsted provider list, the DfE's LA tables and ONS's files in a folder
(default ../shared/public-data), then building the --all-england region folder and England's market picture, and
the owners meeting the difficult-to-replace rule's market part nationally.

Prints figures; asserts nothing. Target on 2 cores: reading everything and building --all-england under 20 s.

examples:
  .venv/bin/python benchmarks/public_data.py
  .venv/bin/python benchmarks/public_data.py --data-dir /path/to/newer/downloads
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import peak_memory_mb  # noqa: E402
from data.authorities import register  # noqa: E402
from data.public.read import read_public_data  # noqa: E402
from data.public.region import build_public_region, write_public_region  # noqa: E402
from optimiser.market import market_picture  # noqa: E402
from optimiser.national import national_replace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "public-data")
    args = parser.parse_args()
    clock = time.perf_counter()
    public = read_public_data(args.data_dir)
    read = time.perf_counter() - clock
    print(f"read {args.data_dir} in {read:.1f} s: " + ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in
                                                                public.timings.items()))
    print(f"  {len(public.ofsted)} Ofsted lists ({', '.join(o.as_of.isoformat() for o in public.ofsted)}), "
          f"{len(public.dfe.table):,} DfE figures, {len(public.boundaries)} boundaries; "
          f"{int((public.issues['severity'] == 'error').sum())} errors, "
          f"{int((public.issues['severity'] == 'warning').sum())} warnings")
    clock = time.perf_counter()
    england = register().current()
    region = build_public_region(public, england[england["country"].eq("england")]["la_code"].tolist(), "England")
    with tempfile.TemporaryDirectory() as folder:
        write_public_region(region, Path(folder))
    built = time.perf_counter() - clock
    print(f"built and wrote --all-england in {built:.1f} s: {region.about['settings']:,} settings, "
          f"{region.about['places']:,} places")
    print(f"read + --all-england: {read + built:.1f} s (target under 20 s)")
    clock = time.perf_counter()
    market = market_picture(public)
    print(f"market picture in {time.perf_counter() - clock:.1f} s: {len(market.councils):,} council-years, "
          f"{len(market.owners):,} owner-years")
    clock = time.perf_counter()
    candidates = national_replace(public)
    print(f"difficult to replace nationally (in the market picture's time too) in {time.perf_counter() - clock:.1f} "
          f"s: {len(candidates):,} owners meet the rule's market part")
    print(f"peak memory {peak_memory_mb():,.0f} MB")


if __name__ == "__main__":
    main()
