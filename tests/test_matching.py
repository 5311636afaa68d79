"""The regional match: optimum against brute force, every solver agrees, answers pass the independent verifier."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimiser.candidates import build_candidates
from optimiser.matching import match_region
from optimiser.params import MatchParams
from optimiser.verify import great_circle_km, verify_allocation
from tests.builders import make_region, referral_rows, settings_rows

SOLVERS = ["scip", "highs", "cp-sat"]
TYPES = ["childrens_home", "foster_ifa", "foster_inhouse", "supported_accommodation", "secure_childrens_home"]
NEEDS = ["emotional_behavioural", "mental_health", "learning_disability", "exploitation_risk"]


def random_instance(seed: int) -> tuple[list[dict], list[dict]]:
    """A tiny region where every hard rule bites sometimes; small enough to enumerate every allocation."""
    rng = np.random.default_rng(seed)
    settings = []
    for _ in range(rng.integers(3, 5)):
        stype = rng.choice(TYPES, p=[0.45, 0.25, 0.15, 0.1, 0.05])
        places = int(rng.integers(1, 4))
        age_min = 16 if stype == "supported_accommodation" else int(rng.choice([0, 0, 0, 10]))
        settings.append({
            "setting_type": stype, "places": places, "vacancies": int(rng.integers(places // 2, places + 1)),
            "registration_status": rng.choice(["active"] * 8 + ["suspended", "unregistered"]),
            "ofsted_grade": rng.choice(["good", "good", "good", "outstanding", "inadequate"]),
            "age_min": age_min, "age_max": 17,
            "needs_met": ";".join(n for n in NEEDS if rng.random() < 0.85),
            "max_ratio": rng.choice(["standard", "1:1", "2:1"]), "solo_only": bool(rng.random() < 0.15),
            "weekly_fee": float(rng.integers(5, 90) * 100),
            "lat": 53.45 + rng.normal(0, 0.15), "lon": -2.23 + rng.normal(0, 0.2),
        })
    referrals = []
    n_referrals = int(rng.integers(3, 5))
    sibling_pair = rng.random() < 0.5
    for i in range(n_referrals):
        age = int(rng.integers(5, 18))
        referrals.append({
            "age": age, "sibling_group": "G1" if sibling_pair and i < 2 else "",
            "family_lat": 53.45 + rng.normal(0, 0.1), "family_lon": -2.23 + rng.normal(0, 0.15),
            "foster_suitability": rng.choice(["preferred", "suitable", "suitable", "unsuitable"]),
            "residential_suitability": rng.choice(["preferred", "suitable", "unsuitable", "not_specified", "suitable", "suitable"]),
            "supported_suitability": rng.choice(["suitable", "unsuitable"]) if age >= 16 else "unsuitable",
            "secure_required": bool(rng.random() < 0.05),
            "needs": ";".join(n for n in NEEDS if rng.random() < 0.06),
            "ratio": rng.choice(["standard", "standard", "standard", "1:1", "2:1"]),
            "cared_alongside": rng.choice(["no_preference"] * 5 + ["solo"]) if not (sibling_pair and i < 2)
            else "no_preference",
            "max_distance_km": rng.choice([np.nan, np.nan, np.nan, 30.0]),
        })
    return settings_rows(*settings), referral_rows(*referrals)


def brute_force_optimum(region, params: MatchParams) -> tuple[float, int]:
    """Try every way of giving each unit a setting or none; keep the cheapest that the verifier accepts."""
    referrals = region.referrals
    units = referrals.assign(unit=np.where(referrals["sibling_group"].ne(""), referrals["sibling_group"],
                                           referrals["referral_id"])).groupby("unit")["referral_id"].apply(list)
    settings = region.settings.set_index("setting_id")
    by_id = referrals.set_index("referral_id")
    best, feasible = np.inf, 0
    for choice in itertools.product([None, *settings.index], repeat=len(units)):
        rows = []
        for members, setting_id in zip(units, choice):
            rows += [{"referral_id": m, "status": "unmatched" if setting_id is None else "matched",
                      "setting_id": setting_id} for m in members]
        allocation = pd.DataFrame(rows)
        if not verify_allocation(region, allocation, params).empty:
            continue
        feasible += 1
        cost = 0.0
        for row in rows:
            if row["setting_id"] is None:
                cost += params.unmatched_penalty
                continue
            s, r = settings.loc[row["setting_id"]], by_id.loc[row["referral_id"]]
            km = great_circle_km(r["family_lat"], r["family_lon"], s["lat"], s["lon"])
            cost += s["weekly_fee"] + params.cost_per_km * km
        best = min(best, cost)
    return best, feasible


@pytest.mark.parametrize("seed", range(12))
def test_optimum_matches_brute_force_for_every_solver(seed, tmp_path):
    """On tiny random regions each solver's objective equals the brute-force optimum and passes the verifier."""
    settings, referrals = random_instance(seed)
    region = make_region(tmp_path / "region", settings=settings, referrals=referrals)
    params = MatchParams(cost_per_km=40.0)
    expected, feasible = brute_force_optimum(region, params)
    assert feasible >= 1  # leaving everyone unmatched is always allowed
    for solver in SOLVERS:
        result = match_region(region, MatchParams(cost_per_km=40.0, solver=solver))
        assert result.status == "optimal", (solver, result.message)
        assert result.objective == pytest.approx(expected, rel=1e-7), solver
        violations = verify_allocation(region, result.allocations, params)
        assert violations.empty, (solver, violations.to_string())


