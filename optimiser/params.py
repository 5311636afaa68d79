"""Parameters of the regional match: a validated dataclass, loadable from TOML (defaults in match.toml)."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULTS_FILE = Path(__file__).with_name("match.toml")
SOLVERS = ("scip", "highs", "cp-sat")


@dataclass(frozen=True)
class MatchParams:
    cost_per_km: float = 25.0
    unmatched_penalty: float = 1_000_000.0
    exclude_inadequate: bool = True
    max_distance_km: float = 0.0
    solver: str = "scip"
    time_limit_s: float = 60.0
    relative_gap: float = 1e-4

    def __post_init__(self) -> None:
        problems = []
        if self.cost_per_km < 0:
            problems.append(f"cost_per_km must not be negative (got {self.cost_per_km})")
        if self.unmatched_penalty <= 0:
            problems.append(f"unmatched_penalty must be positive (got {self.unmatched_penalty})")
        if self.max_distance_km < 0:
            problems.append(f"max_distance_km must be 0 (no cap) or positive (got {self.max_distance_km})")
        if self.solver not in SOLVERS:
            problems.append(f"solver must be one of {', '.join(SOLVERS)} (got {self.solver!r})")
        if self.time_limit_s <= 0:
            problems.append(f"time_limit_s must be positive (got {self.time_limit_s})")
        if not 0 <= self.relative_gap < 1:
            problems.append(f"relative_gap must be in [0, 1) (got {self.relative_gap})")
        if problems:
            raise ValueError("invalid match parameters: " + "; ".join(problems))

    @classmethod
    def from_toml(cls, path: str | Path) -> MatchParams:
        """Read parameters from a TOML file; keys left out keep their defaults, unknown keys are an error."""
        with open(path, "rb") as handle:
            values = tomllib.load(handle)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{path}: unknown parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**values)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
