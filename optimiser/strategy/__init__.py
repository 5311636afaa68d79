"""The sufficiency strategy: a commissioning plan under forecast uncertainty (Pyomo + HiGHS)."""

from optimiser.strategy.inputs import unmatched_by_group
from optimiser.strategy.params import OptionDefaults, StrategyParams
from optimiser.strategy.plan import PLAN_NAMES, Strategy, plan_strategy

__all__ = ["OptionDefaults", "PLAN_NAMES", "Strategy", "StrategyParams", "plan_strategy",
           "unmatched_by_group"]
