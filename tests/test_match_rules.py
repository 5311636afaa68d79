"""Each rule and cost term of the regional match, shown on a region where only that rule decides."""

from __future__ import annotations

from datetime import date

import pytest

from optimiser.match.allocation import match_region
from optimiser.match.candidates import build_candidates
from optimiser.match.params import MatchParams
from optimiser.match.verify import great_circle_km, verify_allocation
from tests.builders import PROVIDER, make_region, referral_rows, settings_rows

RUN_DATE = date(2026, 11, 22)


def outcome(region, params=None):
    allocations = match_region(region, params, run_date=RUN_DATE).allocations
    assert verify_allocation(region, allocations, params).empty
    return allocations.set_index("referral_id")


def test_older_only_child_is_not_placed_with_younger_residents(tmp_path):
    """A child who may live only with older children skips a home where a younger child lives."""
    region = make_region(tmp_path / "r", settings=settings_rows({}, {"weekly_fee": 7000}),
                         children=[{"child_id": "K1", "age": 11, "current_setting_id": "S1"}],
                         referrals=referral_rows({"age": 13, "cared_alongside": "older_only"}))
    assert outcome(region).at["R1", "setting_id"] == "S2"


def test_younger_only_children_are_not_placed_together_in_one_run(tmp_path):
    """Two children who may each live only with younger children never share a home placed in the same run."""
    region = make_region(tmp_path / "r", settings=settings_rows({"vacancies": 2}, {"weekly_fee": 9000}),
                         referrals=referral_rows({"age": 14, "cared_alongside": "younger_only"},
                                                 {"age": 14, "cared_alongside": "younger_only"}))
    assert sorted(outcome(region)["setting_id"]) == ["S1", "S2"]


def test_a_child_who_must_live_alone_lives_apart_from_their_siblings(tmp_path):
    """Found on synthetic East Midlands: a sibling pair with a solo child went together into an empty two-place
    home. Alone means without siblings too, so no home can take the pair: each goes alone, at the split cost."""
    region = make_region(tmp_path / "r",
                         settings=settings_rows({"setting_type": "foster_ifa", "places": 2, "vacancies": 2},
                                                {"setting_type": "foster_ifa", "places": 1, "vacancies": 1,
                                                 "weekly_fee": 6000}),
                         referrals=referral_rows({"sibling_group": "G1", "age": 10, "cared_alongside": "solo"},
                                                 {"sibling_group": "G1", "age": 8}))
    placed = outcome(region)
    assert (placed["status"] == "matched").all() and placed["sibling_split"].all()
    assert sorted(placed["setting_id"]) == ["S1", "S2"]
    assert (placed["split_cost"] == MatchParams().sibling_split_cost).all()
    together = placed.reset_index().assign(setting_id="S1")[["referral_id", "setting_id", "status"]]
    assert "solo" in set(verify_allocation(region, together)["rule"])


def test_siblings_are_apart_when_the_one_big_home_houses_a_child_a_sibling_cannot_live_with(tmp_path):
    """Found on synthetic London: the only home with room for both siblings has a 13-year-old living there and
    one sibling may live only with younger children, so placing them apart is no violation."""
    region = make_region(tmp_path / "r",
                         settings=settings_rows({"setting_type": "foster_ifa", "places": 3, "vacancies": 2},
                                                {"setting_type": "foster_ifa", "places": 1, "vacancies": 1},
                                                {"setting_type": "foster_ifa", "places": 1, "vacancies": 1,
                                                 "weekly_fee": 6000}),
                         children=[{"child_id": "K1", "age": 13, "current_setting_id": "S1"}],
                         referrals=referral_rows({"sibling_group": "G1", "age": 3, "cared_alongside": "younger_only"},
                                                 {"sibling_group": "G1", "age": 2}))
    placed = outcome(region)
    assert (placed["status"] == "matched").all() and placed["sibling_split"].all()
    assert placed.at["R1", "setting_id"] != "S1"
    together = placed.reset_index().assign(setting_id="S1")[["referral_id", "setting_id", "status"]]
    assert "alongside" in set(verify_allocation(region, together)["rule"])


