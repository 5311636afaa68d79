"""Each council's account of a match, regional against alone, counted by hand on a tiny region."""

from __future__ import annotations

import pytest

from optimiser.match import match
from optimiser.match.accounts import council_objectives
from optimiser.match.params import MatchParams
from optimiser.match.verify import great_circle_km
from tests.fair_regions import MANCHESTER, POINT, R2_FAMILY, SALFORD, neighbour_region, neighbour_tables
from tests.match_brute_force import RUN_DATE, allocation_cost, brute_force_optimum


def test_accounts_of_the_neighbour_region_counted_by_hand(tmp_path):
    """Manchester gives its in-house place to Salford's child: it pays £400 more than alone, Salford £700 less;
    distance, fit, beds given and taken and each council's objective are as counted by hand."""
    m = match(neighbour_region(tmp_path / "r"), run_date=RUN_DATE)
    accounts = m.accounts.set_index("la_code")
    km = great_circle_km(*R2_FAMILY, *POINT)  # R2's family to every setting
    fit = 300.0  # R1's foster placements are only "suitable" (not_preferred_cost)
    manchester, salford = accounts.loc[MANCHESTER], accounts.loc[SALFORD]
    assert m.result.allocations.set_index("referral_id")["setting_id"].to_dict() == {"R1": "S2", "R2": "S1"}
    assert m.baseline.set_index("referral_id")["setting_id"].to_dict() == {"R1": "S1", "R2": "S3"}
    assert (manchester["regional_weekly_cost"], manchester["alone_weekly_cost"]) == (900, 500)
    assert (salford["regional_weekly_cost"], salford["alone_weekly_cost"]) == (500, 1200)
    assert (manchester["regional_in_house_given"], manchester["regional_in_house_taken"]) == (1, 0)
    assert (salford["regional_in_house_given"], salford["regional_in_house_taken"]) == (0, 1)
    assert accounts[["alone_in_house_given", "alone_in_house_taken"]].eq(0).all().all()
    assert manchester["regional_mean_distance_km"] == pytest.approx(0.0, abs=1e-9)
    assert salford["regional_mean_distance_km"] == pytest.approx(km, rel=1e-6)
    assert salford["alone_mean_distance_km"] == pytest.approx(km, rel=1e-6)
    assert (manchester["regional_mean_fit_cost"], salford["regional_mean_fit_cost"]) == (fit, 0.0)
    assert manchester["regional_objective"] == pytest.approx(900 + fit)
    assert manchester["alone_objective"] == pytest.approx(500 + fit)
    assert salford["regional_objective"] == pytest.approx(500 + 25 * km, rel=1e-6)
    assert salford["alone_objective"] == pytest.approx(1200 + 25 * km, rel=1e-6)
    assert manchester["gain"] == pytest.approx(-400) and salford["gain"] == pytest.approx(700)
    assert (manchester["weekly_cost_saving"], salford["weekly_cost_saving"]) == (-400, 700)
    assert accounts[["regional_children_unmatched", "alone_children_unmatched"]].eq(0).all().all()


def test_council_objectives_add_up_to_the_brute_force_optimum(tmp_path):
    """The councils' parts of the objective add up to the region's optimum, found by brute force, and each part is
    the brute-force cost of that council's rows alone."""
    region = neighbour_region(tmp_path / "r")
    params = MatchParams()
    m = match(region, params, run_date=RUN_DATE)
    parts = council_objectives(m.result.allocations, m.result.candidates, params)
    assert parts.sum() == pytest.approx(brute_force_optimum(region, params)[0], rel=1e-9)
    for la_code, value in parts.items():
        rows = m.result.allocations[m.result.allocations["la_code"].eq(la_code)]
        assert value == pytest.approx(allocation_cost(region, rows, params), rel=1e-9)


def test_unmatched_child_counts_against_their_council(tmp_path):
    """A child no setting can take is unmatched in both approaches and costs their council the unmatched
    penalty in both: no gain, no loss."""
    tables = neighbour_tables()
    tables["referrals"].append({**tables["referrals"][1], "referral_id": "R3", "child_id": "C3",
                                "needed_by": "2026-12-20", "needs": "parent_and_child"})  # no setting meets it
    region = neighbour_region(tmp_path / "r", referrals=tables["referrals"])
    params = MatchParams()
    accounts = match(region, params, run_date=RUN_DATE).accounts.set_index("la_code")
    assert (accounts.at[SALFORD, "regional_children_unmatched"], accounts.at[SALFORD, "alone_children_unmatched"]) \
        == (1, 1)
    assert accounts.at[SALFORD, "gain"] == pytest.approx(700)
    assert accounts.at[SALFORD, "regional_objective"] - accounts.at[SALFORD, "alone_objective"] \
        == pytest.approx(-700)
    assert accounts.at[SALFORD, "regional_objective"] > params.unmatched_penalty
