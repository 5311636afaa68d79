"""One matching model, several ways to solve it, all returning the same thing.

The model (defined once, over the pair table in Candidates):
    minimise   constant + sum((cost[p] - penalty[unit of p]) * x[p])
    subject to sum(x[p] for p of unit u) <= 1                           each unit placed at most once
               sum(weight[p] * x[p] for p into setting s) <= capacity[s]   vacancies (a solo child or a
                                                                        single-child home uses all of them)
               x[a] + x[b] <= 1 for each (a, b) in conflicts           ages a child can live alongside
where constant is every unit's unmatched penalty, so the objective is "cost if nobody were placed, less what
each placement saves". The children left unmatched are the sufficiency gap.

Backends (MatchParams.solver):
- fast: OR-Tools min-cost flow on the network relaxation (siblings may split, solo weights ignored), re-solved
  with what broke the side constraints fixed or left out, a greedy repair to a feasible allocation, then HiGHS
  (highspy) on the exact MIP, warm-started from the repair.
- pyomo: the same model written plainly in Pyomo and solved by HiGHS: the readable reference.
- scip, highs, cp-sat: the same model through OR-Tools' model builder (pandas idiom of its assignment sample).
Each returns the chosen pairs (bool Series on pairs.index) and a SolveReport.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from ortools.graph.python import min_cost_flow
from ortools.linear_solver.python import model_builder as mb
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from optimiser.highs import HIGHS_THREADS, mip_gap, solve_with_highs
from optimiser.match.candidates import Candidates
from optimiser.match.params import MatchParams

EAGER_CONFLICTS_PER_PAIR = 1.0  # more age-conflict rows than this per pair: add them lazily
FLOW_COST_SCALE = 100  # min-cost flow needs integer costs: work in pence
HIGHS_OVERRUN_S = 0.25  # HiGHS checks its time limit between iterations: nationally it stops up to ~0.1 s late
# HiGHS prints a banner unless told not to, even with output disabled.
MODEL_BUILDER_OPTIONS = {"scip": "limits/gap = {gap}",
                         "highs": "mip_rel_gap = {gap}\noutput_flag = false\nthreads = " + str(HIGHS_THREADS)}
MODEL_BUILDER_STATUS = {mb.SolveStatus.OPTIMAL: "optimal", mb.SolveStatus.FEASIBLE: "feasible"}


@dataclass(frozen=True)
class SolveReport:
    status: str  # optimal | feasible (stopped early: best answer found, see gap) | failed
    objective: float
    bound: float
    gap: float
    solver: str
    message: str = ""


def _time_limit_message(params: MatchParams, gap: float) -> str:
    return (f"stopped at the {params.time_limit_s:g} s time limit with the best answer found; it is within "
            f"{gap:.2%} of the best possible")


def placement_saving(candidates: Candidates) -> np.ndarray:
    """Each pair's objective coefficient: its cost less the unit's unmatched penalty (negative: placing saves)."""
    penalty = candidates.pairs["unit_id"].map(candidates.units.set_index("unit_id")["penalty"])
    return candidates.pairs["cost"].to_numpy(dtype=float) - penalty.to_numpy(dtype=float)


@dataclass(frozen=True)
class ModelArrays:
    """The model as arrays: objective c, constraint matrix A (rows: units, settings, conflicts), row bounds."""

    c: np.ndarray
    A: sparse.csc_matrix
    row_upper: np.ndarray
    constant: float

    @classmethod
    def build(cls, candidates: Candidates) -> ModelArrays:
        pairs, units = candidates.pairs, candidates.units
        n = len(pairs)
        unit_row = pairs["unit_id"].map(pd.Series(np.arange(len(units)), index=units["unit_id"])).to_numpy()
        setting_codes, settings = pd.factorize(pairs["setting_id"])
        capacity = pairs.groupby(setting_codes)["capacity"].first().to_numpy(dtype=float)
        conflicts = candidates.conflicts[["pair_a", "pair_b"]].to_numpy(dtype=int)
        first_setting_row, first_conflict_row = len(units), len(units) + len(settings)
        shape = (first_conflict_row + len(conflicts), n)
        if len(conflicts):
            rows = np.concatenate([unit_row, first_setting_row + setting_codes,
                                   first_conflict_row + np.repeat(np.arange(len(conflicts)), 2)])
            cols = np.concatenate([np.arange(n), np.arange(n), conflicts.ravel()])
            values = np.concatenate([np.ones(n), pairs["weight"].to_numpy(dtype=float), np.ones(2 * len(conflicts))])
            A = sparse.csc_matrix((values, (rows, cols)), shape=shape)
        else:  # each column its unit's row and its setting's, in order: built as it is stored, with no sort
            indices = np.column_stack([unit_row, first_setting_row + setting_codes]).ravel()
            values = np.column_stack([np.ones(n), pairs["weight"].to_numpy(dtype=float)]).ravel()
            A = sparse.csc_matrix((values, indices, np.arange(0, 2 * n + 1, 2)), shape=shape)
        return cls(c=placement_saving(candidates), A=A,
                   row_upper=np.concatenate([np.ones(len(units)), capacity, np.ones(len(conflicts))]),
                   constant=float(units["penalty"].sum()))

    def objective(self, x: np.ndarray) -> float:
        return self.constant + float(self.c @ x)

    def feasible(self, x: np.ndarray) -> bool:
        return bool(np.all(self.A @ x <= self.row_upper + 1e-9))


# --- fast: min-cost flow, repair, warm-started HiGHS MIP -----------------------------------------------------

def solve_fast(candidates: Candidates, params: MatchParams) -> tuple[pd.Series, SolveReport]:
    """Flow relaxation, its rounding and repair for a first answer; the LP relaxation for a bound, a better
    answer and reduced costs (stopping as soon as a repaired LP answer is within the gap of the flow's bound);
    then HiGHS on a core of the MIP, warm-started, growing the core until it provably holds the optimum.

    The core: each unit's few pairs with the lowest LP reduced cost (plus every pair the incumbent uses). A pair
    left out with reduced cost r cannot appear in any answer cheaper than (LP bound + r), so once the core's best
    answer costs no more than that for every pair left out, it is optimal for the whole model; otherwise the core
    grows to every pair that could still improve it. Assignment LPs are tight, so the core stays a small fraction
    of the pairs: this is what keeps the MIP fast at regional and national scale.

    Age conflicts (who a child can live alongside) are added lazily when there are many: the MIP is solved with
    only the conflicts its answers have broken so far, until an answer breaks none. Every model solved is a
    relaxation of the full one, so its bound is valid, and the final answer satisfies every conflict.
    """
    started = time.perf_counter()
    no_conflicts = dataclasses.replace(candidates, conflicts=candidates.conflicts.iloc[:0])
    relaxed = ModelArrays.build(no_conflicts)
    network = FlowNetwork.build(candidates)
    flow_started = time.perf_counter()
    flow = network.solve()
    flow_seconds = time.perf_counter() - flow_started
    # repair keeps every conflict
    fractions = flow_rounding(candidates, network, flow, flow_seconds, params, started)
    start = repair(candidates, fractions)
    flow_bound = _flow_bound(candidates, relaxed, flow)
    incumbent = relaxed.objective(start)
    if mip_gap(incumbent, flow_bound) <= params.relative_gap:
        return (pd.Series(start > 0.5, index=candidates.pairs.index),
                SolveReport("optimal", incumbent, flow_bound, mip_gap(incumbent, flow_bound), "fast"))
    lp_started = time.perf_counter()
    lp = _lp_by_pricing(relaxed, candidates, (flow > 0) | (start > 0.5), params, started, floor=flow_bound)
    lp_seconds = time.perf_counter() - lp_started
    if lp is None:
        # The LP did not finish in the time limit (national scale): the repaired flow, with the flow's bound.
        gap = mip_gap(incumbent, flow_bound)
        return (pd.Series(start > 0.5, index=candidates.pairs.index),
                SolveReport("feasible", incumbent, flow_bound, gap, "fast", _time_limit_message(params, gap)))
    if lp.answer is not None:
        objective = relaxed.objective(lp.answer)
        return (pd.Series(lp.answer > 0.5, index=candidates.pairs.index),
                SolveReport("optimal", objective, flow_bound, mip_gap(objective, flow_bound), "fast"))
    x_lp, lower_bound = lp.x, lp.bound
    reduced_cost = np.maximum(lp.reduced_cost, 0.0)
    lower_bound = max(lower_bound, flow_bound)
    guided = repair(candidates, x_lp)
    if relaxed.objective(guided) < relaxed.objective(start):
        start = guided
    incumbent = relaxed.objective(start)
    if mip_gap(incumbent, lower_bound) <= params.relative_gap:
        return (pd.Series(start > 0.5, index=candidates.pairs.index),
                SolveReport("optimal", incumbent, lower_bound, mip_gap(incumbent, lower_bound), "fast"))
    left = params.time_limit_s - (time.perf_counter() - started)
    if left < CORE_ROOT_LP_FACTOR * lp_seconds:
        gap = mip_gap(incumbent, lower_bound)
        return (pd.Series(start > 0.5, index=candidates.pairs.index),
                SolveReport("feasible", incumbent, lower_bound, gap, "fast",
                            f"the {params.time_limit_s:g} s time limit left too little time for the MIP to improve "
                            f"this answer, which is within {gap:.2%} of the best possible; a longer time limit "
                            "may close the gap"))
    core = _initial_core(candidates, reduced_cost, x_lp, start)
    x, report = start, None
    while True:
        x, report = _solve_with_lazy_conflicts(candidates, x, core.astype(float), params, started)
        objective = report.objective
        # the best any answer using a pair outside the core could do
        outside = lower_bound + (reduced_cost[~core].min() if (~core).any() else np.inf)
        bound = max(min(report.bound, outside), lower_bound, flow_bound)
        gap = mip_gap(objective, bound)
        could_improve = ~core & (reduced_cost < objective - lower_bound - 1e-6)
        left = params.time_limit_s - (time.perf_counter() - started)
        if gap <= params.relative_gap or not could_improve.any() or left <= 1.0:
            break
        core |= could_improve
    status = "optimal" if gap <= params.relative_gap or (report.status == "optimal" and not could_improve.any()) \
        else "feasible"
    report = dataclasses.replace(report, status=status, bound=bound, gap=gap,
                                 message=_time_limit_message(params, gap) if status == "feasible" else "")
    return pd.Series(x > 0.5, index=candidates.pairs.index), report


LP_SEED_PAIRS_PER_UNIT = 8  # pairs per unit the LP starts from, before pricing brings in any that could improve it
LP_ENTERING_PER_UNIT = 4  # pairs per unit pricing brings in at a time
# Re-solve by primal simplex once fewer columns than this share of the LP's enter: nationally its iterations from
# the last basis fall from ~19,000 to tens, where dual simplex restarted nearly from scratch every round.
LP_PRIMAL_SIMPLEX_ENTERING_SHARE = 0.05
SIMPLEX_DUAL, SIMPLEX_PRIMAL = 1, 4  # HiGHS's simplex_strategy values


def _rank_within(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each element's rank (0 = smallest value) among the elements of its group."""
    if groups.dtype == object:  # ids: sorting strings is ~10x slower than their codes, nationally seconds
        groups = pd.factorize(groups)[0]
    # two stable argsorts (the second a radix sort on integers) order as lexsort does, several times faster
    order = np.argsort(values, kind="stable")
    order = order[np.argsort(groups[order], kind="stable")]
    sorted_groups = groups[order]
    first = np.flatnonzero(np.concatenate([[True], sorted_groups[1:] != sorted_groups[:-1]]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - np.repeat(first, np.diff(np.append(first, len(order))))
    return rank


@dataclasses.dataclass(frozen=True)
class PricedLP:
    """The LP relaxation from `_lp_by_pricing`: its optimum, each pair's reduced cost and the LP's value (a
    bound) when pricing finished; or, when it stopped early, the restricted LP's answer repaired to one within
    the relative gap of the caller's bound (`answer`), with no reduced costs and no bound of its own."""
    x: np.ndarray
    reduced_cost: np.ndarray | None
    bound: float | None
    answer: np.ndarray | None = None


def _lp_by_pricing(relaxed: ModelArrays, candidates: Candidates, seed: np.ndarray, params: MatchParams,
                   started: float, floor: float = -np.inf) -> PricedLP | None:
    """The LP relaxation (without age conflicts) by column generation: solve it on each unit's cheapest pairs
    (and the `seed` pairs), price every other pair with the duals, add those with negative reduced cost, repeat.
    When no pair prices out, the restricted optimum is the full LP's: its value is a valid bound and its duals
    give every pair's reduced cost. Nationally the full LP has millions of columns; the restricted ones a few
    hundred thousand. None if the time limit comes first.

    Pricing stops early once a restricted optimum comes within the relative gap of `floor` (a bound the caller
    already has, the flow's) and repairs to an answer that does too: that answer is then proven good enough,
    and the rest of the rounds would only have tightened a bound nobody needs. England's North West replan (14.7
    million pairs) got its last child a place in the fourth round, at 3.8 s of HiGHS, and took another 40 s to
    move the LP's value by 0.0005%."""
    units = pd.factorize(candidates.pairs["unit_id"])[0]
    unit_count = units.max() + 1
    columns = (_rank_within(units, relaxed.c) < LP_SEED_PAIRS_PER_UNIT) | seed
    A_rows = relaxed.A.T.tocsr()  # pairs x rows, to price every pair at once
    keep = np.flatnonzero(columns)
    lp = _highs(ModelArrays(c=relaxed.c[keep], A=relaxed.A[:, keep], row_upper=relaxed.row_upper,
                            constant=relaxed.constant), params, integer=False)
    while True:
        left = params.time_limit_s - (time.perf_counter() - started)
        if left <= 1.0:
            return None
        # HiGHS's clock runs on across rounds; it stops a little after its limit, so it is given a little less
        lp.setOptionValue("time_limit", lp.getRunTime() + left - HIGHS_OVERRUN_S)
        lp.run()
        # later rounds start from this basis; presolve would throw it away
        lp.setOptionValue("presolve", "off")
        if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        solution = lp.getSolution()
        value = lp.getInfo().objective_function_value
        x = np.zeros(len(relaxed.c))
        x[keep] = np.asarray(solution.col_value)
        col_dual = relaxed.c - A_rows @ np.asarray(solution.row_dual)
        entering = np.flatnonzero(~columns & (col_dual < -1e-7))
        if len(entering) > unit_count:
            # a few per unit, most negative first: the duals move as columns enter, so most of the rest would not
            entering = entering[_rank_within(units[entering], col_dual[entering]) < LP_ENTERING_PER_UNIT]
        if not len(entering):
            col_dual[keep] = np.asarray(solution.col_dual)
            return PricedLP(x, col_dual, value)
        if mip_gap(value, floor) <= params.relative_gap:
            answer = repair(candidates, x)
            if mip_gap(relaxed.objective(answer), floor) <= params.relative_gap:
                return PricedLP(x, None, None, answer)
        new = relaxed.A[:, entering].tocsc()
        lp.addCols(len(entering), relaxed.c[entering], np.zeros(len(entering)), np.ones(len(entering)),
                   new.nnz, new.indptr[:-1].astype(np.int32), new.indices.astype(np.int32), new.data)
        # Entering columns keep the basis primal feasible, so primal simplex carries on from it; but while many
        # enter at once the optimum is far off, and dual simplex gets there in fewer, cheaper iterations.
        few = len(entering) < LP_PRIMAL_SIMPLEX_ENTERING_SHARE * len(keep)
        lp.setOptionValue("simplex_strategy", SIMPLEX_PRIMAL if few else SIMPLEX_DUAL)
        columns[entering] = True
        keep = np.concatenate([keep, entering])


# HiGHS solves the core MIP's root LP cold (it takes no basis): on the national stress case 37 s against the warm
# LP by pricing's 8.2 s, so with less time left than this many times that LP's, the MIP would be stopped before its
# root and only make the user wait (it took 25 s of a 16 s limit there, for nothing).
CORE_ROOT_LP_FACTOR = 3.0
CORE_PAIRS_PER_UNIT = 12  # pairs per unit in the first core: enough for the sibling and age-conflict trade-offs


def _initial_core(candidates: Candidates, reduced_cost: np.ndarray, x_lp: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Each unit's CORE_PAIRS_PER_UNIT pairs of lowest reduced cost, every pair the LP uses, and the incumbent's."""
    rank = _rank_within(candidates.pairs["unit_id"].to_numpy(), reduced_cost)
    return (rank < CORE_PAIRS_PER_UNIT) | (x_lp > 1e-9) | (start > 0.5)


def _solve_with_lazy_conflicts(candidates: Candidates, start: np.ndarray, upper: np.ndarray, params: MatchParams,
                               started: float) -> tuple[np.ndarray, SolveReport]:
    conflicts = candidates.conflicts[["pair_a", "pair_b"]]
    free = (upper > 0) | (start > 0.5)
    # only conflicts between pairs the model may choose can ever be broken
    conflicts = conflicts[free[conflicts["pair_a"].to_numpy()] & free[conflicts["pair_b"].to_numpy()]]
    # up front when they are few next to the pairs (one solve); lazily when they would dwarf the model
    eager = len(conflicts) <= EAGER_CONFLICTS_PER_PAIR * free.sum()
    active = conflicts if eager else conflicts.iloc[:0]
    while True:
        # the time limit covers the whole solve, not each stage of it
        left = params.time_limit_s - (time.perf_counter() - started)
        arrays = ModelArrays.build(dataclasses.replace(candidates, conflicts=active))
        x, report = _solve_highs(arrays, start, dataclasses.replace(params, time_limit_s=max(1.0, left)), upper)
        chosen = x > 0.5
        broken = conflicts[chosen[conflicts["pair_a"].to_numpy()] & chosen[conflicts["pair_b"].to_numpy()]]
        if broken.empty:
            return x, report
        if left <= 1.0:  # out of time: the repaired answer keeps every conflict
            objective = arrays.objective(start)
            return start, SolveReport("feasible", objective, report.bound, mip_gap(objective, report.bound), "fast")
        # every conflict of a child whose wish was broken, not only the broken ones: fewer rounds
        units = candidates.pairs["unit_id"].to_numpy()
        touched = list(set(units[broken["pair_a"]]) | set(units[broken["pair_b"]]))
        involved = np.isin(units[conflicts["pair_a"]], touched) | np.isin(units[conflicts["pair_b"]], touched)
        active = pd.concat([active, conflicts[involved]], ignore_index=True).drop_duplicates()


def _flow_bound(candidates: Candidates, relaxed: ModelArrays, flow: np.ndarray) -> float:
    """A lower bound on the model's optimum from the flow relaxation, which only loosens it (siblings may split,
    solo weights and age conflicts are dropped, each child of a unit costs its share of the unit's pair). The
    flow was optimal for costs rounded to FLOW_COST_SCALE, so each child's share may be off by half a unit."""
    sizes = candidates.pairs["size"].to_numpy(dtype=float)
    value = relaxed.constant + float(relaxed.c @ (flow / sizes))
    return value - float(candidates.units["size"].sum()) / FLOW_COST_SCALE


@dataclass(frozen=True)
class FlowNetwork:
    """The pair table as a min-cost flow network: units -> settings -> sink, plus an unmatched arc per unit.

    Each child of a unit is one unit of flow and may go anywhere its unit may (siblings can split); a pair's arc
    costs its per-child share of the pair's cost less the unit's per-child penalty, in pence.
    """

    pair_unit: np.ndarray  # unit node of each pair
    pair_setting: np.ndarray  # setting code of each pair
    unit_size: np.ndarray
    capacity: np.ndarray  # per setting code
    arc_cost: np.ndarray  # per pair, integer pence per child

    @classmethod
    def build(cls, candidates: Candidates) -> FlowNetwork:
        pairs, units = candidates.pairs, candidates.units
        setting_codes, _ = pd.factorize(pairs["setting_id"])
        size = units["size"].to_numpy(dtype=np.int64)
        pair_unit = pairs["unit_id"].map(pd.Series(np.arange(len(units)), index=units["unit_id"])).to_numpy()
        penalty_per_child = units["penalty"].to_numpy(dtype=float) / size
        per_child_cost = pairs["cost"].to_numpy(dtype=float) / pairs["size"].to_numpy(dtype=float)
        return cls(pair_unit=pair_unit, pair_setting=setting_codes, unit_size=size,
                   capacity=pairs.groupby(setting_codes)["capacity"].first().to_numpy(dtype=np.int64),
                   arc_cost=np.round((per_child_cost - penalty_per_child[pair_unit]) * FLOW_COST_SCALE)
                   .astype(np.int64))

    def solve(self, usable: np.ndarray | None = None, capacity: np.ndarray | None = None,
              placing: np.ndarray | None = None) -> np.ndarray:
        """Children placed per pair at the flow's optimum, over the `usable` pairs of the units still `placing`,
        into settings with `capacity` left (by default: every pair, every unit, every vacancy)."""
        units, settings = len(self.unit_size), len(self.capacity)
        sink = units + settings
        placing = np.ones(units, dtype=bool) if placing is None else placing
        arcs_of = np.flatnonzero(placing[self.pair_unit] if usable is None else usable & placing[self.pair_unit])
        supply = np.where(placing, self.unit_size, 0)
        flow = min_cost_flow.SimpleMinCostFlow()
        pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
            self.pair_unit[arcs_of], units + self.pair_setting[arcs_of], self.unit_size[self.pair_unit[arcs_of]],
            self.arc_cost[arcs_of])
        flow.add_arcs_with_capacity_and_unit_cost(np.arange(units), np.full(units, sink), supply,
                                                  np.zeros(units, dtype=np.int64))
        flow.add_arcs_with_capacity_and_unit_cost(units + np.arange(settings), np.full(settings, sink),
                                                  self.capacity if capacity is None else capacity,
                                                  np.zeros(settings, dtype=np.int64))
        flow.set_nodes_supplies(np.arange(units), supply)
        flow.set_node_supply(sink, -int(supply.sum()))
        status = flow.solve()
        if status != flow.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed with status {status} (this is a bug in rcc)")
        placed = np.zeros(len(self.pair_unit))
        placed[arcs_of] = flow.flows(pair_arcs)
        return placed


def flow_relaxation(candidates: Candidates) -> np.ndarray:
    """Children placed per pair when each child of a unit may go anywhere its unit may (siblings can split).

    This is a min-cost flow, solved exactly in seconds at national scale; it ignores solo weights and age
    conflicts, which repair restores.
    """
    return FlowNetwork.build(candidates).solve()


# Re-solves of the flow before repair takes over: the national stress case's gap was 0.51% after 4, 0.42% after 8
# and after 12.
FLOW_ROUNDING_ROUNDS = 8
FLOW_ROUNDING_PAIRS_PER_UNIT = 30  # cheapest pairs per unit a re-solve may use, besides those the flow used


def flow_rounding(candidates: Candidates, network: FlowNetwork, flow: np.ndarray, flow_seconds: float,
                  params: MatchParams, started: float) -> np.ndarray:
    """Shares of each unit per pair, from the flow re-solved until it (nearly) keeps the side constraints.

    Repairing the flow directly loses a place for every child it strands: nationally the flow sends ~180 solo
    children into homes with room for more (which they take whole) and splits ~140 sibling groups, and greedy
    repair cannot re-route the children those fixes push out. So instead the fixes go into the flow and it is
    solved again, re-routing everyone else optimally: pairs that take more vacancies than they have children
    are left out (the flow cannot count them right), a split sibling group is fixed to its largest share where
    it fits, and of two placements breaking an age wish the one of the lower-priority unit is left out. New
    breaks can appear, so this repeats a few rounds while the time limit allows; repair mops up the rest.

    The re-solves only need to re-route children near where the flow had them, so they run on each unit's
    cheapest pairs and the pairs the flow used: a fifth of the pairs nationally, and about a fifth of the time.
    `flow_seconds` is what the first flow took: the first round's time is guessed from it, and the repair after
    the last round is allowed as long (nationally it takes about half).
    """
    pairs = candidates.pairs
    sizes = pairs["size"].to_numpy(dtype=float)
    usable = (pairs["weight"].to_numpy() == pairs["size"].to_numpy()) & (
        (_rank_within(network.pair_unit, network.arc_cost) < FLOW_ROUNDING_PAIRS_PER_UNIT) | (flow > 0))
    saving = placement_saving(candidates)
    conflict_a, conflict_b = (candidates.conflicts[end].to_numpy(dtype=np.int64) for end in ("pair_a", "pair_b"))
    capacity, placing = network.capacity.copy(), np.ones(len(network.unit_size), dtype=bool)
    fixed = np.zeros(len(pairs))
    round_seconds = flow_seconds * usable.sum() / max(len(usable), 1)
    for _ in range(FLOW_ROUNDING_ROUNDS):
        chosen = (flow > 0) | (fixed > 0)
        share = flow / sizes
        split_units = np.unique(network.pair_unit[(share > 1e-9) & (share < 1 - 1e-9)])
        broken = np.flatnonzero(chosen[conflict_a] & chosen[conflict_b])
        if not (len(split_units) or len(broken) or (flow[~usable] > 0).any()):
            break
        if time.perf_counter() - started + round_seconds + flow_seconds > params.time_limit_s:
            break  # another round and the repair after it would not fit in the time limit
        split_shares = np.flatnonzero((flow > 0) & usable & np.isin(network.pair_unit, split_units))
        # each split unit's largest share: the setting most of its children already go to
        largest = split_shares[_rank_within(network.pair_unit[split_shares], -flow[split_shares]) == 0]
        for p in largest:
            setting = network.pair_setting[p]
            if capacity[setting] >= sizes[p]:
                fixed[p], placing[network.pair_unit[p]] = 1.0, False
                capacity[setting] -= int(sizes[p])
        # of each broken age wish, the placement saving less (a lower-priority child), unless it was just fixed
        drop = np.where(saving[conflict_a[broken]] > saving[conflict_b[broken]], conflict_a[broken],
                        conflict_b[broken])
        keep = np.where(drop == conflict_a[broken], conflict_b[broken], conflict_a[broken])
        usable[np.where(fixed[drop] > 0, keep, drop)] = False
        round_started = time.perf_counter()
        flow = network.solve(usable, capacity, placing)
        round_seconds = time.perf_counter() - round_started
    return fixed + flow / sizes


def repair(candidates: Candidates, fractions: np.ndarray) -> np.ndarray:
    """A feasible 0/1 allocation from a relaxation (the share of each unit each pair carries).

    Pairs the relaxation chose whole are kept while they fit (best saving first); every unit still unplaced then
    takes its cheapest setting with room and no age conflict, the units with fewest options choosing first so
    a child with one possible home is not crowded out by a child with fifty.
    """
    pairs = candidates.pairs
    saving = placement_saving(candidates)
    remaining = pairs.groupby("setting_id")["capacity"].first().to_dict()
    # each pair's conflicting pairs as rows of a symmetric sparse matrix: indptr/indices slices, no Python sets
    ends = candidates.conflicts[["pair_a", "pair_b"]].to_numpy(dtype=np.int64)
    both_ways = (np.concatenate([ends[:, 0], ends[:, 1]]), np.concatenate([ends[:, 1], ends[:, 0]]))
    adjacency = sparse.csr_matrix((np.ones(2 * len(ends), dtype=bool), both_ways), shape=(len(pairs), len(pairs)))
    indptr, indices = adjacency.indptr, adjacency.indices
    chosen = np.zeros(len(pairs))
    placed_units: set[str] = set()
    unit_ids, setting_ids = pairs["unit_id"].to_numpy(), pairs["setting_id"].to_numpy()
    weights = pairs["weight"].to_numpy()

    def place(p: int) -> bool:
        if (unit_ids[p] in placed_units or saving[p] >= 0 or remaining[setting_ids[p]] < weights[p]
                or chosen[indices[indptr[p]:indptr[p + 1]]].any()):
            return False
        chosen[p] = 1
        placed_units.add(unit_ids[p])
        remaining[setting_ids[p]] -= weights[p]
        return True

    whole = np.flatnonzero(fractions > 1 - 1e-6)
    for p in whole[np.argsort(saving[whole], kind="stable")]:
        place(p)
    option_count = pd.Series(unit_ids).value_counts()
    # Room only shrinks and placements only grow from here, so a pair that cannot be placed now never can: only
    # the few pairs of unplaced units into settings with room left are worth walking (nationally a few thousand
    # of two million).
    room = pairs["setting_id"].map(remaining).to_numpy() >= weights
    open_pairs = np.flatnonzero(room & (saving < 0) & ~pd.Series(unit_ids).isin(placed_units).to_numpy())
    open_units = unit_ids[open_pairs]
    choosing_order = np.lexsort((pairs["cost"].to_numpy()[open_pairs], pd.factorize(open_units, sort=True)[0],
                                 option_count.reindex(open_units).to_numpy()))
    for p in open_pairs[choosing_order]:
        place(p)
    return chosen


def _highs(arrays: ModelArrays, params: MatchParams, integer: bool, upper: np.ndarray | None = None) -> highspy.Highs:
    """The model loaded into HiGHS from its sparse arrays (integer, or its LP relaxation)."""
    n = len(arrays.c)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", HIGHS_THREADS)
    h.setOptionValue("time_limit", float(params.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(params.relative_gap))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, arrays.A.shape[0]
    lp.col_cost_, lp.col_lower_ = arrays.c, np.zeros(n)
    lp.col_upper_ = np.ones(n) if upper is None else upper
    lp.row_lower_, lp.row_upper_ = np.full(lp.num_row_, -highspy.kHighsInf), arrays.row_upper
    lp.offset_ = arrays.constant
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = arrays.A.indptr, arrays.A.indices, arrays.A.data
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)
    return h


def _solve_highs(arrays: ModelArrays, start: np.ndarray, params: MatchParams,
                 upper: np.ndarray) -> tuple[np.ndarray, SolveReport]:
    # Columns fixed at zero are left out of the model HiGHS sees rather than passed with a zero bound: its root
    # processing scales with the columns it is given.
    free = np.flatnonzero((upper > 0) | (start > 0.5))
    sub = ModelArrays(c=arrays.c[free], A=arrays.A[:, free], row_upper=arrays.row_upper, constant=arrays.constant)
    h = _highs(sub, params, integer=True)
    warm = highspy.HighsSolution()
    warm.col_value = start[free].tolist()
    warm.value_valid = True
    h.setSolution(warm)
    h.run()
    status, info = h.getModelStatus(), h.getInfo()
    x = start
    if info.primal_solution_status:
        x = np.zeros(len(arrays.c))
        x[free] = np.round(np.asarray(h.getSolution().col_value, dtype=float))
    if not arrays.feasible(x):
        x = start  # never hand back anything the repair did not already make feasible
    objective = arrays.objective(x)
    bound = min(info.mip_dual_bound, objective) if np.isfinite(info.mip_dual_bound) else -np.inf
    gap = mip_gap(objective, bound)
    if status == highspy.HighsModelStatus.kOptimal:
        return x, SolveReport("optimal", objective, bound, gap, "fast")
    return x, SolveReport("feasible", objective, bound, gap, "fast", _time_limit_message(params, gap))


# --- pyomo: the readable reference -----------------------------------------------------------------------------

def solve_pyomo(candidates: Candidates, params: MatchParams) -> tuple[pd.Series, SolveReport]:
    pairs, units = candidates.pairs, candidates.units
    penalty = units.set_index("unit_id")["penalty"]
    by_unit = pairs.groupby("unit_id").groups
    by_setting = pairs.groupby("setting_id").groups
    m = pyo.ConcreteModel("regional_match")
    m.pairs = pyo.Set(initialize=pairs.index.tolist())
    m.x = pyo.Var(m.pairs, domain=pyo.Binary)
    m.one_setting_per_unit = pyo.Constraint(
        list(by_unit), rule=lambda m, u: sum(m.x[p] for p in by_unit[u]) <= 1)
    m.vacancies = pyo.Constraint(
        list(by_setting), rule=lambda m, s: sum(pairs.at[p, "weight"] * m.x[p] for p in by_setting[s])
        <= int(pairs.at[by_setting[s][0], "capacity"]))
    conflicts = candidates.conflicts[["pair_a", "pair_b"]].to_numpy()
    m.ages_alongside = pyo.Constraint(range(len(conflicts)),
                                      rule=lambda m, k: m.x[conflicts[k][0]] + m.x[conflicts[k][1]] <= 1)
    m.cost = pyo.Objective(expr=float(penalty.sum()) + sum(
        (pairs.at[p, "cost"] - penalty[pairs.at[p, "unit_id"]]) * m.x[p] for p in m.pairs))
    result = solve_with_highs(m, params.time_limit_s, params.relative_gap)
    if result.status == "failed":
        return pd.Series(False, index=pairs.index), SolveReport(
            "failed", np.nan, np.nan, np.nan, "pyomo", f"HiGHS stopped with {result.message}")
    chosen = pd.Series([pyo.value(m.x[p]) > 0.5 for p in pairs.index], index=pairs.index)
    gap = mip_gap(result.objective, result.bound)
    if result.status == "optimal":
        return chosen, SolveReport("optimal", result.objective, result.bound, gap, "pyomo")
    return chosen, SolveReport("feasible", result.objective, result.bound, gap, "pyomo",
                               _time_limit_message(params, gap))


# --- OR-Tools model builder ------------------------------------------------------------------------------------

def solve_model_builder(candidates: Candidates, params: MatchParams) -> tuple[pd.Series, SolveReport]:
    pairs = candidates.pairs
    model = mb.Model()
    x = model.new_bool_var_series(name="x", index=pairs.index)
    for _, rows in pairs.groupby("unit_id").groups.items():
        model.add(mb.LinearExpr.sum(x[rows].tolist()) <= 1)
    for _, rows in pairs.groupby("setting_id").groups.items():
        capacity = int(pairs.loc[rows[0], "capacity"])
        model.add(mb.LinearExpr.weighted_sum(x[rows].tolist(), pairs.loc[rows, "weight"].tolist()) <= capacity)
    for a, b in candidates.conflicts[["pair_a", "pair_b"]].itertuples(index=False):
        model.add(x[a] + x[b] <= 1)
    arrays = ModelArrays.build(candidates)
    # The constant stays out of the solver so the gap is measured on what the choices can change.
    model.minimize(mb.LinearExpr.weighted_sum(x.tolist(), arrays.c.tolist()))

    solver = mb.Solver(params.solver)
    solver.set_time_limit_in_seconds(params.time_limit_s)
    solver.enable_output(False)
    if params.solver in MODEL_BUILDER_OPTIONS:
        solver.set_solver_specific_parameters(MODEL_BUILDER_OPTIONS[params.solver].format(gap=params.relative_gap))
    status = solver.solve(model)
    if status not in MODEL_BUILDER_STATUS:
        return pd.Series(False, index=pairs.index), SolveReport(
            "failed", np.nan, np.nan, np.nan, params.solver,
            f"solver stopped with {status.name}: {solver.status_string or 'no further detail'}")
    chosen = solver.values(x) > 0.5
    objective = solver.objective_value + arrays.constant
    bound = solver.best_objective_bound + arrays.constant
    gap = mip_gap(objective, bound)
    message = "" if status == mb.SolveStatus.OPTIMAL else _time_limit_message(params, gap)
    return chosen, SolveReport(MODEL_BUILDER_STATUS[status], objective, bound, gap, params.solver, message)


def nothing_to_choose(candidates: Candidates, params: MatchParams) -> tuple[pd.Series, SolveReport]:
    """No child has any eligible setting: every child is unmatched, which is trivially optimal."""
    constant = float(candidates.units["penalty"].sum())
    return (pd.Series(False, index=candidates.pairs.index),
            SolveReport("optimal", constant, constant, 0.0, params.solver, "no child had an eligible setting"))


BACKENDS = {"fast": solve_fast, "pyomo": solve_pyomo, "scip": solve_model_builder, "highs": solve_model_builder,
            "cp-sat": solve_model_builder}


def components(candidates: Candidates) -> np.ndarray:
    """The connected component of each pair in the graph of units and settings joined by pairs: two components
    share no unit, no setting and no age conflict (conflicting pairs share a setting), so their models are
    independent and the whole model's optimum is the sum of theirs."""
    pairs = candidates.pairs
    if not len(pairs):
        return np.zeros(0, dtype=np.int64)
    unit = pd.Index(candidates.units["unit_id"]).get_indexer(pairs["unit_id"])
    setting, _ = pd.factorize(pairs["setting_id"])
    n_units = len(candidates.units)
    graph = sparse.coo_matrix((np.ones(len(pairs)), (unit, n_units + setting)),
                              shape=(n_units + setting.max() + 1,) * 2)
    _, label = connected_components(graph, directed=False)
    return pd.factorize(label[unit])[0]


def sub_candidates(candidates: Candidates, keep: np.ndarray) -> Candidates:
    """The candidates of the pairs `keep` (a boolean mask) and of their units, the pairs renumbered from 0, for a
    solver: without member pairs."""
    pairs = candidates.pairs[keep]
    position = np.full(len(candidates.pairs), -1)
    position[np.flatnonzero(keep)] = np.arange(len(pairs))
    units = set(pairs["unit_id"])
    a, b = (position[candidates.conflicts[end].to_numpy(dtype=np.int64)] for end in ("pair_a", "pair_b"))
    both = (a >= 0) & (b >= 0)
    return dataclasses.replace(
        candidates, pairs=pairs.reset_index(drop=True),
        units=candidates.units[candidates.units["unit_id"].isin(units)].reset_index(drop=True),
        conflicts=pd.DataFrame({"pair_a": a[both], "pair_b": b[both]}),
        referrals=candidates.referrals[candidates.referrals["unit_id"].isin(units)].reset_index(drop=True),
        # no solver reads the member pairs (the cost terms, for audit): filtering millions of them took seconds
        member_pairs=candidates.member_pairs.iloc[:0])


def solve_by_components(candidates: Candidates, params: MatchParams) -> tuple[pd.Series, SolveReport]:
    """The model solved one connected component at a time (councils far apart never interact), each with a share
    of the time left in proportion to its pairs, and added up: objective and bound are sums of the components',
    plus the penalty of every unit with no pair at all."""
    started = time.perf_counter()
    label = components(candidates)
    chosen = pd.Series(False, index=candidates.pairs.index)
    placed_units = set(candidates.pairs["unit_id"])
    constant = float(candidates.units.loc[~candidates.units["unit_id"].isin(placed_units), "penalty"].sum())
    objective, bound, statuses, messages = constant, constant, [], []
    sizes = np.bincount(label)
    remaining_pairs = len(label)
    for k in np.argsort(-sizes, kind="stable"):
        keep = label == k
        left = max(params.time_limit_s - (time.perf_counter() - started), 1.0)
        share = dataclasses.replace(params, time_limit_s=max(1.0, left * sizes[k] / remaining_pairs))
        remaining_pairs -= sizes[k]
        sub = sub_candidates(candidates, keep)
        picked, report = BACKENDS[params.solver](sub, share)
        chosen[np.flatnonzero(keep)[picked.to_numpy(dtype=bool)]] = True
        # each component's objective counts its own units' penalties, so the sum counts every unit once
        objective += report.objective
        bound += report.bound
        statuses.append(report.status)
        messages += [report.message] if report.message else []
    status = "failed" if "failed" in statuses else "optimal" if all(s == "optimal" for s in statuses) else "feasible"
    gap = mip_gap(objective, bound)
    message = "" if status == "optimal" else (_time_limit_message(params, gap) if status == "feasible"
                                               else "; ".join(messages))
    return chosen, SolveReport(status, objective, bound, gap, params.solver, message)


def solve(candidates: Candidates, params: MatchParams) -> tuple[pd.Series, SolveReport]:
    """The chosen backend's answer; when it found no feasible allocation within its time limit (OR-Tools' HiGHS,
    CP-SAT and the Pyomo reference can stop with none), the fast path's, which always has one, and the report says
    so. Without this a failed solve would leave every child unmatched and report a shortage the region does not
    have."""
    if not len(candidates.pairs):
        return nothing_to_choose(candidates, params)
    chosen, report = BACKENDS[params.solver](candidates, params)
    if report.status != "failed" or params.solver == "fast":
        return chosen, report
    chosen, fallback = solve_fast(candidates, dataclasses.replace(params, solver="fast"))
    note = (f"{params.solver} found no feasible allocation within {params.time_limit_s:g} s ({report.message}); "
            "this is the fast path's answer instead")
    return chosen, dataclasses.replace(fallback, solver=f"fast (after {params.solver})",
                                       message="; ".join(filter(None, [note, fallback.message])))


# --- extra constraint rows (each council no worse off than alone: optimiser/match/fairness.py) ------------------

@dataclass(frozen=True)
class ExtraRows:
    """Rows added to the model, A @ x <= upper over the pairs (the columns of ModelArrays), one name per row."""

    A: sparse.csr_matrix
    upper: np.ndarray
    names: tuple[str, ...]


def solve_full_with_rows(candidates: Candidates, params: MatchParams, rows: ExtraRows, elastic: bool = False,
                         hard: ExtraRows | None = None, columns: np.ndarray | None = None,
                         start: np.ndarray | None = None) -> tuple[pd.Series, SolveReport, np.ndarray]:
    """The whole model (every pair and age conflict) with `rows` added, one MIP for HiGHS: (chosen pairs, report,
    each extra row's slack). The fast backend's flow, repair and core rest on the model being an assignment with
    vacancies, which rows spanning a council's every pair break, so a run with extra rows comes here whatever the
    backend. `elastic` gives each extra row a slack column and minimises the slacks alone: the least by which the
    rows must give for any allocation to exist, when they cannot all hold."""
    arrays = ModelArrays.build(candidates)
    n, k = len(arrays.c), len(rows.upper)
    A = sparse.vstack([arrays.A, rows.A]).tocsc()
    c = arrays.c
    if elastic:
        A = sparse.hstack([A, sparse.vstack([sparse.csc_matrix((arrays.A.shape[0], k)), -sparse.identity(k)])]).tocsc()
        c = np.concatenate([np.zeros(n), np.ones(k)])
    full = ModelArrays(c=c, A=A, row_upper=np.concatenate([arrays.row_upper, rows.upper]),
                       constant=0.0 if elastic else arrays.constant)
    upper = np.ones(n) if columns is None else columns.astype(float)
    h = _highs(full, params, integer=True, upper=np.concatenate([upper, np.full(k, np.inf)]) if elastic else upper)
    if elastic:
        h.changeColsIntegrality(k, np.arange(n, n + k, dtype=np.int32),
                                np.array([highspy.HighsVarType.kContinuous] * k))
    if start is not None and not elastic:
        warm = highspy.HighsSolution()
        warm.col_value = start.astype(float).tolist()
        warm.value_valid = True
        h.setSolution(warm)
    h.run()
    status, info = h.getModelStatus(), h.getInfo()
    solver = "highs (full model with fairness rows)"
    if not info.primal_solution_status:
        # "infeasible" (proven: no allocation keeps the rows) is what the caller tells apart from running out of time
        why = "infeasible" if status == highspy.HighsModelStatus.kInfeasible else h.modelStatusToString(status)
        return (pd.Series(False, index=candidates.pairs.index),
                SolveReport("failed", np.nan, np.nan, np.nan, solver, why), np.full(k, np.nan))
    values = np.asarray(h.getSolution().col_value, dtype=float)
    x, slack = np.round(values[:n]), (values[n:] if elastic else np.zeros(k))
    objective = arrays.objective(x)
    bound = info.mip_dual_bound + (arrays.constant if not elastic else 0.0)
    gap = 0.0 if elastic else mip_gap(objective, min(bound, objective))
    optimal = status == highspy.HighsModelStatus.kOptimal
    return (pd.Series(x > 0.5, index=candidates.pairs.index),
            SolveReport("optimal" if optimal else "feasible", objective, objective if elastic else bound, gap, solver,
                        "" if optimal else _time_limit_message(params, gap)), slack)