def test_instances_exercise_matches_and_gaps(tmp_path):
    """The random family is not trivial: across seeds some children are matched and some are not."""
    statuses = []
    for seed in range(12):
        settings, referrals = random_instance(seed)
        region = make_region(tmp_path / f"r{seed}", settings=settings, referrals=referrals)
        statuses += match_region(region).allocations["status"].tolist()
    assert statuses.count("matched") >= 10 and statuses.count("unmatched") >= 10


def test_siblings_are_placed_together_or_not_at_all(tmp_path):
    """A sibling group of three goes to the one setting with three vacancies, though others are cheaper."""
    region = make_region(
        tmp_path / "region",
        settings=settings_rows({"setting_type": "foster_ifa", "vacancies": 2, "places": 2, "weekly_fee": 700},
                               {"setting_type": "foster_ifa", "vacancies": 3, "places": 3, "weekly_fee": 900,
                                "lat": 53.6},
                               {"setting_type": "foster_ifa", "vacancies": 1, "places": 1, "weekly_fee": 600}),
        referrals=referral_rows(*({"age": a, "sibling_group": "G7", "needs": ""} for a in (4, 6, 9))))
    alloc = match_region(region).allocations
    assert alloc["setting_id"].tolist() == ["S2", "S2", "S2"]
    smaller = region.replace(settings=region.settings[region.settings["setting_id"] != "S2"])
    alloc = match_region(smaller).allocations
    assert (alloc["status"] == "unmatched").all()
    assert set(alloc["reason_code"]) == {"sibling_group"}
    assert "whole sibling group" in alloc["reason"].iloc[0]


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
    ({"secure_required": True}, "secure"),
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
    assert pair["cost"] == pytest.approx(4100 + 10 * km)


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


def test_time_limit_returns_best_feasible_answer_with_gap(tmp_path):
    """A run stopped by its time limit reports feasible or optimal with a gap, never an exception."""
    settings, referrals = random_instance(3)
    region = make_region(tmp_path / "region", settings=settings, referrals=referrals)
    result = match_region(region, MatchParams(time_limit_s=0.001))
    assert result.status in ("optimal", "feasible")
    assert result.gap >= 0 and np.isfinite(result.objective)


def test_screening_in_small_blocks_gives_the_same_pairs(tmp_path):
    """Screening one referral at a time (as at national scale) yields the same pairs and diagnostics."""
    settings, referrals = random_instance(5)
    region = make_region(tmp_path / "region", settings=settings, referrals=referrals)
    whole, blocks = build_candidates(region, MatchParams()), build_candidates(region, MatchParams(), chunk_pairs=1)
    pd.testing.assert_frame_equal(whole.pairs, blocks.pairs)
    pd.testing.assert_frame_equal(whole.survivors, blocks.survivors)


def test_siblings_share_one_reason_naming_the_most_restricted_child(tmp_path):
    """When one sibling's needs cannot be met anywhere, every sibling is told so, with the child named."""
    region = make_region(tmp_path / "region",
                         settings=settings_rows({"setting_type": "foster_ifa", "vacancies": 2, "places": 2}),
                         referrals=referral_rows({"sibling_group": "G2", "age": 7},
                                                 {"sibling_group": "G2", "age": 9, "needs": "complex_health"}))
    alloc = match_region(region).allocations
    assert alloc["reason_code"].tolist() == ["needs", "needs"]
    assert alloc["reason"].nunique() == 1
    assert alloc["reason"].iloc[0].startswith("sibling group G2 (2 children) cannot be placed together: R2:")
