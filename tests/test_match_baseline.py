"""Today's practice as a counterfactual: each council alone, first come first served."""

from __future__ import annotations

import pytest

from optimiser.match.allocation import allocation_table, match_region
from optimiser.match.baseline import la_by_la_baseline
from optimiser.match.candidates import build_candidates
from optimiser.match.params import MatchParams
from optimiser.match.verify import verify_allocation
from tests.builders import PROVIDER, make_region, random_instance, referral_rows, settings_rows
from tests.match_brute_force import RUN_DATE, allocation_cost, brute_force_optimum

COUNCIL = {"provider_id": "LA3", "provider_name": "Manchester City Council", "sector": "local_authority"}


def baseline_allocation(region):
    candidates = build_candidates(region, MatchParams())
    chosen = la_by_la_baseline(region, candidates).set_index("referral_id")["setting_id"]
    return allocation_table(region, candidates, chosen)


def test_council_uses_its_own_foster_place_before_a_nearer_ifa(tmp_path):
    """A council takes its in-house foster place first, even when an agency carer is nearer."""
    region = make_region(
        tmp_path / "r", providers=[PROVIDER, COUNCIL],
        settings=settings_rows({"setting_type": "foster_ifa", "weekly_fee": 800, "lat": 53.452},
                               {"setting_type": "foster_inhouse", "provider_id": "LA3", "weekly_fee": 500,
                                "lat": 53.60}),
        referrals=referral_rows({"age": 6, "residential_suitability": "unsuitable"}))
    assert baseline_allocation(region)["setting_id"].tolist() == ["S2"]


def test_first_come_takes_the_bed_the_region_would_have_shared_better(tmp_path):
    """First come first served gives the near bed to the earlier referral; the region's choice costs less, both
    costed from the raw rows, and is the brute-force optimum."""
    region = make_region(
        tmp_path / "r",
        settings=settings_rows({"vacancies": 1, "lat": 53.46}, {"vacancies": 1, "lat": 53.75}),
        referrals=referral_rows({"needed_by": "2026-12-01", "family_lat": 53.55},
                                {"needed_by": "2026-12-09", "family_lat": 53.40}))
    baseline = baseline_allocation(region)
    regional = match_region(region, run_date=RUN_DATE).allocations
    assert baseline["setting_id"].tolist() == ["S1", "S2"]
    assert regional["setting_id"].tolist() == ["S2", "S1"]
    params = MatchParams()
    regional_cost = allocation_cost(region, regional, params)
    assert regional_cost < allocation_cost(region, baseline, params)
    assert regional_cost == pytest.approx(brute_force_optimum(region, params)[0], rel=1e-9)


def test_baseline_splits_siblings_the_region_keeps_together(tmp_path):
    """An earlier referral takes a bed the region would keep for a sibling pair: the baseline splits them."""
    region = make_region(
        tmp_path / "r",
        settings=settings_rows({"setting_type": "foster_ifa", "vacancies": 2, "places": 2},
                               {"setting_type": "foster_ifa", "vacancies": 1, "places": 1, "lat": 53.60}),
        referrals=referral_rows({"age": 8, "needed_by": "2026-11-25"},
                                {"sibling_group": "G1", "age": 5}, {"sibling_group": "G1", "age": 7}))
    baseline = baseline_allocation(region).set_index("referral_id")
    assert baseline["status"].eq("matched").all()
    assert baseline.loc["R2", "setting_id"] != baseline.loc["R3", "setting_id"]
    assert set(verify_allocation(region, baseline.reset_index())["rule"]) == {"siblings_together"}
    regional = match_region(region).allocations.set_index("referral_id")
    assert regional.loc["R2", "setting_id"] == regional.loc["R3", "setting_id"] == "S1"


def test_baseline_respects_every_rule_but_sibling_splits_on_random_regions(tmp_path):
    """On varied tiny regions the baseline never breaks a hard rule other than splitting siblings."""

    for seed in range(12):
        region = make_region(tmp_path / f"r{seed}", **random_instance(seed))
        rules = set(verify_allocation(region, baseline_allocation(region))["rule"])
        assert rules <= {"siblings_together"}, (seed, rules)
