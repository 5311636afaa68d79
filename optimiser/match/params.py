"""Parameters of the regional match: a validated dataclass, loadable from TOML (defaults in match.toml)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from data.toml_files import build_parameters, load_toml

DEFAULTS_FILE = Path(__file__).with_name("match.toml")
SOLVERS = ("fast", "pyomo", "scip", "highs", "cp-sat")  # see optimiser/match/solvers.py
FAIRNESS_RULES = ("none", "no-worse", "proportional")  # see optimiser/match/fairness.py
LOOKAHEAD_COLUMNS = ("mean", "p10", "p50", "p90")  # the Demand table's stock columns (optimiser/match/demand.py)
NON_NEGATIVE = ("cost_per_km", "over_20_miles_cost", "not_preferred_cost", "outstanding_cost", "good_cost",
                "requires_improvement_cost", "not_inspected_cost", "inadequate_cost", "sibling_split_cost",
                "emergency_priority", "waiting_priority_per_day", "in_house_bonus", "risk_unstated_cost", "pet_cost",
                "language_cost", "culture_cost", "education_cost")


@dataclass(frozen=True)
class MatchParams:
    cost_per_km: float = 25.0
    over_20_miles_cost: float = 2_000.0
    close_to_family_multiplier: float = 2.0
    not_preferred_cost: float = 300.0
    outstanding_cost: float = 0.0
    good_cost: float = 0.0
    requires_improvement_cost: float = 500.0
    not_inspected_cost: float = 250.0
    inadequate_cost: float = 2000.0
    exclude_inadequate: bool = True
    max_distance_km: float = 0.0
    keep_school_max_km: float = 15.0
    unmatched_penalty: float = 1_000_000.0
    emergency_priority: float = 200_000.0
    waiting_priority_per_day: float = 2_000.0
    sibling_split_cost: float = 3_000.0
    in_house_first: bool = False
    in_house_bonus: float = 5_000.0
    risk_unstated_cost: float = 300.0
    pet_cost: float = 150.0
    language_cost: float = 500.0
    culture_cost: float = 300.0
    education_cost: float = 400.0
    lookahead_column: str = "mean"
    hold_value: float = 1_050_000.0
    fairness: str = "none"
    fairness_share: float = 0.5
    non_member_vacancy_share: float = 0.5
    solver: str = "fast"
    time_limit_s: float = 60.0
    relative_gap: float = 1e-4
    gap_warning: float = 0.01

    def __post_init__(self) -> None:
        problems = [f"{f.name} must be a finite number (got {getattr(self, f.name)})"
                    for f in dataclasses.fields(self) if isinstance(getattr(self, f.name), float)
                    and not math.isfinite(getattr(self, f.name))]
        for name in NON_NEGATIVE:
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative (got {getattr(self, name)})")
        if self.close_to_family_multiplier < 1:
            problems.append(f"close_to_family_multiplier must be at least 1 (got {self.close_to_family_multiplier})")
        if self.keep_school_max_km <= 0:
            problems.append(f"keep_school_max_km must be positive (got {self.keep_school_max_km})")
        if self.unmatched_penalty <= 0:
            problems.append(f"unmatched_penalty must be positive (got {self.unmatched_penalty})")
        if self.max_distance_km < 0:
            problems.append(f"max_distance_km must be 0 (no cap) or positive (got {self.max_distance_km})")
        if self.lookahead_column not in LOOKAHEAD_COLUMNS:
            problems.append(f"lookahead_column must be one of {', '.join(LOOKAHEAD_COLUMNS)} "
                            f"(got {self.lookahead_column!r})")
        if self.hold_value <= 0:
            problems.append(f"hold_value must be positive (got {self.hold_value})")
        if self.fairness not in FAIRNESS_RULES:
            problems.append(f"fairness must be one of {', '.join(FAIRNESS_RULES)} (got {self.fairness!r})")
        if not 0 < self.fairness_share <= 1:
            problems.append(f"fairness_share must be in (0, 1] (got {self.fairness_share})")
        if not 0 <= self.non_member_vacancy_share <= 1:
            problems.append(f"non_member_vacancy_share must be in [0, 1] (got {self.non_member_vacancy_share})")
        if self.solver not in SOLVERS:
            problems.append(f"solver must be one of {', '.join(SOLVERS)} (got {self.solver!r})")
        if self.time_limit_s <= 0:
            problems.append(f"time_limit_s must be positive (got {self.time_limit_s})")
        if not 0 <= self.relative_gap < 1:
            problems.append(f"relative_gap must be in [0, 1) (got {self.relative_gap})")
        if not self.gap_warning >= self.relative_gap:
            problems.append(f"gap_warning must be at least relative_gap (got {self.gap_warning})")
        if problems:
            raise ValueError("invalid match parameters: " + "; ".join(problems))

    @classmethod
    def from_toml(cls, path: str | Path) -> MatchParams:
        """Read parameters from a TOML file; keys left out keep their defaults, unknown keys are an error."""
        return load_toml(path, cls.from_dict)

    @classmethod
    def from_dict(cls, values: dict) -> MatchParams:
        return build_parameters(cls, values)

    def grade_cost(self, grade: str) -> float:
        return getattr(self, f"{grade}_cost")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
