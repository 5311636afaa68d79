"""The match solved one connected component of the pair graph at a time gives the whole model's optimum."""

from __future__ import annotations

import pytest

from optimiser.match.candidates import build_candidates
from optimiser.match.params import MatchParams
from optimiser.match.solvers import components, solve, solve_by_components
from tests.builders import SETTING_DEFAULTS, make_region, random_instance, referral_rows, settings_rows
from tests.match_brute_force import RUN_DATE, brute_force_optimum

SETTING_LAT = SETTING_DEFAULTS["lat"]
FAR = 3.0  # degrees of latitude between the two halves (~330 km): no pair, setting or conflict joins them


def far_copy(tables: dict, seed: int) -> dict:
    """random_instance(seed) moved FAR north, every id renamed, so it shares nothing with the original."""
    moved = random_instance(seed)
    rename = lambda value: value.replace("S", "T", 1) if isinstance(value, str) and value[:1] == "S" else value  # noqa: E731
    for row in moved["settings"]:
        row["setting_id"], row["lat"] = rename(row["setting_id"]), row["lat"] + FAR
    for row in moved["children"]:
        row["child_id"], row["current_setting_id"] = "X" + row["child_id"], rename(row["current_setting_id"])
    for row in moved["referrals"]:
        row["referral_id"], row["child_id"] = "Q" + row["referral_id"], "X" + row["child_id"]
        row["sibling_group"] = "G2" if row["sibling_group"] else ""
        for column in ("family_lat", "school_lat", "avoid_lat"):
            row[column] = row[column] + FAR
    return {name: tables[name] + moved[name] for name in ("settings", "children", "referrals")}


@pytest.mark.parametrize("seeds", [(6, 7), (10, 11)])  # pairs in both halves
def test_components_reach_the_sum_of_the_halves_brute_force_optima(seeds, tmp_path):
    """Two tiny regions far apart in one: solved component by component, the objective is the sum of each half's
    brute-force optimum, and the same as the whole model solved at once."""
    params = MatchParams(cost_per_km=40.0, max_distance_km=100.0)  # no pair spans the halves, ~330 km apart
    halves = [make_region(tmp_path / f"half{k}", **(random_instance(seeds[0]) if k == 0
                                                    else far_copy({"settings": [], "children": [], "referrals": []},
                                                                  seeds[1])))
              for k in (0, 1)]
    expected = sum(brute_force_optimum(half, params)[0] for half in halves)
    joined = make_region(tmp_path / "joined", **far_copy(random_instance(seeds[0]), seeds[1]))
    candidates = build_candidates(joined, params, run_date=RUN_DATE)
    label, north = components(candidates), candidates.pairs["setting_id"].str.startswith("T").to_numpy()
    assert north.any() and (~north).any() and not set(label[north]) & set(label[~north])  # none spans the halves
    _, by_parts = solve_by_components(candidates, params)
    _, whole = solve(candidates, params)
    assert by_parts.status == "optimal" and by_parts.objective == pytest.approx(expected, rel=1e-7)
    assert whole.objective == pytest.approx(by_parts.objective, rel=1e-7)


def test_components_keep_the_age_conflicts(tmp_path):
    """Two pairs of children who may each live only with younger children, ~330 km apart, each pair by a cheap
    two-place home: component by component keeps each pair apart and gives SCIP's whole-model optimum, and every
    conflict lands in exactly one component."""
    from optimiser.match.solvers import sub_candidates

    north = {"lat": SETTING_LAT + FAR}
    wish = {"age": 14, "cared_alongside": "younger_only"}
    region = make_region(tmp_path / "r",
                         settings=settings_rows({"vacancies": 2}, {"weekly_fee": 9000},
                                                {"vacancies": 2, **north}, {"weekly_fee": 9000, **north}),
                         referrals=referral_rows(wish, wish, {**wish, "family_lat": north["lat"]},
                                                 {**wish, "family_lat": north["lat"]}))
    params = MatchParams(max_distance_km=100.0)
    candidates = build_candidates(region, params, run_date=RUN_DATE)
    label = components(candidates)
    assert len(set(label)) == 2 and len(candidates.conflicts) >= 2
    assert sum(len(sub_candidates(candidates, label == k).conflicts) for k in set(label)) == len(candidates.conflicts)
    chosen, by_parts = solve_by_components(candidates, params)
    _, whole = solve(candidates, MatchParams(max_distance_km=100.0, solver="scip"))
    assert by_parts.objective == pytest.approx(whole.objective, rel=1e-9)
    assert candidates.pairs.loc[chosen.to_numpy(), "setting_id"].value_counts().max() == 1  # nobody shares
