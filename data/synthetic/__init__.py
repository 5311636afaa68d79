"""Seeded synthetic regions calibrated to published figures (FACTS.md): `generate(region, seed)` returns the
schema tables plus `synthetic_truth`; `write(tables, out_dir)` saves them as CSV files."""

from data.synthetic.build import REGIONS, generate
from data.synthetic.output import write

__all__ = ["REGIONS", "generate", "write"]
