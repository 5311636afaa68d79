"""The strategic commissioning model, written in Pyomo and solved by HiGHS (optimiser/highs.py).

Over quarters t of the horizon, for every council x kind of home (a cell) and demand row i = (cell, t):

first stage (decided now, the plan):
    x[j]      integer units of decision j (option o starting in quarter s): beds of a block contract, homes,
              foster households; each gives places[j, t] from when it is available
    z[c, t]   children with children's-home demand planned into foster care with support ("family where suitable"),
              at most family_suitable_share of the quantile demand
second stage (per simulated future k, after demand D[k, i] is known; one future, the quantile, in the quantile
model):
    b[k, i]   the council's own places used (at most base_places, paid per child)
    p[k, i]   spot purchases (at most the spot market less the beds block-contracted out of it)
    u[k, i]   shortfall: children with no suitable home (unregistered cost plus a harm penalty)

    cover:    commissioned[i] + b + p + u >= D[k, i] + shift[i]   (shift: +z in foster, -z in children's homes)
    service:  commissioned[i] + base_places + spot_places - blocked[i] + slack[i] >= D_quantile[i] + shift[i]
    budgets:  sum capital x <= capital_budget; each quarter's running cost of x and z <= running budget / 4
minimise      first-stage cost + service_penalty * slack + the mean over futures of the second-stage cost.

The quantile plan is feasible for the two-stage model (the same first stage and service constraint), so the
two-stage plan's expected cost on its futures is never higher than the quantile plan's on the same futures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from optimiser.highs import mip_gap, solve_with_highs
from optimiser.strategy.params import WEEKS_PER_QUARTER, StrategyParams


@dataclass(frozen=True)
class ModelData:
    """Everything the model is built from, as arrays on the rows of the demand table and the decision table."""
    rows: pd.DataFrame  # la_code, group, quarter, at_quantile, base_places, base_weekly_cost, spot_places,
    #                     spot_cost (fee plus distance), shortfall_cost
    decisions: pd.DataFrame  # decision_table()
    places: np.ndarray  # (decision, quarter): places one unit gives
    horizon: int

    def cell_terms(self, kinds: tuple[str, ...] | None = None) -> list[list[tuple[int, float]]]:
        """For each demand row, the (decision, places per unit) pairs that add places to it."""
        terms: list[list[tuple[int, float]]] = [[] for _ in range(len(self.rows))]
        row_of = {key: i for i, key in enumerate(zip(self.rows["la_code"], self.rows["group"], self.rows["quarter"]))}
        for j, d in enumerate(self.decisions.itertuples(index=False)):
            if kinds and d.kind not in kinds:
                continue
            for t in range(d.available, self.horizon + 1):
                i = row_of.get((d.area, d.group, t))
                if i is not None and self.places[j, t - 1] > 0:
                    terms[i].append((j, float(self.places[j, t - 1])))
        return terms

    def reachable(self) -> np.ndarray:
        """Per demand row, the most children the council's own places, the spot market and every option at its
        limit (budgets aside; block contracts only re-buy spot places) could take: the service level is demand at
        the quantile or this, whichever is lower, since no plan can open places faster than their lead times."""
        extra = np.zeros(len(self.rows))
        for terms_by_option, limit in self._option_capacity():
            for i, value in terms_by_option.items():
                extra[i] += value if limit is None else min(value, limit)
        return self.rows["base_places"].to_numpy(float) + self.rows["spot_places"].to_numpy(float) + extra

    def _option_capacity(self):
        """For each non-block option: places per demand row with every unit taken (and its cap on units x places)."""
        terms = self.cell_terms(("new_home", "foster_recruitment"))
        d = self.decisions
        per_option: dict[str, dict[int, float]] = {}
        for i, pairs in enumerate(terms):
            for j, c in pairs:
                per_option.setdefault(d.at[j, "option_id"], {}).setdefault(i, 0.0)
                per_option[d.at[j, "option_id"]][i] += c * d.at[j, "upper"]
        for option, by_row in per_option.items():
            first = d[d["option_id"].eq(option)].iloc[0]
            limit = None if first["kind"] == "foster_recruitment" else first["upper"] * first["unit_places"]
            yield by_row, limit

    def shift_sign(self) -> np.ndarray:
        return np.select([self.rows["group"].eq("foster"), self.rows["group"].eq("childrens_home")], [1.0, -1.0], 0.0)

    def step_down_keys(self) -> list[tuple[str, int]]:
        groups = self.rows.groupby("la_code")["group"].agg(set)
        councils = [la for la, g in groups.items() if {"foster", "childrens_home"} <= g]
        return [(la, t) for la in councils for t in range(1, self.horizon + 1)]


@dataclass(frozen=True)
class Solution:
    """A plan as the model chose it (or as given, for do nothing), with the solver's report."""
    name: str
    units: np.ndarray  # per decision row
    step_down: pd.DataFrame  # la_code, quarter, children
    slack: np.ndarray  # per demand row: demand at the service level not met
    status: str  # optimal | feasible (time limit: best found) | failed | given
    objective: float
    bound: float
    gap: float
    runtime_s: float
    message: str = ""


