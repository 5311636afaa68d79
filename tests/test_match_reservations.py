"""A council's reserved in-house places (members.csv reserved_share): other councils' children use at most the rest,
and the council's account shows what the reservation costs the region, as counted by hand."""

from __future__ import annotations

import pytest

from optimiser.match import match
from optimiser.match.params import MatchParams
from tests.fair_regions import MANCHESTER, SALFORD, neighbour_region, neighbour_tables
from tests.match_brute_force import RUN_DATE


def two_place_region(folder, reserved_share: float):
    """The neighbour region with Manchester's in-house S1 (£500) holding 2 places and a second Salford child (R3,
    7) like R2. Without a reservation both Salford children go to S1 and Manchester's R1 to S2 (£900)."""
    tables = neighbour_tables()
    tables["settings"][0].update({"places": 2, "vacancies": 2})
    tables["referrals"].append({**tables["referrals"][1], "referral_id": "R3", "child_id": "C3", "age": 7})
    members = [{"la_code": MANCHESTER, "reserved_share": reserved_share}]
    return neighbour_region(folder, settings=tables["settings"], referrals=tables["referrals"], members=members)


def test_half_of_two_places_reserved_leaves_one_for_salford_at_the_hand_counted_cost(tmp_path):
    """Manchester reserves half of its 2 in-house places: Salford's children may use floor(0.5 x 2) = 1. The best
    is then R1 and one Salford child in S1, the other in S3 (£1,200): £2,200 against £1,900 without, so the
    reservation costs the region £300 a week, which Manchester's account shows."""
    free = match(two_place_region(tmp_path / "free", 0.0), run_date=RUN_DATE)
    held = match(two_place_region(tmp_path / "held", 0.5), run_date=RUN_DATE)
    assert free.result.allocations.set_index("referral_id")["setting_id"].to_dict() == \
        {"R1": "S2", "R2": "S1", "R3": "S1"}
    where = held.result.allocations.set_index("referral_id")["setting_id"]
    assert where["R1"] == "S1" and sorted([where["R2"], where["R3"]]) == ["S1", "S3"]
    salford_in_s1 = held.result.allocations.query("la_code == @SALFORD and setting_id == 'S1'")
    assert len(salford_in_s1) == 1
    assert held.result.objective - free.result.objective == pytest.approx(300)
    account = held.accounts.set_index("la_code")
    assert account.at[MANCHESTER, "reserved_share"] == 0.5
    assert account.at[MANCHESTER, "reservation_cost"] == pytest.approx(300)
    assert account.at[SALFORD, "reservation_cost"] == 0.0
    assert held.violations.empty


def test_a_whole_reservation_holds_with_no_worse_too(tmp_path):
    """Manchester reserves all of its in-house place: no Salford child is placed there, with or without the
    no-worse rule, and the fairness run keeps the reservation as a hard row."""
    for params in (MatchParams(), MatchParams(fairness="no-worse")):
        m = match(neighbour_region(tmp_path / params.fairness,
                                   members=[{"la_code": MANCHESTER, "reserved_share": 1.0}]), params,
                  run_date=RUN_DATE)
        assert m.result.allocations.set_index("referral_id")["setting_id"].to_dict() == {"R1": "S1", "R2": "S3"}
        assert m.accounts.set_index("la_code").at[MANCHESTER, "reservation_cost"] == pytest.approx(300)
