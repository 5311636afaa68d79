"""What a plan does in each simulated future, and the tables a commissioning board reads.

Given the first stage (units of each decision, step-downs), the best second stage in a future is found exactly
without a solver: each cell is separate, and filling the cheaper of the council's own places and the spot
market first, then the dearer, then leaving the rest short is optimal for a single covering row with capped,
linearly priced resources. The same costs are the model's, so a plan's expected cost here equals its objective.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.vocabulary import HOME_KIND_LABELS
from optimiser.strategy.model import ModelData, Solution
from optimiser.strategy.options import KIND_TEXT
from optimiser.strategy.params import WEEKS_PER_QUARTER, StrategyParams


@dataclass(frozen=True)
class Outcome:
    """A plan in every future: per (future, demand row) children in the council's own places, spot and short;
    and the plan's costs (first stage, and the mean over futures of the second)."""
    name: str
    commissioned: np.ndarray  # per demand row: places the plan adds
    blocked: np.ndarray  # per demand row: beds block-contracted out of the spot market
    shift: np.ndarray  # per demand row: children moved into (+) or out of (-) the row by step-downs
    own: np.ndarray  # (future, row)
    spot: np.ndarray
    short: np.ndarray
    costs: dict[str, float]  # £ over the horizon, expected over the futures


def coefficients(data: ModelData, kinds: tuple[str, ...] | None = None) -> np.ndarray:
    """(demand row x decision) places one unit of each decision adds to each row."""
    matrix = np.zeros((len(data.rows), len(data.decisions)))
    for i, terms in enumerate(data.cell_terms(kinds)):
        for j, c in terms:
            matrix[i, j] = c
    return matrix


def outcome(data: ModelData, solution: Solution, futures: np.ndarray, params: StrategyParams,
            all_places: np.ndarray, block_places: np.ndarray) -> Outcome:
    """The plan's second stage in each future (rows of `futures`) and its expected costs."""
    rows, weeks = data.rows, WEEKS_PER_QUARTER
    commissioned = all_places @ solution.units if len(solution.units) else np.zeros(len(rows))
    blocked = block_places @ solution.units if len(solution.units) else np.zeros(len(rows))
    step = solution.step_down.set_index(["la_code", "quarter"])["children"]
    moved = pd.MultiIndex.from_frame(rows[["la_code", "quarter"]]).map(step.to_dict()).to_numpy(dtype=float)
    shift = data.shift_sign() * np.nan_to_num(moved)
    need = np.clip(futures + shift - commissioned, 0, None)
    base = rows["base_places"].to_numpy(float)
    spot_room = np.clip(rows["spot_places"].to_numpy(float) - blocked, 0, None)
    base_first = rows["base_weekly_cost"].to_numpy(float) <= rows["spot_cost"].to_numpy(float)
    first_cap, second_cap = np.where(base_first, base, spot_room), np.where(base_first, spot_room, base)
    first = np.minimum(need, first_cap)
    second = np.minimum(need - first, second_cap)
    short = need - first - second
    own, spot = np.where(base_first, first, second), np.where(base_first, second, first)

    d = data.decisions
    units = solution.units
    support = params.step_down_support_weekly_cost
    z_weeks = weeks * float(solution.step_down["children"].sum())
    costs = {
        "capital": float(d["capital_per_unit"].to_numpy(float) @ units) if len(units) else 0.0,
        "commissioned_running": float(d["running_per_unit"].to_numpy(float) @ units) if len(units) else 0.0,
        "step_down_support": support * z_weeks,
        "own_places": weeks * float((own * rows["base_weekly_cost"].to_numpy(float)).sum(axis=1).mean()),
        "spot": weeks * float((spot * rows["spot_weekly_cost"].to_numpy(float)).sum(axis=1).mean()),
        "unregistered": weeks * params.unregistered_weekly_cost * float(short.sum(axis=1).mean()),
        "distance_equivalent": weeks * params.distance_cost_per_km_week * float(
            (spot * rows["spot_extra_km"].to_numpy(float)).sum(axis=1).mean()),
        "shortfall_harm_equivalent": weeks * params.shortfall_penalty_per_week * float(short.sum(axis=1).mean()),
        "family_preference_equivalent": -params.family_preference_per_week * z_weeks + 0.0,
        "service_level_equivalent": weeks * params.service_penalty_per_week * float(solution.slack.sum()),
    }
    costs["cash"] = sum(costs[k] for k in ("capital", "commissioned_running", "step_down_support", "own_places",
                                           "spot", "unregistered"))
    costs["objective"] = costs["cash"] + sum(v for k, v in costs.items() if k.endswith("_equivalent"))
    return Outcome(solution.name, commissioned, blocked, shift, own, spot, short, costs)


