"""Parameters of forecasting, backtesting and costing: validated frozen dataclasses, loadable from TOML.

The documented defaults live in forecast.toml beside this file (a test keeps the two identical). A run records
every value with its outputs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from data.toml_files import build_parameters, check_parameters, load_toml
from data.vocabulary import PLACEMENT_GROUPS

DEFAULTS_FILE = Path(__file__).with_name("forecast.toml")

# Weekly unit costs (£) by group. Sources are FACTS.md; groups the RCC does not commission cost nothing here
# (a council may set its allowances per council).
UNIT_WEEKLY_COSTS = {
    "kinship": 0.0,  # not commissioned
    "foster_inhouse": 525.0,  # CMA interim 2021: £400-650 a week all in (midpoint)
    "foster_ifa": 790.0,  # CMA interim 2021: £760-820 a week (midpoint)
    "childrens_home": 6100.0,  # NAO 2025: £318,400 per place per year
    "secure": 10000.0,  # assumption: FACTS.md gives no fee; LGA 2023 counts such placements over £10,000 a week
    "supported": 2250.0,  # assumption: FACTS.md gives no fee; midpoint of the synthetic generator's £1,000-3,500
    "with_parents": 0.0,  # not commissioned
    "adoption": 0.0,  # not commissioned
    "other": 0.0,  # not commissioned
}
# Placement spending rose 126% (2009/10 to 2022/23) while children looked after rose 30% (DfE impact assessment,
# January 2025): unit costs grew (2.26 / 1.30) ** (1 / 13) - 1 = 4.3% a year.
COST_INFLATION = 0.043




BACKTEST_MODELS = ("markov", "seasonal_naive", "ets")


@dataclass(frozen=True)
class BacktestParams:
    horizons: tuple[int, ...] = (3, 6, 12)
    origins: int = 24
    origin_step: int = 1
    paths: int = 100
    models: tuple[str, ...] = BACKTEST_MODELS

    def __post_init__(self) -> None:
        object.__setattr__(self, "horizons", tuple(sorted({int(h) for h in self.horizons})))
        object.__setattr__(self, "models", tuple(self.models))
        unknown = sorted(set(self.models) - set(BACKTEST_MODELS))
        check_parameters("backtest", [
            (bool(self.models) and not unknown,
             f"models must be some of {', '.join(BACKTEST_MODELS)} (got {', '.join(self.models) or 'none'})"),
            (len(self.horizons) > 0 and all(h >= 1 for h in self.horizons),
             f"horizons must be positive months (got {self.horizons})"),
            (self.origins >= 1, f"origins must be at least 1 (got {self.origins})"),
            (self.origin_step >= 1, f"origin_step must be at least 1 month (got {self.origin_step})"),
            (self.paths >= 20, f"paths must be at least 20 for a p10-p90 interval (got {self.paths})"),
        ])


@dataclass(frozen=True)
class CostParams:
    unit_weekly: dict[str, float] = field(default_factory=lambda: dict(UNIT_WEEKLY_COSTS))
    inflation: float = COST_INFLATION
    councils: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unit = {**UNIT_WEEKLY_COSTS, **self.unit_weekly}
        object.__setattr__(self, "unit_weekly", unit)
        unknown = sorted(set(unit) - set(PLACEMENT_GROUPS)) + sorted(
            {g for costs in self.councils.values() for g in costs} - set(PLACEMENT_GROUPS))
        costs = list(unit.values()) + [c for costs in self.councils.values() for c in costs.values()]
        check_parameters("cost", [
            (not unknown, f"unknown placement group(s) {', '.join(unknown)}; groups are {', '.join(PLACEMENT_GROUPS)}"),
            (all(c >= 0 for c in costs), "weekly costs must not be negative"),
            (-0.5 < self.inflation < 1, f"inflation is an annual rate such as 0.04 (got {self.inflation})"),
        ])

    def weekly(self, la_code: str, group: str) -> float:
        """A council's own unit cost where it set one, else the default."""
        return self.councils.get(la_code, {}).get(group, self.unit_weekly[group])


@dataclass(frozen=True)
class ForecastParams:
    reference_months: int = 24
    entry_months: int = 24
    shrinkage: float = 120.0
    entry_mix_shrinkage: float = 40.0
    evidence_discount: float = 1.0
    entry_trend: bool = True
    shared_shock: bool = True
    shrink_shared_shock: bool = False
    paths: int = 500
    seed: int = 0
    max_excluded_share: float = 0.05
    backtest: BacktestParams = field(default_factory=BacktestParams)
    costs: CostParams = field(default_factory=CostParams)

    def __post_init__(self) -> None:
        check_parameters("forecast", [
            (self.reference_months >= 3, f"reference_months must be at least 3 (got {self.reference_months})"),
            (self.entry_months >= 24,
             f"entry_months must be at least 24 to see seasonality twice (got {self.entry_months})"),
            (self.shrinkage >= 0, f"shrinkage must not be negative (got {self.shrinkage})"),
            (self.entry_mix_shrinkage >= 0,
             f"entry_mix_shrinkage must not be negative (got {self.entry_mix_shrinkage})"),
            (0 < self.evidence_discount <= 1, f"evidence_discount must be in (0, 1] (got {self.evidence_discount})"),
            (self.paths >= 20, f"paths must be at least 20 for a p10-p90 interval (got {self.paths})"),
            (0 <= self.max_excluded_share <= 1,
             f"max_excluded_share is a share of the children, 0 to 1 (got {self.max_excluded_share})"),
        ])

    @classmethod
    def from_toml(cls, path: str | Path) -> ForecastParams:
        """Read parameters from TOML; keys left out keep their defaults, unknown keys are an error."""
        return load_toml(path, cls.from_dict)

    @classmethod
    def from_dict(cls, values: dict) -> ForecastParams:
        return build_parameters(cls, values, {"backtest": BacktestParams, "costs": CostParams})

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

