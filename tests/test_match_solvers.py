"""The regional match: optimum against brute force, every solver agrees, answers pass the independent verifier."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest

from data.load import load_region
from optimiser.match.allocation import match_region
from optimiser.match.candidates import build_candidates
from optimiser.match.params import MatchParams
from optimiser.match.verify import great_circle_km, verify_allocation
from tests.builders import make_region, random_instance, referral_rows, settings_rows
from tests.match_brute_force import RUN_DATE, brute_force_optimum

SOLVERS = ["fast", "pyomo", "scip", "highs", "cp-sat"]
@pytest.mark.parametrize("seed", range(12))
def test_optimum_matches_brute_force_for_every_solver(seed, tmp_path):
    """On tiny random regions each solver's objective equals the brute-force optimum and passes the verifier."""
    region = make_region(tmp_path / "region", **random_instance(seed))
    params = MatchParams(cost_per_km=40.0)
    expected, feasible = brute_force_optimum(region, params)
    assert feasible >= 1  # leaving everyone unmatched is always allowed
    for solver in SOLVERS:
        result = match_region(region, MatchParams(cost_per_km=40.0, solver=solver), run_date=RUN_DATE)
        assert result.status == "optimal", (solver, result.message)
        assert result.objective == pytest.approx(expected, rel=1e-7), solver
        violations = verify_allocation(region, result.allocations, params)
        assert violations.empty, (solver, violations.to_string())


def test_instances_exercise_matches_and_gaps(tmp_path):
    """The random family is not trivial: children are matched and unmatched, for many different reasons."""
    statuses, reasons = [], set()
    for seed in range(20):
        region = make_region(tmp_path / f"r{seed}", **random_instance(seed))
        allocations = match_region(region, run_date=RUN_DATE).allocations
        statuses += allocations["status"].tolist()
        reasons |= set(allocations["reason_code"]) - {""}
    assert statuses.count("matched") >= 12 and statuses.count("unmatched") >= 12
    assert len(reasons) >= 8, reasons


def test_siblings_are_placed_together_and_apart_only_when_no_setting_fits(tmp_path):
    """Three siblings go to the one setting with room for all, though others are cheaper; without it, apart."""
    region = make_region(
        tmp_path / "region",
        settings=settings_rows({"setting_type": "foster_ifa", "vacancies": 2, "places": 2, "weekly_fee": 700},
                               {"setting_type": "foster_ifa", "vacancies": 3, "places": 3, "weekly_fee": 900,
                                "lat": 53.6},
                               {"setting_type": "foster_ifa", "vacancies": 1, "places": 1, "weekly_fee": 600}),
        referrals=referral_rows(*({"age": a, "sibling_group": "G7", "needs": ""} for a in (4, 6, 9))))
    alloc = match_region(region).allocations
    assert alloc["setting_id"].tolist() == ["S2", "S2", "S2"] and not alloc["sibling_split"].any()
    smaller = region.replace(settings=region.settings[region.settings["setting_id"] != "S2"])
    alloc = match_region(smaller).allocations
    assert (alloc["status"] == "matched").all() and alloc["sibling_split"].all()
    assert sorted(alloc["setting_id"]) == ["S1", "S1", "S3"]
    assert (alloc["split_cost"] == MatchParams().sibling_split_cost).all()
    assert verify_allocation(smaller, alloc).empty


def test_vacancies_are_respected_and_shortage_explained(tmp_path):
    """Three children compete for two places: two are placed, the third is told the places went to others."""
    region = make_region(tmp_path / "region", settings=settings_rows({"vacancies": 2}),
                         referrals=referral_rows({}, {}, {}))
    alloc = match_region(region).allocations
    assert (alloc["status"] == "matched").sum() == 2
    left = alloc[alloc["status"] == "unmatched"].iloc[0]
    assert left["reason_code"] == "capacity" and "other children" in left["reason"]


def test_solo_child_takes_a_whole_empty_home(tmp_path):
    """A child who must live alone takes all of an empty home's places; nobody joins them."""
    region = make_region(tmp_path / "region",
                         settings=settings_rows({"places": 3, "vacancies": 3}),
                         referrals=referral_rows({"cared_alongside": "solo"}, {}))
    alloc = match_region(region).allocations.set_index("referral_id")
    assert alloc.loc["R1", "status"] == "matched" and alloc.loc["R2", "status"] == "unmatched"
    assert verify_allocation(region, alloc.reset_index()).empty