def actions_table(data: ModelData, solution: Solution, quarters: pd.DataFrame,
                  params: StrategyParams) -> pd.DataFrame:
    """The recommended actions: each decision taken (option, quarter decided, units), with its places, cost and
    timing; then the step-downs to family settings per council."""
    d = data.decisions.assign(units=solution.units)
    taken = d[d["units"] > 0.5].copy()
    label = quarters.set_index("quarter")["label"]
    first_month = quarters.set_index("quarter")["first_month"]
    taken["places"] = taken["units"] * taken["unit_places"]
    taken["capital_cost"] = taken["units"] * taken["capital_per_unit"]
    taken["running_cost"] = taken["units"] * taken["running_per_unit"]
    taken["weekly_cost_per_place"] = taken["weekly_cost"]
    taken["decide_by"] = taken["start"].map(first_month)
    taken["places_from"] = taken["available"].map(lambda q: label.get(q, f"Q{q}"))
    taken["action"] = [_action_text(r, label) for r in taken.itertuples(index=False)]
    step = solution.step_down[solution.step_down["children"] > 1e-6]
    steps = pd.DataFrame()
    if len(step):
        per_council = step.groupby("la_code").agg(start=("quarter", "min"), children=("children", "max"),
                                                  child_quarters=("children", "sum")).reset_index()
        steps = pd.DataFrame({
            "option_id": "step-down", "kind": "step_down", "provider_id": "", "la_code": per_council["la_code"],
            "group": "foster", "start": per_council["start"], "available": per_council["start"],
            "units": per_council["children"].round(1), "unit_places": 1.0, "places": per_council["children"].round(1),
            "capital_cost": 0.0, "weekly_cost_per_place": params.step_down_support_weekly_cost,
            "running_cost": per_council["child_quarters"] * WEEKS_PER_QUARTER * params.step_down_support_weekly_cost,
            "decide_by": per_council["start"].map(first_month),
            "places_from": per_council["start"].map(lambda q: label.get(q, f"Q{q}")),
            # a plan's step-downs are a ceiling over simulated futures, so the sentence rounds up to whole children
            "action": [f"plan up to {whole_up(c)} children from children's homes into foster families with support "
                       "where their needs allow" for c in per_council["children"]]})
    columns = ["action", "kind", "option_id", "provider_id", "la_code", "group", "decide_by", "places_from",
               "units", "places", "capital_cost", "running_cost", "weekly_cost_per_place"]
    out = pd.concat([taken[columns], steps[columns] if len(steps) else None], ignore_index=True)
    order = {"new_home": 0, "foster_recruitment": 1, "block_contract": 2, "step_down": 3}
    return out.sort_values(["kind", "la_code", "decide_by"], key=lambda c: c.map(order) if c.name == "kind" else c,
                           kind="stable").reset_index(drop=True)