def solve(data: ModelData, futures: np.ndarray, params: StrategyParams, name: str,
          start: dict[str, np.ndarray] | None = None) -> Solution:
    """Solve the model against `futures` (future x demand row): one row is the quantile model, many the
    two-stage model. The objective is in £ (and £-equivalents) over the horizon. `start` is a complete feasible
    solution (x, z, slack, commissioned, blocked and the second stage b, p, u per future) HiGHS starts from.

    The model is built one family at a time (the first stage's variables, the places they give, the service level,
    the budgets, the options' limits, the second stage, the cost), each family's constraints named; the order they
    are declared in is the order of HiGHS's columns and rows."""
    started = time.perf_counter()
    keys = data.step_down_keys()
    m = pyo.ConcreteModel("sufficiency_strategy")
    define_first_stage(m, data, params, keys)
    blocks = define_places(m, data)
    shift = _shift(m, data, keys)
    define_service(m, data, blocks, shift)
    define_budgets(m, data, params, keys)
    define_option_limits(m, data)
    define_second_stage(m, data, futures, blocks, shift)
    define_cost(m, data, futures, params)
    if start is not None:
        _set_start(m, start)
    result = solve_with_highs(m, params.time_limit_s, params.relative_gap, warm_start=start is not None)
    return _solution(m, result, name, data, keys, params, time.perf_counter() - started)


def define_first_stage(m, data: ModelData, params: StrategyParams, keys: list[tuple[str, int]]) -> None:
    """The plan: units x of each decision, children z stepped down from children's homes to supported foster care
    (per council x quarter, up to family_suitable_share of the quantile demand for children's homes), the slack
    below the service level per demand row, and each row's commissioned and block-contracted places."""
    rows, decisions = data.rows, data.decisions
    ch_demand = {(la, t): q for la, g, t, q in zip(rows["la_code"], rows["group"], rows["quarter"],
                                                  rows["at_quantile"].to_numpy(float)) if g == "childrens_home"}
    m.J = pyo.RangeSet(0, len(decisions) - 1) if len(decisions) else pyo.Set(initialize=[])
    upper = decisions["upper"].to_numpy(float)
    m.x = pyo.Var(m.J, domain=pyo.NonNegativeIntegers, bounds=lambda m, j: (0, upper[j]))
    m.K = pyo.RangeSet(0, len(keys) - 1) if keys else pyo.Set(initialize=[])
    m.z = pyo.Var(m.K, domain=pyo.NonNegativeReals,
                  bounds=lambda m, n: (0, params.family_suitable_share * ch_demand.get(keys[n], 0.0)))
    m.I = pyo.RangeSet(0, len(rows) - 1)
    m.slack = pyo.Var(m.I, domain=pyo.NonNegativeReals)
    # One variable each for a row's commissioned and block-contracted places, so that the cover rows of every
    # future refer to them rather than repeat every decision's term (a far sparser matrix).
    m.commissioned = pyo.Var(m.I, domain=pyo.NonNegativeReals)
    m.blocked = pyo.Var(m.I, domain=pyo.NonNegativeReals)