@pytest.mark.parametrize("change, code", [
    ({"secure_order": True}, "secure"),
    ({"age": 8}, "age_range"),
    ({"needs": "complex_health"}, "needs"),
    ({"ratio": "3:1"}, "ratio"),
    ({"max_distance_km": 1.0, "family_lat": 53.7}, "distance"),
    ({"residential_suitability": "unsuitable"}, "setting_type"),
])
def test_unmatched_reason_names_the_rule(change, code, tmp_path):
    """A child no setting can lawfully take is told which rule left no setting, in plain words."""
    region = make_region(tmp_path / "region", settings=settings_rows({"age_min": 10, "max_ratio": "2:1"}),
                         referrals=referral_rows(change))
    row = match_region(region).allocations.iloc[0]
    assert row["status"] == "unmatched" and row["reason_code"] == code
    assert row["reason"].startswith("no setting with a vacancy")


def test_pair_table_costs_are_fee_plus_distance(tmp_path):
    """Each pair's cost is the setting's weekly fee plus the per-km charge on the great-circle distance."""
    region = make_region(tmp_path / "region", settings=settings_rows({"lat": 53.55, "weekly_fee": 4100}),
                         referrals=referral_rows({}))
    params = MatchParams(cost_per_km=10)
    pair = build_candidates(region, params).member_pairs.iloc[0]
    km = great_circle_km(53.451, -2.233, 53.55, -2.233)
    assert pair["distance_km"] == pytest.approx(km, rel=1e-9)
    assert pair["cost"] == pytest.approx(4100 + 10 * km + params.not_preferred_cost)


def move(allocation: pd.DataFrame, referral_id: str, setting_id: str) -> pd.DataFrame:
    moved = allocation.copy()
    moved.loc[moved["referral_id"] == referral_id, ["setting_id", "status"]] = [setting_id, "matched"]
    return moved


PLANTED = {
    "capacity": lambda a: a.assign(setting_id="S1", status="matched"),
    "siblings_together": lambda a: move(a, "R2", "S2"),
    "age_range": lambda a: move(a, "R4", "S3"),
    "secure": lambda a: move(a, "R1", "S4"),
    "registration": lambda a: move(a, "R1", "S5"),
    "needs": lambda a: move(a, "R5", "S2"),
    "solo": lambda a: move(a, "R5", "S2"),
    "one_row_per_referral": lambda a: pd.concat([a, a.iloc[:1]]),
}


@pytest.mark.parametrize("rule", sorted(PLANTED))
def test_verifier_catches_planted_violations(rule, tmp_path):
    """Start from a sound allocation, break one rule by hand, and the verifier names that rule."""
    region = make_region(
        tmp_path / "region",
        settings=settings_rows({"vacancies": 2, "places": 2},
                               {"vacancies": 3, "places": 4, "needs_met": "emotional_behavioural"},
                               {"age_min": 16, "vacancies": 1},
                               {"setting_type": "secure_childrens_home", "vacancies": 1},
                               {"registration_status": "unregistered", "vacancies": 1}),
        referrals=referral_rows({"age": 12}, {"sibling_group": "G1", "age": 10}, {"sibling_group": "G1", "age": 11},
                                {"age": 13}, {"needs": "mental_health", "cared_alongside": "solo"}))
    sound = pd.DataFrame({"referral_id": ["R1", "R2", "R3", "R4", "R5"],
                          "setting_id": ["S2", "S1", "S1", "S2", "S3"], "status": "matched"})
    sound.loc[4, "setting_id"] = None
    sound.loc[4, "status"] = "unmatched"
    assert verify_allocation(region, sound).empty
    broken = PLANTED[rule](sound)
    rules_found = set(verify_allocation(region, broken)["rule"])
    assert rule in rules_found, rules_found


def test_screening_in_small_blocks_gives_the_same_pairs(tmp_path):
    """Screening one referral at a time (as at national scale) yields the same pairs and diagnostics."""
    region = make_region(tmp_path / "region", **random_instance(5))
    whole, blocks = build_candidates(region, MatchParams()), build_candidates(region, MatchParams(), chunk_pairs=1)
    pd.testing.assert_frame_equal(whole.pairs, blocks.pairs)
    pd.testing.assert_frame_equal(whole.survivors, blocks.survivors)


def test_sibling_no_setting_can_take_does_not_hold_back_the_others(tmp_path):
    """When one sibling's needs cannot be met anywhere, the other is placed (apart) and each reason is their own."""
    region = make_region(tmp_path / "region",
                         settings=settings_rows({"setting_type": "foster_ifa", "vacancies": 2, "places": 2}),
                         referrals=referral_rows({"sibling_group": "G2", "age": 7},
                                                 {"sibling_group": "G2", "age": 9, "needs": "complex_health"}))
    alloc = match_region(region).allocations.set_index("referral_id")
    assert alloc.at["R1", "status"] == "matched" and alloc.at["R1", "sibling_split"]
    assert alloc.at["R2", "status"] == "unmatched" and alloc.at["R2", "reason_code"] == "needs"