def _action_text(r, label: pd.Series) -> str:
    """The action in words: whole places, the kind of home named, and the quarter by its months."""
    kind = HOME_KIND_LABELS.get(r.group, r.group.replace("_", " "))
    when = label.get(r.available, f"quarter {r.available}")
    if r.kind == "block_contract":
        return (f"{KIND_TEXT[r.kind]}: {r.units:.0f} with {r.provider_id} at £{r.weekly_cost:,.0f} a week for "
                f"{kind}, from {when}"
                + (f" (minimum term runs {r.committed_quarters_after_horizon:.0f} quarters past the plan)"
                   if r.committed_quarters_after_horizon else ""))
    if r.kind == "new_home":
        what = "children's home" if r.group == "childrens_home" else f"home ({kind})"
        return f"{KIND_TEXT[r.kind]}: {r.units:.0f} x {r.unit_places:.0f}-place {what}, open {when}"
    return (f"{KIND_TEXT[r.kind]}: {r.units:.0f} households approved by {when} "
            f"(about {r.units * r.unit_places:.0f} children)")


def whole_up(children: float) -> int:
    """Whole children, rounded up: "up to 7.2 children" is said "up to 8" (a tolerance keeps 3.0000001 at 3)."""
    return int(math.ceil(children - 1e-6))


def balance_table(data: ModelData, outcome_: Outcome, futures: np.ndarray, quarters: pd.DataFrame) -> pd.DataFrame:
    """Demand against supply per council x group x quarter for a plan: demand (mean and at the service level),
    the council's own places, places the plan commissions, the spot market left, what is used on average, and the
    chance and expected size of a shortfall."""
    rows = data.rows
    out = rows[["la_code", "group", "quarter"]].copy()
    out["quarter_label"] = out["quarter"].map(quarters.set_index("quarter")["label"])
    out["demand_mean"] = futures.mean(axis=0)
    out["demand_at_service_level"] = rows["at_quantile"].to_numpy()
    out["step_down_shift"] = outcome_.shift
    out["own_places"] = rows["base_places"].to_numpy()
    out["commissioned_places"] = outcome_.commissioned
    out["spot_market_places"] = np.clip(rows["spot_places"].to_numpy() - outcome_.blocked, 0, None)
    out["own_places_used"] = outcome_.own.mean(axis=0)
    out["spot_used"] = outcome_.spot.mean(axis=0)
    out["shortfall_expected"] = outcome_.short.mean(axis=0)
    out["shortfall_probability"] = (outcome_.short > 1e-6).mean(axis=0)
    out["service_level_unmet"] = np.clip(out["demand_at_service_level"] + out["step_down_shift"] - out["own_places"]
                                         - out["commissioned_places"] - out["spot_market_places"], 0, None)
    return out


def risk_table(data: ModelData, outcomes: dict[str, Outcome]) -> pd.DataFrame:
    """Per council x group, for each plan: the chance of a shortfall in its worst quarter (comparable with the
    service level: at the p80, at most 20% where places can be opened in time), the chance of one in any quarter,
    and the expected child-weeks without a suitable home over the horizon."""
    cells = data.rows[["la_code", "group"]].drop_duplicates().reset_index(drop=True)
    key = pd.MultiIndex.from_frame(data.rows[["la_code", "group"]])
    idx = pd.MultiIndex.from_frame(cells)
    out = cells.copy()
    for name, o in outcomes.items():
        short = pd.DataFrame(o.short.T > 1e-6, index=key)
        per_cell = short.groupby(level=[0, 1])
        worst_quarter = short.mean(axis=1).groupby(level=[0, 1]).max()
        any_quarter = per_cell.max().mean(axis=1)
        child_weeks = pd.DataFrame(o.short.T, index=key).groupby(level=[0, 1]).sum().mean(axis=1) * WEEKS_PER_QUARTER
        out[f"{name}_shortfall_probability"] = worst_quarter.reindex(idx).to_numpy()
        out[f"{name}_shortfall_any_quarter"] = any_quarter.reindex(idx).to_numpy()
        out[f"{name}_shortfall_child_weeks"] = child_weeks.reindex(idx).to_numpy()
    return out


def region_shortfall_probability(o: Outcome) -> float:
    """The chance that somewhere in the region, in some quarter, a child has no suitable home."""
    return float((o.short.sum(axis=1) > 1e-6).mean())