def define_places(m, data: ModelData) -> list[int]:
    """Each row's commissioned and block-contracted places from the decisions; the rows with block contracts."""
    commission_terms = data.cell_terms()
    block_terms = data.cell_terms(("block_contract",))
    m.commissioned_places = pyo.Constraint(m.I, rule=lambda m, i: m.commissioned[i] == pyo.quicksum(
        c * m.x[j] for j, c in commission_terms[i]))
    m.blocked_places = pyo.Constraint(m.I, rule=lambda m, i: m.blocked[i] == pyo.quicksum(
        c * m.x[j] for j, c in block_terms[i]))
    return [i for i in range(len(data.rows)) if block_terms[i]]


def _shift(m, data: ModelData, keys: list[tuple[str, int]]):
    """The children a row gains (foster) or loses (children's homes) to step-downs: +z, -z or nothing."""
    rows, sign = data.rows, data.shift_sign()
    key_index = {k: n for n, k in enumerate(keys)}

    def shift(i):
        key = key_index.get((rows.at[i, "la_code"], int(rows.at[i, "quarter"])))
        return sign[i] * m.z[key] if key is not None and sign[i] else 0
    return shift


def define_service(m, data: ModelData, blocks: list[int], shift) -> None:
    """Block contracts only re-buy the spot market's places; every row meets the service level (demand at the
    quantile, or what any plan could reach), or pays for the slack."""
    base = data.rows["base_places"].to_numpy(float)
    spot = data.rows["spot_places"].to_numpy(float)
    target = np.minimum(data.rows["at_quantile"].to_numpy(float), data.reachable())
    m.block_within_market = pyo.Constraint(blocks, rule=lambda m, i: m.blocked[i] <= spot[i])
    m.service = pyo.Constraint(m.I, rule=lambda m, i: m.commissioned[i] + base[i] + spot[i] - m.blocked[i]
                               + m.slack[i] >= target[i] + shift(i))


def define_budgets(m, data: ModelData, params: StrategyParams, keys: list[tuple[str, int]]) -> None:
    """The capital budget over the horizon, and each quarter's running cost of the plan within a quarter of the
    yearly running budget."""
    decisions, weeks = data.decisions, WEEKS_PER_QUARTER
    capital = decisions["capital_per_unit"].to_numpy(float)
    paying = [j for j in m.J if capital[j] > 0]
    if paying:
        m.capital_budget = pyo.Constraint(expr=pyo.quicksum(capital[j] * m.x[j] for j in paying)
                                          <= params.capital_budget)
    weekly = decisions["weekly_cost"].to_numpy(float)
    support = params.step_down_support_weekly_cost

    def running(m, t):
        spend = pyo.quicksum(weeks * weekly[j] * data.places[j, t - 1] * m.x[j] for j in m.J
                             if data.places[j, t - 1] > 0)
        spend += pyo.quicksum(weeks * support * m.z[n] for n, (_, q) in enumerate(keys) if q == t)
        if isinstance(spend, (int, float)):  # nothing runs this quarter
            return pyo.Constraint.Skip
        return spend <= params.running_budget_per_year / 4
    m.running_budget = pyo.Constraint(pyo.RangeSet(1, data.horizon), rule=running)


def define_option_limits(m, data: ModelData) -> None:
    """An option started in several quarters is still taken at most its number of units in all (foster
    recruitment's limit is per quarter, in each decision's bounds)."""
    decisions = data.decisions
    option_upper = {}
    for o, group in decisions.groupby("option_id").groups.items():
        first = decisions.loc[group[0]]
        if first["kind"] != "foster_recruitment":
            option_upper[o] = (list(group), float(first["upper"]))
    m.option_limit = pyo.Constraint(list(option_upper), rule=lambda m, o: pyo.quicksum(
        m.x[j] for j in option_upper[o][0]) <= option_upper[o][1])


