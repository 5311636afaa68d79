"""Explanations of unmatched children and the sufficiency gap, on regions where the answer is known."""

from __future__ import annotations

import pytest

from optimiser.match.allocation import match_region
from optimiser.match.explain import explanations, needed_group, sufficiency_gap
from optimiser.match.params import MatchParams
from tests.builders import make_region, referral_rows, settings_rows


@pytest.fixture
def region(tmp_path):
    return make_region(
        tmp_path / "r",
        settings=settings_rows({"lat": 53.50}, {"age_min": 16, "lat": 53.46}, {"lat": 53.40, "vacancies": 1}),
        referrals=referral_rows({"needs": "complex_health"},
                                {"la_code": "E08000006", "secure_order": True, "needs": "mental_health"}))


def test_binding_rules_are_counted_with_the_nearest_setting_they_shut(region):
    """Needs bind for the two settings that fail nothing else; the one too young-only also fails age."""
    allocations = match_region(region).allocations
    why = explanations(region, allocations, MatchParams()).set_index(["referral_id", "rule"])
    needs = why.loc[("R1", "needs")]
    assert needs["settings_failing"] == 3 and needs["binding_settings"] == 2
    assert needs["nearest_binding_km"] == pytest.approx(5.5, abs=0.1)  # S1, 0.049 degrees north
    assert why.loc[("R1", "age_range"), "binding_settings"] == 0
    assert "only obstacle" in needs["explanation"]


def test_gap_counts_unmatched_children_by_council_group_and_need(region):
    """Each unmatched child counts once per need under their council and the group they were looking for."""
    gap = sufficiency_gap(region, match_region(region).allocations)
    assert gap.values.tolist() == [["E08000003", "foster", "complex_health", 1],
                                   ["E08000006", "secure", "mental_health", 1]]


def test_needed_group_prefers_secure_then_the_preferred_kind(region):
    """Secure need wins; otherwise the preferred kind of setting, else a suitable one (family first)."""
    referrals = region.referrals.assign(foster_suitability=["preferred", "suitable"])
    assert needed_group(referrals).tolist() == ["foster", "secure"]