def test_avoid_zone_excludes_settings_inside_the_circle(tmp_path):
    """A setting 3 km from the place a child must avoid is excluded for a 5 km radius, and allowed for 2 km."""
    referral = {"avoid_lat": 53.451 + 3 / 111.2, "avoid_lon": -2.233, "avoid_radius_km": 5}
    region = make_region(tmp_path / "a", settings=settings_rows({}), referrals=referral_rows(referral))
    row = outcome(region).loc["R1"]
    assert row["status"] == "unmatched" and row["reason_code"] == "avoid"
    region = make_region(tmp_path / "b", settings=settings_rows({}),
                         referrals=referral_rows({**referral, "avoid_radius_km": 2}))
    assert outcome(region).at["R1", "status"] == "matched"


def test_keep_school_caps_distance_from_school(tmp_path):
    """A child keeping their school is not placed beyond keep_school_max_km of it, however cheap the home."""
    region = make_region(tmp_path / "r", settings=settings_rows({"lat": 53.70, "weekly_fee": 3000},
                                                                {"lat": 53.46, "weekly_fee": 8000}),
                         referrals=referral_rows({"keep_school": True, "school_lat": 53.45, "school_lon": -2.23}))
    assert outcome(region).at["R1", "setting_id"] == "S2"
    assert outcome(region, MatchParams(keep_school_max_km=40)).at["R1", "setting_id"] == "S1"


def test_lock_sends_the_child_to_the_named_setting(tmp_path):
    """A council lock wins over cost; a lock to a setting that breaks a rule is explained, not obeyed."""
    controls = [{"referral_id": "R1", "action": "lock", "setting_id": "S2"}]
    region = make_region(tmp_path / "a", settings=settings_rows({}, {"weekly_fee": 9000}),
                         referrals=referral_rows({}), controls=controls)
    assert outcome(region).at["R1", "setting_id"] == "S2"
    region = make_region(tmp_path / "b", settings=settings_rows({}, {"age_min": 16}),
                         referrals=referral_rows({}), controls=controls)
    row = outcome(region).loc["R1"]
    assert row["status"] == "unmatched" and "locked this child to S2" in row["reason"]


def test_veto_of_a_provider_removes_all_its_settings(tmp_path):
    """A veto of a provider keeps the child out of every setting it runs."""
    providers = [PROVIDER, {"provider_id": "P2", "provider_name": "Other", "sector": "voluntary"}]
    region = make_region(tmp_path / "r", providers=providers,
                         settings=settings_rows({}, {"weekly_fee": 4000}, {"provider_id": "P2", "weekly_fee": 9000}),
                         referrals=referral_rows({}),
                         controls=[{"referral_id": "R1", "action": "veto", "provider_id": "P1"}])
    assert outcome(region).at["R1", "setting_id"] == "S3"


def test_block_contract_bed_costs_nothing_extra(tmp_path):
    """A bed the RCC has already bought is preferred to a cheaper spot purchase."""
    region = make_region(tmp_path / "r",
                         settings=settings_rows({"weekly_fee": 4000}, {"weekly_fee": 6000, "block_contract": True}),
                         referrals=referral_rows({}))
    row = outcome(region).loc["R1"]
    assert row["setting_id"] == "S2" and row["fee_cost"] == 0 and row["weekly_fee"] == 6000


def test_close_to_family_weighs_distance_more(tmp_path):
    """The same referral goes to the cheaper, farther home, unless being close to family matters."""
    settings = settings_rows({"lat": 53.47, "weekly_fee": 5600}, {"lat": 53.60, "weekly_fee": 5000})
    plain = make_region(tmp_path / "a", settings=settings, referrals=referral_rows({}))
    close = make_region(tmp_path / "b", settings=settings, referrals=referral_rows({"close_to_family": True}))
    params = MatchParams(cost_per_km=30)
    assert outcome(plain, params).at["R1", "setting_id"] == "S2"
    assert outcome(close, params).at["R1", "setting_id"] == "S1"


def test_emergency_gets_the_last_place(tmp_path):
    """When one place is left, the emergency referral gets it, and the other child's reason says why."""
    region = make_region(tmp_path / "r", settings=settings_rows({"vacancies": 1}),
                         referrals=referral_rows({"family_lat": 53.46}, {"emergency": True, "family_lat": 53.60}))
    result = outcome(region)
    assert result.at["R2", "status"] == "matched" and result.at["R1", "reason_code"] == "capacity"


def test_waiting_longest_gets_the_last_place(tmp_path):
    """Of two equal referrals, the one waiting longest past its needed_by date gets the one place."""
    region = make_region(tmp_path / "r", settings=settings_rows({"vacancies": 1}),
                         referrals=referral_rows({"needed_by": "2026-11-20", "family_lat": 53.46},
                                                 {"needed_by": "2026-10-01", "family_lat": 53.60}))
    assert outcome(region).at["R2", "status"] == "matched"


