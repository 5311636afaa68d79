"""Parameters of the sufficiency strategy: validated frozen dataclasses, loadable from TOML.

The documented defaults live in optimiser/strategy.toml (as the match's in optimiser/match/match.toml and the flags'
in flags.toml; a test keeps the file and the code identical). The top level holds the plan's horizon, service
level, budgets and the values the RCC puts on distance and family settings; [options] holds the figures used to
generate commissioning options when the region has no options.csv. Money is £ in today's prices.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from data.toml_files import build_parameters, check_parameters, load_toml
from data.vocabulary import HOME_KINDS

SHARING_RULES = ("use", "children", "shapley")  # see optimiser/strategy/sharing.py

DEFAULTS_FILE = Path(__file__).resolve().parent.parent / "strategy.toml"
WEEKS_PER_QUARTER = 365.25 / 7 / 4
PLANS = ("best", "two_stage", "quantile")
REGION_AREA = "region"  # the area of a group planned across the whole region




@dataclass(frozen=True)
class OptionDefaults:
    block_discount: float = 0.10
    block_share_of_places: float = 0.5
    block_min_beds: int = 2
    block_min_term_quarters: int = 8
    block_lead_time_quarters: int = 1
    new_home_places: int = 3
    new_home_capital_cost: float = 900_000.0
    new_home_weekly_cost: float = 5_059.0
    new_home_lead_time_quarters: int = 4
    new_homes_per_council: int = 2
    supported_home_places: int = 4
    supported_home_capital_cost: float = 400_000.0
    supported_home_weekly_cost: float = 1_600.0
    supported_home_lead_time_quarters: int = 2
    supported_homes_per_council: int = 2
    dol_home_places: int = 1
    dol_home_capital_cost: float = 600_000.0
    dol_home_weekly_cost: float = 8_000.0
    dol_home_lead_time_quarters: int = 4
    dol_homes_per_council: int = 1
    foster_cost_per_approval: float = 15_000.0
    foster_children_per_household: float = 1.25
    foster_lead_time_quarters: int = 2
    foster_households_per_quarter: int = 6

    def __post_init__(self) -> None:
        check_parameters("option default", [
            (0 <= self.block_discount < 1, f"block_discount is a fraction such as 0.1 (got {self.block_discount})"),
            (0 < self.block_share_of_places <= 1,
             f"block_share_of_places must be in (0, 1] (got {self.block_share_of_places})"),
            (self.block_min_beds >= 1, f"block_min_beds must be at least 1 (got {self.block_min_beds})"),
            (self.block_min_term_quarters >= 0, "block_min_term_quarters must not be negative"),
            (self.block_lead_time_quarters >= 0, "block_lead_time_quarters must not be negative"),
            (self.new_home_places >= 1, f"new_home_places must be at least 1 (got {self.new_home_places})"),
            (self.new_home_capital_cost >= 0, "new_home_capital_cost must not be negative"),
            (self.new_home_weekly_cost >= 0, "new_home_weekly_cost must not be negative"),
            (self.new_home_lead_time_quarters >= 0, "new_home_lead_time_quarters must not be negative"),
            (self.new_homes_per_council >= 0, "new_homes_per_council must not be negative"),
            (self.supported_home_places >= 1,
             f"supported_home_places must be at least 1 (got {self.supported_home_places})"),
            (self.supported_home_capital_cost >= 0, "supported_home_capital_cost must not be negative"),
            (self.supported_home_weekly_cost >= 0, "supported_home_weekly_cost must not be negative"),
            (self.supported_home_lead_time_quarters >= 0, "supported_home_lead_time_quarters must not be negative"),
            (self.supported_homes_per_council >= 0, "supported_homes_per_council must not be negative"),
            (self.dol_home_places >= 1, f"dol_home_places must be at least 1 (got {self.dol_home_places})"),
            (self.dol_home_capital_cost >= 0, "dol_home_capital_cost must not be negative"),
            (self.dol_home_weekly_cost >= 0, "dol_home_weekly_cost must not be negative"),
            (self.dol_home_lead_time_quarters >= 0, "dol_home_lead_time_quarters must not be negative"),
            (self.dol_homes_per_council >= 0, "dol_homes_per_council must not be negative"),
            (self.foster_cost_per_approval >= 0, "foster_cost_per_approval must not be negative"),
            (self.foster_children_per_household > 0,
             f"foster_children_per_household must be positive (got {self.foster_children_per_household})"),
            (self.foster_lead_time_quarters >= 0, "foster_lead_time_quarters must not be negative"),
            (self.foster_households_per_quarter >= 0, "foster_households_per_quarter must not be negative"),
        ])


@dataclass(frozen=True)
class StrategyParams:
    horizon_quarters: int = 12
    quantile: float = 0.8
    samples: int = 20
    plan: str = "best"
    capital_budget: float = 10_000_000.0
    running_budget_per_year: float = 40_000_000.0
    spot_market_headroom: float = 0.10
    unregistered_weekly_cost: float = 15_000.0
    shortfall_penalty_per_week: float = 20_000.0
    distance_cost_per_km_week: float = 10.0
    family_suitable_share: float = 0.10
    step_down_support_weekly_cost: float = 250.0
    family_preference_per_week: float = 100.0
    carer_retention_per_year: float = 0.86
    procurement_round_quarters: int = 4
    regional_groups: tuple[str, ...] = ("secure", "dol")
    service_penalty_per_week: float = 1_000_000.0
    time_limit_s: float = 10.0
    relative_gap: float = 1e-3
    sharing_rule: str = "use"
    shapley_exact_up_to: int = 12
    shapley_samples: int = 200
    shapley_seed: int = 0
    options: OptionDefaults = field(default_factory=OptionDefaults)

    def __post_init__(self) -> None:
        if isinstance(self.options, dict):
            object.__setattr__(self, "options", OptionDefaults(**self.options))
        object.__setattr__(self, "regional_groups", tuple(self.regional_groups))
        unknown = sorted(set(self.regional_groups) - set(HOME_KINDS))
        check_parameters("strategy", [
            (1 <= self.horizon_quarters <= 40, f"horizon_quarters must be 1 to 40 (got {self.horizon_quarters})"),
            (0.5 <= self.quantile < 1, f"quantile is a service level such as 0.8 (got {self.quantile})"),
            (self.samples >= 1, f"samples must be at least 1 (got {self.samples})"),
            (self.plan in PLANS, f"plan must be one of {', '.join(PLANS)} (got {self.plan!r})"),
            (self.capital_budget >= 0, f"capital_budget must not be negative (got {self.capital_budget})"),
            (self.running_budget_per_year >= 0,
             f"running_budget_per_year must not be negative (got {self.running_budget_per_year})"),
            (self.spot_market_headroom >= 0, "spot_market_headroom must not be negative"),
            (self.unregistered_weekly_cost >= 0, "unregistered_weekly_cost must not be negative"),
            (self.shortfall_penalty_per_week >= 0, "shortfall_penalty_per_week must not be negative"),
            (self.distance_cost_per_km_week >= 0, "distance_cost_per_km_week must not be negative"),
            (0 <= self.family_suitable_share <= 1,
             f"family_suitable_share must be in [0, 1] (got {self.family_suitable_share})"),
            (self.step_down_support_weekly_cost >= 0, "step_down_support_weekly_cost must not be negative"),
            (self.family_preference_per_week >= 0, "family_preference_per_week must not be negative"),
            (not unknown, f"regional_groups must be some of {', '.join(HOME_KINDS)} (got {', '.join(unknown)})"),
            (self.procurement_round_quarters >= 1,
             f"procurement_round_quarters must be at least 1 (got {self.procurement_round_quarters})"),
            (0 < self.carer_retention_per_year <= 1,
             f"carer_retention_per_year must be in (0, 1] (got {self.carer_retention_per_year})"),
            (self.service_penalty_per_week > self.unregistered_weekly_cost + self.shortfall_penalty_per_week,
             "service_penalty_per_week must exceed unregistered_weekly_cost + shortfall_penalty_per_week, so the "
             "plan meets the service level whenever the budgets allow"),
            (self.time_limit_s > 0, f"time_limit_s must be positive (got {self.time_limit_s})"),
            (0 <= self.relative_gap < 1, f"relative_gap must be in [0, 1) (got {self.relative_gap})"),
            (self.sharing_rule in SHARING_RULES,
             f"sharing_rule must be one of {', '.join(SHARING_RULES)} (got {self.sharing_rule!r})"),
            (0 <= self.shapley_exact_up_to <= 16, "shapley_exact_up_to must be 0 to 16: 2^n matches, one a coalition "
             f"(got {self.shapley_exact_up_to})"),
            (self.shapley_samples >= 1, f"shapley_samples must be at least 1 (got {self.shapley_samples})"),
        ])

    @property
    def weeks(self) -> float:
        return WEEKS_PER_QUARTER

    @classmethod
    def from_toml(cls, path: str | Path) -> StrategyParams:
        """Read parameters from TOML; keys left out keep their defaults, unknown keys are an error."""
        return load_toml(path, cls.from_dict)

    @classmethod
    def from_dict(cls, values: dict) -> StrategyParams:
        return build_parameters(cls, values, {"options": OptionDefaults})

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