def test_siblings_competing_for_one_home_share_one_reason(tmp_path):
    """A sibling pair that loses the only big-enough home to an emergency is told so, with one shared reason."""
    region = make_region(tmp_path / "region",
                         settings=settings_rows({"setting_type": "foster_ifa", "vacancies": 2, "places": 2}),
                         referrals=referral_rows({"sibling_group": "G3", "age": 7}, {"sibling_group": "G3", "age": 9},
                                                 {"age": 10, "emergency": True},
                                                 {"age": 11, "emergency": True}))
    alloc = match_region(region).allocations.set_index("referral_id")
    assert alloc.loc[["R1", "R2"], "reason_code"].tolist() == ["capacity", "capacity"]
    assert alloc.at["R1", "reason"] == alloc.at["R2", "reason"]
    assert alloc.at["R1", "reason"].startswith("sibling group G3 (2 children) cannot be placed together")


@pytest.mark.parametrize("seed", range(12))
def test_fast_path_pieces_relax_and_repair_soundly(seed, tmp_path):
    """The flow relaxation never costs more than the MIP optimum, and its repair is a feasible allocation."""
    from optimiser.match import solvers
    from optimiser.match.solvers import ModelArrays, flow_relaxation, repair

    region = make_region(tmp_path / "region", **random_instance(seed))
    candidates = build_candidates(region, MatchParams(), run_date=RUN_DATE)
    arrays = ModelArrays.build(candidates)
    flows = flow_relaxation(candidates)
    relaxed = arrays.constant + float(arrays.c @ (flows / candidates.pairs["size"].to_numpy()))
    repaired = repair(candidates, flows / candidates.pairs["size"].to_numpy())
    rounded = repair(candidates, solvers.flow_rounding(candidates, solvers.FlowNetwork.build(candidates), flows,
                                                       0.0, MatchParams(), time.perf_counter()))
    optimum = match_region(region, MatchParams(solver="scip"), run_date=RUN_DATE).objective
    assert relaxed <= optimum + 1e-6
    assert solvers._flow_bound(candidates, arrays, flows) <= relaxed  # the bound the fast path reports
    for allocation in (repaired, rounded):
        assert arrays.feasible(allocation) and arrays.objective(allocation) >= optimum - 1e-6


def _solo_child_beside_a_shared_home(tmp_path):
    """A solo child R1 nearest a two-place home, and R2 and R3 about 5 km north of it, by a one-place home."""
    near_others = {"lat": 53.496}
    return make_region(tmp_path / "region",
                       settings=settings_rows({"places": 2, "vacancies": 2},
                                              {"places": 1, "vacancies": 1, "weekly_fee": 9000, **near_others}),
                       referrals=referral_rows({"cared_alongside": "solo"},
                                               {"family_lat": near_others["lat"]},
                                               {"family_lat": near_others["lat"]}))


def test_flow_rounding_moves_a_solo_child_the_flow_put_in_a_shared_home(tmp_path):
    """The flow puts the solo child R1 in the two-place home nearest to them, counting one place; repair then
    gives R1 the whole home and strands a child. Re-solving the flow without that pair places all three."""
    from optimiser.match import solvers

    region = _solo_child_beside_a_shared_home(tmp_path)
    params = MatchParams()
    candidates = build_candidates(region, params, run_date=RUN_DATE)
    arrays = solvers.ModelArrays.build(candidates)
    network = solvers.FlowNetwork.build(candidates)
    flows = network.solve()
    repaired = solvers.repair(candidates, flows / candidates.pairs["size"].to_numpy())
    rounded = solvers.repair(candidates, solvers.flow_rounding(candidates, network, flows, 0.0, params,
                                                               time.perf_counter()))
    optimum = match_region(region, MatchParams(solver="scip"), run_date=RUN_DATE)
    assert (optimum.allocations["status"] == "matched").all()
    assert arrays.objective(repaired) > optimum.objective + params.unmatched_penalty / 2
    assert arrays.objective(rounded) == pytest.approx(optimum.objective, rel=1e-9)


def test_a_month_with_no_referrals_matches_nothing_cleanly(tmp_path):
    """A region with no home searches this month gives an empty, optimal allocation, not an error."""
    region = make_region(tmp_path / "region", settings=settings_rows({}), referrals=[])
    result = match_region(region)
    assert result.status == "optimal" and result.allocations.empty


