"""The sufficiency strategy end to end: demand and supply in, a commissioning plan and its risks out.

Three plans are compared on every simulated future: do nothing (spot-purchase at today's fees), the quantile plan
(meets demand at the service level, costed as if demand were exactly that) and the two-stage plan (meets the same
service level and minimises the expected cost over `samples` futures). `params.plan` names the one recommended, or
"best": the one with the lower expected cost on every simulated future.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.region import Region
from optimiser.strategy.inputs import (
    current_from_region,
    demand_at,
    demand_from_table,
    in_strategy_groups,
    quarter_labels,
    quarterly_paths,
    supply_cells,
)
from optimiser.strategy.model import ModelData, Solution, solve
from optimiser.strategy.options import decision_table, region_options
from optimiser.strategy.params import StrategyParams
from optimiser.strategy.results import (
    Outcome,
    actions_table,
    balance_table,
    coefficients,
    outcome,
    region_shortfall_probability,
    risk_table,
)

PLAN_NAMES = {"do_nothing": "do nothing (spot-purchase at today's fees)",
              "quantile": "quantile plan (costed at the service level)",
              "two_stage": "two-stage plan (expected cost over simulated futures)"}


@dataclass(frozen=True)
class Strategy:
    params: StrategyParams
    quarters: pd.DataFrame  # quarter, first_month, label
    cells: pd.DataFrame  # supply per council x group (supply_cells)
    options: pd.DataFrame  # the options planned with
    options_source: str  # options.csv | generated
    data: ModelData
    solutions: dict[str, Solution]  # do_nothing, quantile, two_stage
    outcomes: dict[str, Outcome]  # each plan on every future
    actions: pd.DataFrame  # the recommended plan's actions
    balance: pd.DataFrame  # the recommended plan: demand vs supply per council x group x quarter
    risk: pd.DataFrame  # per council x group: shortfall probability and child-weeks, each plan
    comparison: pd.DataFrame  # cost lines (rows) x plans (columns), £ over the horizon
    in_sample: dict[str, float]  # expected objective of each plan on the two-stage model's own futures
    planned_futures: np.ndarray  # (future, demand row): the futures the two-stage model planned on
    futures: int
    timings: dict[str, float]
    chosen: str  # the recommended plan: quantile or two_stage

    def summary(self) -> dict:
        plan, nothing = self.outcomes[self.chosen].costs, self.outcomes["do_nothing"].costs
        solution = self.solutions[self.chosen]
        short_cells = self.balance[self.balance["service_level_unmet"] > 1e-6]
        return {
            "plan": self.chosen, "status": solution.status, "objective": solution.objective,
            "bound": solution.bound, "gap": solution.gap, "message": solution.message,
            "futures_evaluated": self.futures, "futures_planned_on": self.params.samples if self.chosen == "two_stage"
            else 1, "options_source": self.options_source, "options": len(self.options),
            "actions": int((self.actions["kind"] != "step_down").sum()),
            "capital_cost": round(plan["capital"], 2),
            "expected_cash_cost": round(plan["cash"], 2),
            "do_nothing_expected_cash_cost": round(nothing["cash"], 2),
            "expected_saving": round(nothing["cash"] - plan["cash"], 2),
            "expected_saving_share": round((nothing["cash"] - plan["cash"]) / nothing["cash"], 4)
            if nothing["cash"] else None,
            "shortfall_probability": round(region_shortfall_probability(self.outcomes[self.chosen]), 4),
            "do_nothing_shortfall_probability": round(region_shortfall_probability(self.outcomes["do_nothing"]), 4),
            "service_level_met": bool(short_cells.empty),
            "cells_short_at_service_level": len(short_cells),
            "children_short_at_service_level_peak": round(float(self.balance.groupby("quarter")[
                "service_level_unmet"].sum().max()), 1),
        }


def plan_strategy(region: Region, gap: pd.DataFrame, params: StrategyParams | None = None,
                  paths: pd.DataFrame | None = None, demand: pd.DataFrame | None = None,
                  current: pd.DataFrame | None = None, progress=lambda message: None) -> Strategy:
    """Plan commissioning for the region.

    gap: the starting evidence, children without a home per council x group (la_code, group, children);
    paths: simulated futures (path, la_code, group, month, children) in the forecast's placement groups; or, without
    them, demand: the Demand table (then only the quantile plan can be made, and risk is not measured);
    current: children in care now per council x forecast-or-strategy group (default: children.csv).
    """
    params = params or StrategyParams()
    clock = time.perf_counter()
    timings = {}
    horizon = params.horizon_quarters
    if paths is not None:
        quarterly = quarterly_paths(paths, horizon, params.regional_groups)
        rows, futures = demand_at(quarterly, params.quantile)
        first_month = paths["month"].min()
    elif demand is not None:
        rows, futures = demand_from_table(demand, params.quantile, horizon, params.regional_groups), None
        first_month = demand["month"].min()
        if params.plan == "two_stage":
            raise ValueError("the two-stage plan needs the forecast's simulated paths; with only the Demand table, "
                             "set plan = \"quantile\"")
        params = dataclasses.replace(params, plan="quantile")
    else:
        raise ValueError("plan_strategy needs the forecast's sample paths or its Demand table")
    quarters = quarter_labels(first_month, horizon)
    current = in_strategy_groups(current) if current is not None else current_from_region(region)
    cells = supply_cells(region, current, gap, params)
    options, source = region_options(region, cells, params)
    decisions, places = decision_table(options, params, horizon)
    rows = rows.assign(demand_row=np.arange(len(rows))).merge(cells, on=["la_code", "group"], how="inner").sort_values(
        ["la_code", "group", "quarter"], kind="stable")
    keep = rows.pop("demand_row").to_numpy()
    rows = rows.reset_index(drop=True)
    rows["spot_cost"] = rows["spot_weekly_cost"] + params.distance_cost_per_km_week * rows["spot_extra_km"]
    rows["shortfall_cost"] = params.unregistered_weekly_cost + params.shortfall_penalty_per_week
    futures = futures[:, keep] if futures is not None else rows["at_quantile"].to_numpy()[None, :]
    data = ModelData(rows=rows, decisions=decisions.reset_index(drop=True), places=places, horizon=horizon)
    timings["prepare_s"] = time.perf_counter() - clock

    progress(f"Quantile plan: meeting p{params.quantile * 100:.0f} demand in {len(rows)} council x group x quarter "
             f"cells with {len(options)} options ({len(decisions)} decisions)")
    mark = time.perf_counter()
    solutions = {"quantile": solve(data, rows["at_quantile"].to_numpy()[None, :], params, "quantile")}
    timings["quantile_s"] = time.perf_counter() - mark
    sample = futures[: params.samples]
    if params.plan in ("two_stage", "best"):
        progress(f"Two-stage plan over {len(sample)} simulated futures")
        mark = time.perf_counter()
        solutions["two_stage"] = solve(data, sample, params, "two_stage",
                                       start=_start(data, solutions["quantile"], sample, params))
        timings["two_stage_s"] = time.perf_counter() - mark
    solutions["do_nothing"] = Solution("do_nothing", np.zeros(len(decisions)),
                                       solutions["quantile"].step_down.assign(children=0.0),
                                       np.zeros(len(rows)), "given", np.nan, np.nan, np.nan, 0.0)
    for name, s in solutions.items():
        if s.status == "failed":
            raise RuntimeError(f"the {name} plan could not be solved: {s.message}")
    all_places, block_places = coefficients(data), coefficients(data, ("block_contract",))
    outcomes = {name: outcome(data, solutions[name], futures, params, all_places, block_places)
                for name in ("do_nothing", "quantile", "two_stage") if name in solutions}
    in_sample = {name: outcome(data, solutions[name], sample, params, all_places, block_places).costs["objective"]
                 for name in outcomes}
    name = params.plan if params.plan != "best" else min(
        ("quantile", "two_stage"), key=lambda n: outcomes[n].costs["objective"])
    chosen = solutions[name]
    comparison = pd.DataFrame({name: o.costs for name, o in outcomes.items()})
    timings["total_s"] = time.perf_counter() - clock
    return Strategy(params=params, quarters=quarters, cells=cells, options=options, options_source=source, data=data,
                    solutions=solutions, outcomes=outcomes,
                    actions=actions_table(data, chosen, quarters, params),
                    balance=balance_table(data, outcomes[name], futures, quarters),
                    risk=risk_table(data, outcomes), comparison=comparison, in_sample=in_sample, planned_futures=sample,
                    futures=len(futures), timings={k: round(v, 3) for k, v in timings.items()}, chosen=name)


def _start(data: ModelData, solution: Solution, futures: np.ndarray, params: StrategyParams) -> dict[str, np.ndarray]:
    """A plan as a complete solution of the model over `futures` (its best second stage in each), for HiGHS to start
    from: the quantile plan is feasible for the two-stage model, so the search begins no worse than it."""
    o = outcome(data, solution, futures, params, coefficients(data), coefficients(data, ("block_contract",)))
    keys = data.step_down_keys()
    step = solution.step_down.set_index(["la_code", "quarter"])["children"]
    return {"x": solution.units, "z": np.array([step.get(k, 0.0) for k in keys]), "slack": solution.slack,
            "commissioned": o.commissioned, "blocked": o.blocked, "b": o.own, "p": o.spot, "u": o.short}
