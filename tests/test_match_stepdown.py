"""Step-down referrals for children living somewhere unlawful."""

from __future__ import annotations

from datetime import date

from optimiser.match.stepdown import children_needing_step_down, with_step_down_referrals
from tests.builders import make_region, referral_rows, settings_rows

RUN_DATE = date(2026, 11, 22)


def region_with_unlawful_homes(folder):
    return make_region(
        folder,
        settings=settings_rows({}, {"registration_status": "unregistered", "vacancies": 0},
                               {"setting_type": "supported_accommodation", "age_min": 16, "vacancies": 1}),
        children=[{"child_id": "K1", "age": 15, "current_setting_id": "S2"},
                  {"child_id": "K2", "age": 15, "current_setting_id": "S3"},
                  {"child_id": "K3", "age": 12, "current_setting_id": "S1"},
                  {"child_id": "K4", "age": 17, "current_setting_id": "S2"}],
        referrals=referral_rows({"child_id": "K4"}))


def test_children_in_unlawful_settings_are_found_with_why(tmp_path):
    """Unregistered setting and under-16 in supported accommodation are found; a registered home is not."""
    flagged = children_needing_step_down(region_with_unlawful_homes(tmp_path / "r")).set_index("child_id")
    assert sorted(flagged.index) == ["K1", "K2", "K4"]
    assert flagged.at["K1", "why"] == "setting is unregistered"
    assert flagged.at["K2", "why"] == "under 16 in supported accommodation"


def test_step_down_referral_added_once_and_never_to_supported_for_under_16s(tmp_path):
    """A child with no referral gets one; a child already referred does not get a second."""
    region, added = with_step_down_referrals(region_with_unlawful_homes(tmp_path / "r"), RUN_DATE)
    assert sorted(added["child_id"]) == ["K1", "K2"]
    assert set(added["supported_suitability"]) == {"unsuitable"}
    assert len(region.referrals) == 3 and region.referrals["needed_by"].notna().all()
