"""Sharing the money among member councils: the Shapley value against a hand computation, sampling, the match's
cost game and the proportional rules."""

from __future__ import annotations

import pandas as pd
import pytest

from optimiser.match import match
from optimiser.match.coalitions import coalition_cost_game
from optimiser.match.params import MatchParams
from optimiser.strategy.sharing import shapley_values, share_out
from tests.fair_regions import MANCHESTER, SALFORD, neighbour_region
from tests.match_brute_force import RUN_DATE, brute_force_optimum

# a 3-council cost game, by hand
GAME = {frozenset(): 0.0, frozenset("A"): 6.0, frozenset("B"): 8.0, frozenset("C"): 10.0, frozenset("AB"): 11.0,
        frozenset("AC"): 13.0, frozenset("BC"): 15.0, frozenset("ABC"): 17.0}


def test_shapley_of_a_three_council_game_equals_the_hand_computation():
    """phi_A = c(A)/3 + (c(AB) - c(B))/6 + (c(AC) - c(C))/6 + (c(ABC) - c(BC))/3 = 2 + 1/2 + 1/2 + 2/3 = 11/3;
    likewise phi_B = 8/3 + 5/6 + 5/6 + 4/3 = 17/3 and phi_C = 10/3 + 7/6 + 7/6 + 2 = 23/3; they add up to 17."""
    values, how = shapley_values(list("ABC"), GAME.__getitem__)
    assert values.to_dict() == pytest.approx({"A": 11 / 3, "B": 17 / 3, "C": 23 / 3})
    assert values.sum() == pytest.approx(GAME[frozenset("ABC")])
    assert how.startswith("exact")


def test_sampled_shapley_adds_up_exactly_and_comes_close():
    """Beyond exact_up_to the value is sampled over random orders: each order's marginal costs add up to c(ABC),
    so the sampled values do too, exactly, and 4,000 orders come within 0.1 of the exact values."""
    values, how = shapley_values(list("ABC"), GAME.__getitem__, exact_up_to=2, samples=4000, seed=3)
    assert how.startswith("sampled") and "4000 random orders" in how
    assert values.sum() == pytest.approx(17.0, abs=1e-9)
    assert values.to_dict() == pytest.approx({"A": 11 / 3, "B": 17 / 3, "C": 23 / 3}, abs=0.1)


def test_match_cost_game_of_all_councils_is_the_regional_optimum(tmp_path):
    """c(every council) is the regional optimum (brute force), c(no council) is 0, and the Shapley values of the
    match's game add up to the regional optimum."""
    region = neighbour_region(tmp_path / "r")
    params = MatchParams()
    m = match(region, params, run_date=RUN_DATE)
    game = coalition_cost_game(m.region, m.result.candidates, params)
    optimum = brute_force_optimum(region, params)[0]
    assert game(frozenset({MANCHESTER, SALFORD})) == pytest.approx(optimum, rel=1e-9)
    assert game(frozenset()) == 0.0
    values, _ = shapley_values([MANCHESTER, SALFORD], game)
    assert values.sum() == pytest.approx(optimum, rel=1e-9)


def test_proportional_rules_share_costs_and_savings_by_their_weights():
    """By use, a council placing 3 of the region's 4 children pays 3/4 of the commissioning cost and gets 3/4 of
    the weekly saving; by children looked after (10 and 30) it pays 1/4."""
    councils = pd.DataFrame({"la_code": ["X", "Y"], "la_name": ["Ex", "Why"], "children_placed": [3, 1],
                             "children_looked_after": [10, 30], "alone_objective": [0.0, 0.0],
                             "alone_weekly_cost": [0.0, 0.0]})
    use = share_out("use", councils, 1_000_000.0, 4_000.0).table.set_index("la_code")
    assert use.at["X", "pays_commissioning"] == pytest.approx(750_000)
    assert use.at["X", "match_saving_weekly"] == pytest.approx(3_000)
    children = share_out("children", councils, 1_000_000.0, 4_000.0).table.set_index("la_code")
    assert children.at["X", "pays_commissioning"] == pytest.approx(250_000)
    assert children["pays_commissioning"].sum() == pytest.approx(1_000_000)
