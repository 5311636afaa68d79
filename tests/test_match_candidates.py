"""The fast candidate build returns exactly what screening every pair returns (the plain reference build)."""

from __future__ import annotations

import pytest

from data import EMBEDDED_REGION
from data.load import load_region
from optimiser.match import candidates
from optimiser.match.candidates import build_candidates
from optimiser.match.params import MatchParams
from tests.builders import make_region, random_instance
from tests.candidates_reference import candidate_differences, reference_build_candidates
from tests.match_brute_force import RUN_DATE


def assert_same_candidates(region, params: MatchParams) -> None:
    fast = build_candidates(region, params, run_date=RUN_DATE)
    plain = reference_build_candidates(region, params, run_date=RUN_DATE)
    differences = candidate_differences(region, fast, plain)
    assert not differences, "\n".join(differences)


@pytest.fixture(scope="module")
def embedded():
    return load_region(EMBEDDED_REGION)


@pytest.mark.parametrize("max_distance_km", [0.0, 15.0])
def test_embedded_region_builds_the_same_candidates(embedded, max_distance_km):
    """Greater Manchester, with no regional distance cap (every pair screened) and with one (the index decides)."""
    assert_same_candidates(embedded, MatchParams(max_distance_km=max_distance_km))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("max_distance_km", [0.0, 12.0])
def test_random_regions_build_the_same_candidates(seed, max_distance_km, tmp_path, monkeypatch):
    """Tiny regions where every rule bites sometimes (avoid zones, siblings, solo, age wishes, DoL, the fuller
    referral), each group's settings found by the spatial index however few they are."""
    monkeypatch.setattr(candidates, "SMALL_GROUP_SETTINGS", 0)
    region = make_region(tmp_path / "region", **random_instance(seed))
    assert_same_candidates(region, MatchParams(max_distance_km=max_distance_km))


@pytest.mark.parametrize("seed", range(4))
def test_alike_referrals_with_their_own_veto_or_lock_build_the_same_candidates(seed, tmp_path):
    """R1 and R2 are copies of R3 but for a veto and a lock: the fast build's counts before distance, made once per
    group of alike referrals, must not lend R3's counts to them."""
    tables = random_instance(seed)
    copy = {k: v for k, v in tables["referrals"][2].items() if k not in ("referral_id", "child_id")}
    tables["referrals"][0] = {**tables["referrals"][0], **copy, "sibling_group": ""}
    tables["referrals"][1] = {**tables["referrals"][1], **copy, "sibling_group": ""}
    controls = [{"referral_id": "R1", "action": "veto", "setting_id": "S1"},
                {"referral_id": "R2", "action": "lock", "setting_id": "S2"}]
    region = make_region(tmp_path / "region", **tables, controls=controls)
    assert_same_candidates(region, MatchParams(max_distance_km=12.0))