def test_in_house_first_fills_the_councils_own_carers(tmp_path):
    """With in_house_first, a council's own foster carer is used before a cheaper, nearer agency carer."""
    council = {"provider_id": "LA3", "provider_name": "Manchester City Council", "sector": "local_authority"}
    region = make_region(
        tmp_path / "r", providers=[PROVIDER, council],
        settings=settings_rows({"setting_type": "foster_ifa", "weekly_fee": 700},
                               {"setting_type": "foster_inhouse", "provider_id": "LA3", "weekly_fee": 650,
                                "lat": 53.55}),
        referrals=referral_rows({"age": 8}))
    assert outcome(region).at["R1", "setting_id"] == "S1"
    assert outcome(region, MatchParams(in_house_first=True)).at["R1", "setting_id"] == "S2"


def test_every_cost_term_is_reported_as_written_in_the_parameter_docs(tmp_path):
    """Each matched child's fee, distance, fit, quality and in-house terms and their total are the ones worked
    out here by hand from the raw rows: a close-to-family child 39 km from a home graded requires improvement,
    where the residential fit is only suitable; the second child, at the home's door, prefers residential care."""
    home = {"lat": 53.80, "ofsted_grade": "requires_improvement", "vacancies": 2, "weekly_fee": 4200}
    region = make_region(tmp_path / "r", settings=settings_rows(home),
                         referrals=referral_rows({"close_to_family": True},
                                                 {"family_lat": 53.80, "residential_suitability": "preferred"}))
    params = MatchParams()
    km = great_circle_km(53.451, -2.233, 53.80, -2.233)
    assert km > 20 * 1.609344  # over 20 miles: the flat charge applies
    expected = {
        "R1": {"fee_cost": 4200.0, "distance_cost": 2 * (params.cost_per_km * km + params.over_20_miles_cost),
               "fit_cost": params.not_preferred_cost, "quality_cost": params.requires_improvement_cost,
               "in_house_cost": 0.0},
        "R2": {"fee_cost": 4200.0, "distance_cost": 0.0, "fit_cost": 0.0,
               "quality_cost": params.requires_improvement_cost, "in_house_cost": 0.0},
    }
    rows = outcome(region, params)
    for referral_id, terms in expected.items():
        row = rows.loc[referral_id]
        assert row["status"] == "matched" and row["setting_id"] == "S1"
        for term, value in terms.items():
            assert row[term] == pytest.approx(value, abs=1e-6), (referral_id, term)
        assert row["total_cost"] == pytest.approx(sum(terms.values()), abs=1e-6), referral_id


def test_penalty_smaller_than_a_placement_is_refused(tmp_path):
    """A penalty that a costly placement could exceed is refused with the referral and setting named."""
    region = make_region(tmp_path / "r", settings=settings_rows({"weekly_fee": 50000}), referrals=referral_rows({}))
    with pytest.raises(ValueError, match="R1 in S1"):
        build_candidates(region, MatchParams(unmatched_penalty=20000))


@pytest.mark.parametrize("referral, controls, rule", [
    ({"age": 13, "cared_alongside": "older_only"}, [], "alongside"),
    ({"avoid_lat": 53.451, "avoid_lon": -2.233, "avoid_radius_km": 3}, [], "avoid"),
    ({"keep_school": True, "school_lat": 53.75, "school_lon": -2.233}, [], "school"),
    ({}, [{"referral_id": "R1", "action": "lock", "setting_id": "S2"}], "lock"),
    ({}, [{"referral_id": "R1", "action": "veto", "setting_id": "S1"}], "veto"),
])
def test_verifier_catches_a_planted_break_of_each_newer_rule(referral, controls, rule, tmp_path):
    """Placing the child in S1 by hand breaks exactly the rule under test, and the verifier names it."""
    import pandas as pd

    region = make_region(tmp_path / "r", settings=settings_rows({}, {}), referrals=referral_rows(referral),
                         children=[{"child_id": "K1", "age": 11, "current_setting_id": "S1"}], controls=controls)
    planted = pd.DataFrame({"referral_id": ["R1"], "setting_id": ["S1"], "status": ["matched"]})
    assert set(verify_allocation(region, planted)["rule"]) == {rule}
