"""Market flags: unlawful placements with step-down plans, profit and fee outliers, market concentration.

One module per concept (unlawful, profit, fees, concentration, stress), each turning the region's tables into
evidence tables and rows of the flags table; run.find_flags puts them together. Nothing here reads the
synthetic generator's truth table: that exists only for tests and benchmarks/flags.py to score these flags.
"""

from optimiser.flags.common import FLAG_COLUMNS, SEVERITIES
from optimiser.flags.params import DEFAULTS_FILE, FlagParams
from optimiser.flags.run import FLAG_TYPES, Flags, find_flags

__all__ = ["FLAG_COLUMNS", "FLAG_TYPES", "SEVERITIES", "DEFAULTS_FILE", "FlagParams", "Flags", "find_flags"]