@pytest.mark.parametrize("seed", [2, 6, 10, 17])
def test_lazy_age_conflicts_reach_the_same_optimum(seed, tmp_path, monkeypatch):
    """Adding age conflicts only once broken (as at national scale) gives the same optimum as adding them all."""
    from optimiser.match import solvers

    region = make_region(tmp_path / "region", **random_instance(seed))
    eager = match_region(region, MatchParams(solver="scip"), run_date=RUN_DATE)
    monkeypatch.setattr(solvers, "EAGER_CONFLICTS_PER_PAIR", 0.0)
    lazy = match_region(region, MatchParams(solver="fast"), run_date=RUN_DATE)
    assert lazy.objective == pytest.approx(eager.objective, rel=1e-9)
    assert verify_allocation(region, lazy.allocations).empty


def test_lazy_conflicts_keep_two_younger_only_children_apart(tmp_path, monkeypatch):
    """The relaxed model would share the cheap home; the lazy round adds the conflict and separates them."""
    from optimiser.match import solvers

    monkeypatch.setattr(solvers, "EAGER_CONFLICTS_PER_PAIR", 0.0)
    region = make_region(tmp_path / "r", settings=settings_rows({"vacancies": 2}, {"weekly_fee": 9000}),
                         referrals=referral_rows({"age": 14, "cared_alongside": "younger_only"},
                                                 {"age": 14, "cared_alongside": "younger_only"}))
    assert sorted(match_region(region).allocations["setting_id"]) == ["S1", "S2"]



def _count_pricing_rounds(monkeypatch) -> dict[str, int]:
    """A counter of the rounds in which column generation adds pairs to the LP (HiGHS's addCols calls)."""
    import highspy

    rounds = {"added": 0}
    add_cols = highspy.Highs.addCols

    def counting_add_cols(self, *args):
        rounds["added"] += 1
        return add_cols(self, *args)

    monkeypatch.setattr(highspy.Highs, "addCols", counting_add_cols)
    return rounds


@pytest.mark.parametrize("primal_share", [0.0, 1.0])  # re-solves by dual simplex only, or by primal only
def test_lp_by_pricing_reaches_the_full_lps_value(primal_share, tmp_path, monkeypatch):
    """Column generation from one pair per unit, one entering pair per unit per round, ends at the value of the
    LP over every pair, and does have to bring pairs in to get there."""
    from optimiser.match import solvers

    monkeypatch.setattr(solvers, "LP_SEED_PAIRS_PER_UNIT", 1)
    monkeypatch.setattr(solvers, "LP_ENTERING_PER_UNIT", 1)
    monkeypatch.setattr(solvers, "LP_PRIMAL_SIMPLEX_ENTERING_SHARE", primal_share)
    rounds = _count_pricing_rounds(monkeypatch)
    params = MatchParams(cost_per_km=40.0)
    # 24 instances: deprivation-of-liberty orders leave some instances too few pairs for pricing to add any
    for seed in range(24):
        region = make_region(tmp_path / f"r{seed}", **random_instance(seed))
        candidates = build_candidates(region, params, run_date=RUN_DATE)
        if candidates.pairs.empty:
            continue
        relaxed = solvers.ModelArrays.build(dataclasses.replace(candidates, conflicts=candidates.conflicts.iloc[:0]))
        full = solvers._highs(relaxed, params, integer=False)
        full.run()
        seed_none = np.zeros(len(relaxed.c), dtype=bool)
        lp = solvers._lp_by_pricing(relaxed, candidates, seed_none, params, time.perf_counter())
        x, reduced_cost, value = lp.x, lp.reduced_cost, lp.bound
        assert value == pytest.approx(full.getInfo().objective_function_value, rel=1e-9, abs=1e-6), seed
        assert relaxed.feasible(x) and relaxed.objective(x) == pytest.approx(value, rel=1e-9, abs=1e-6)
        assert (reduced_cost[x < 1e-9] >= -1e-6).all()  # no pair left at zero could still improve the LP
    assert rounds["added"] >= 1