def define_second_stage(m, data: ModelData, futures: np.ndarray, blocks: list[int], shift) -> None:
    """Per future k, once its demand is known: the council's own places b, spot purchases p (less the beds block
    contracts took out of the market) and shortfall u cover what the commissioned places do not."""
    base = data.rows["base_places"].to_numpy(float)
    spot = data.rows["spot_places"].to_numpy(float)
    m.F = pyo.RangeSet(0, len(futures) - 1)
    m.b = pyo.Var(m.F, m.I, domain=pyo.NonNegativeReals, bounds=lambda m, k, i: (0, base[i]))
    m.p = pyo.Var(m.F, m.I, domain=pyo.NonNegativeReals, bounds=lambda m, k, i: (0, spot[i]))
    m.u = pyo.Var(m.F, m.I, domain=pyo.NonNegativeReals)
    m.cover = pyo.Constraint(m.F, m.I, rule=lambda m, k, i: m.commissioned[i] + m.b[k, i] + m.p[k, i] + m.u[k, i]
                             >= float(futures[k, i]) + shift(i))
    m.spot_left = pyo.Constraint(m.F, blocks, rule=lambda m, k, i: m.p[k, i] + m.blocked[i] <= spot[i])


def define_cost(m, data: ModelData, futures: np.ndarray, params: StrategyParams) -> None:
    """The first stage's cost, the service penalty on the slack, and the mean over futures of the second stage's."""
    rows, decisions, weeks, n_futures = data.rows, data.decisions, WEEKS_PER_QUARTER, len(futures)
    unit_cost = decisions["capital_per_unit"].to_numpy(float) + decisions["running_per_unit"].to_numpy(float)
    base_cost = weeks * rows["base_weekly_cost"].to_numpy(float) / n_futures
    spot_cost = weeks * rows["spot_cost"].to_numpy(float) / n_futures
    short_cost = weeks * rows["shortfall_cost"].to_numpy(float) / n_futures
    z_cost = weeks * (params.step_down_support_weekly_cost - params.family_preference_per_week)
    m.cost = pyo.Objective(expr=(
        pyo.quicksum(unit_cost[j] * m.x[j] for j in m.J)
        + pyo.quicksum(z_cost * m.z[n] for n in m.K)
        + pyo.quicksum(weeks * params.service_penalty_per_week * m.slack[i] for i in m.I)
        + pyo.quicksum(base_cost[i] * m.b[k, i] + spot_cost[i] * m.p[k, i] + short_cost[i] * m.u[k, i]
                       for k in m.F for i in m.I)))


def _solution(m, result, name: str, data: ModelData, keys: list[tuple[str, int]], params: StrategyParams,
              runtime: float) -> Solution:
    """The plan HiGHS found, read back from the model's variables (nothing, when it found none)."""
    if result.status == "failed":
        return Solution(name, np.zeros(len(data.decisions)), _step_downs(keys, np.zeros(len(keys))),
                        np.zeros(len(data.rows)), "failed", np.nan, np.nan, np.nan, runtime,
                        f"HiGHS stopped with {result.message}")
    units = np.round(np.array([pyo.value(m.x[j]) for j in m.J], dtype=float))
    z = np.array([pyo.value(m.z[n]) for n in m.K], dtype=float)
    slack = np.array([pyo.value(m.slack[i]) for i in m.I], dtype=float)
    objective, bound = result.objective, result.bound
    message = "" if result.status == "optimal" else (
        f"stopped at the {params.time_limit_s:g} s time limit with the best plan found; it is within "
        f"{mip_gap(objective, bound):.2%} of the best possible")
    return Solution(name, units, _step_downs(keys, z), slack, result.status, objective, bound,
                    mip_gap(objective, bound), runtime, message)


def _step_downs(keys: list[tuple[str, int]], z: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"la_code": [k[0] for k in keys], "quarter": [k[1] for k in keys],
                         "children": np.clip(z, 0, None) if len(keys) else []})


def _set_start(m, start: dict[str, np.ndarray]) -> None:
    """Give every variable its value in `start` (first stage by index, second stage by future and row)."""
    for name in ("x", "z", "slack", "commissioned", "blocked"):
        values = start[name]
        for index in getattr(m, name):
            getattr(m, name)[index].set_value(float(values[index]), skip_validation=True)
    for name in ("b", "p", "u"):
        values = start[name]
        for k, i in getattr(m, name):
            getattr(m, name)[k, i].set_value(float(values[k, i]), skip_validation=True)