def test_a_core_grown_from_nothing_reaches_the_optimum(tmp_path, monkeypatch):
    """From the worst start (nobody placed) and an empty core, the core must grow to the pairs that could still
    improve the answer, and the fast path still reaches the brute-force optimum with a verified allocation."""
    from optimiser.match import solvers

    monkeypatch.setattr(solvers, "_initial_core", lambda candidates, *rest: np.zeros(len(candidates.pairs), bool))
    monkeypatch.setattr(solvers, "repair", lambda candidates, fractions: np.zeros(len(candidates.pairs)))
    solves, core_solve = {"n": 0}, solvers._solve_with_lazy_conflicts

    def counting_core_solve(*args):
        solves["n"] += 1
        return core_solve(*args)

    monkeypatch.setattr(solvers, "_solve_with_lazy_conflicts", counting_core_solve)
    params = MatchParams(cost_per_km=40.0)
    grown = 0
    for seed in range(12):
        region = make_region(tmp_path / f"r{seed}", **random_instance(seed))
        expected, _ = brute_force_optimum(region, params)
        before = solves["n"]
        result = match_region(region, params, run_date=RUN_DATE)
        grown += solves["n"] - before >= 2
        assert result.status == "optimal" and result.objective == pytest.approx(expected, rel=1e-7), seed
        assert verify_allocation(region, result.allocations, params).empty
    assert grown >= 5  # the empty core had to grow wherever anyone could be placed


@pytest.mark.parametrize("seed_pairs", [1, 8])
def test_pricing_stops_early_with_an_answer_within_the_gap_of_the_floor(seed_pairs, monkeypatch):
    """Given a floor (here the full LP's value, which HiGHS computes over every pair), column generation stops as
    soon as a restricted optimum repairs to an answer within the relative gap of it: on the embedded region's
    replan within 3 km, in fewer rounds than pricing to the end. The answer keeps every constraint, costs no
    less than the MIP's optimum over every pair (HiGHS again) and is within the gap of the floor; no bound is
    claimed from the restricted LP. Without a floor, pricing runs to the full LP's value."""
    import highspy

    from data import EMBEDDED_REGION
    from optimiser.match import solvers
    from optimiser.match.replan import _kept_where_they_are, replan_region, with_stability

    monkeypatch.setattr(solvers, "LP_SEED_PAIRS_PER_UNIT", seed_pairs)
    rounds = _count_pricing_rounds(monkeypatch)
    region = load_region(EMBEDDED_REGION, history=False)
    params = MatchParams(max_distance_km=3)
    councils = set(region.authorities["la_code"])
    area = replan_region(region, councils, RUN_DATE)
    area = replan_region(region, councils, RUN_DATE, keep=_kept_where_they_are(area, params, RUN_DATE))
    candidates = with_stability(build_candidates(area, params, run_date=RUN_DATE), 100.0)
    whole = solvers.ModelArrays.build(candidates)
    relaxed = solvers.ModelArrays.build(dataclasses.replace(candidates, conflicts=candidates.conflicts.iloc[:0]))
    full_lp, full_mip = solvers._highs(relaxed, params, integer=False), solvers._highs(whole, params, integer=True)
    full_lp.run()
    full_mip.setOptionValue("mip_rel_gap", 0.0)
    full_mip.run()
    floor, optimum = full_lp.getInfo().objective_function_value, full_mip.getInfo().objective_function_value
    assert full_mip.getModelStatus() == highspy.HighsModelStatus.kOptimal
    no_seed = np.zeros(len(relaxed.c), dtype=bool)
    complete = solvers._lp_by_pricing(relaxed, candidates, no_seed, params, time.perf_counter())
    complete_rounds = rounds["added"]
    early = solvers._lp_by_pricing(relaxed, candidates, no_seed, params, time.perf_counter(), floor=floor)
    early_rounds = rounds["added"] - complete_rounds
    assert complete.answer is None and complete.bound == pytest.approx(floor, rel=1e-9)
    assert early.answer is not None and early.bound is None and early.reduced_cost is None
    assert early_rounds < complete_rounds
    assert whole.feasible(early.answer) and set(np.unique(early.answer)) <= {0.0, 1.0}
    assert optimum - 1e-6 <= whole.objective(early.answer)
    assert solvers.mip_gap(whole.objective(early.answer), floor) <= params.relative_gap


def test_an_answer_placing_nobody_still_makes_an_allocation_table(tmp_path):
    """A backend stopped with nothing (SCIP at a tiny time limit) places no child: the allocation table still has
    every referral, each unmatched, with no cost terms."""
    from optimiser.match.allocation import allocation_table, assignment_from_units

    for seed in range(24):  # the first tiny region with a pair anyone could be placed in
        region = make_region(tmp_path / f"r{seed}", **random_instance(seed))
        candidates = build_candidates(region, MatchParams(), run_date=RUN_DATE)
        if len(candidates.pairs):
            break
    nobody = pd.Series(False, index=candidates.pairs.index)
    table = allocation_table(region, candidates, assignment_from_units(candidates, nobody))
    assert len(candidates.pairs) and len(table) == len(region.referrals)
    assert table["status"].eq("unmatched").all() and table["total_cost"].isna().all()
