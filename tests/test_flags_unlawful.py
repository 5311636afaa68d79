"""Unlawful placements: who is flagged and why, the evidence figures, step-down proposals and the summaries."""

from __future__ import annotations

from datetime import date

import pytest

from optimiser.flags import FlagParams, find_flags
from optimiser.flags.params import StressParams, UnlawfulParams
from tests.builders import make_region, referral_rows, settings_rows

RUN_DATE = date(2026, 11, 22)
QUICK = FlagParams(unlawful=UnlawfulParams(propose_alternatives=False), stress=StressParams(run=False))
PROVIDERS = ({"provider_id": "P1", "provider_name": "Provider One", "sector": "private"},
             {"provider_id": "P2", "provider_name": "Shadow Care Ltd", "sector": "private"})


def unlawful_region(folder):
    """S1 unregistered, S2 supported accommodation, S3 a registered home with room, S4 an IFA household, S5 a
    suspended home; children in each, one in a setting nobody knows."""
    settings = settings_rows(
        {"registration_status": "unregistered", "vacancies": 0, "weekly_fee": 12000, "provider_id": "P2",
         "la_code": "E08000006"},
        {"setting_type": "supported_accommodation", "age_min": 16, "vacancies": 0, "weekly_fee": 2000},
        {"places": 6, "vacancies": 4},
        {"setting_type": "foster_ifa", "vacancies": 0, "weekly_fee": 800},
        {"registration_status": "suspended", "vacancies": 0})
    children = [
        {"child_id": "K1", "age": 15, "current_setting_id": "S1", "placement_start": "2026-10-01",
         "weekly_cost": 13000},
        {"child_id": "K2", "age": 15, "current_setting_id": "S2", "placement_start": "2026-11-01", "weekly_cost": 2100},
        {"child_id": "K3", "age": 14, "current_setting_id": "S3", "placement_start": "2025-01-01", "weekly_cost": 5000},
        {"child_id": "K4", "age": 13, "current_setting_id": "S4", "placement_start": "2026-06-01", "weekly_cost": 800},
        {"child_id": "K5", "age": 12, "current_setting_id": "SC999999", "placement_start": "2026-09-01",
         "weekly_cost": 9000, "la_code": "E08000006"},
        {"child_id": "K6", "age": 16, "current_setting_id": "S2", "placement_start": "2026-05-01", "weekly_cost": 1900},
        {"child_id": "K7", "age": 14, "current_setting_id": "S5", "placement_start": "2026-08-01", "weekly_cost": 5000},
        {"child_id": "K8", "age": 14, "current_setting_id": "S3", "placement_start": "2026-08-01", "weekly_cost": 5000},
    ]
    referrals = referral_rows({"child_id": "K4", "age": 13, "secure_order": True, "current_setting_id": "S4"},
                              {"child_id": "K8", "age": 14, "secure_order": True, "current_setting_id": "S3"})
    return make_region(folder, settings=settings, children=children, referrals=referrals, providers=PROVIDERS)


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    return unlawful_region(tmp_path_factory.mktemp("unlawful"))


@pytest.fixture(scope="module")
def flags(region):
    return find_flags(region, QUICK, RUN_DATE)


def rows(flags, flag):
    return flags.table[flags.table["flag"] == flag].set_index("subject_id")


def test_each_unlawful_child_is_flagged_and_lawful_ones_are_not(flags):
    """Unregistered, unknown and suspended settings, an under-16 in supported accommodation and a secure need in
    foster care are flagged; a registered home, a 16-year-old in supported accommodation and a secure need in a
    registered children's home are not."""
    assert sorted(rows(flags, "unregistered_placement").index) == ["K1", "K5", "K7"]
    assert list(rows(flags, "under_16_supported").index) == ["K2"]
    assert list(rows(flags, "secure_need_unmet").index) == ["K4"]
    flagged = set(flags.table.loc[flags.table["subject_type"] == "child", "subject_id"])
    assert not flagged & {"K3", "K6", "K8"}


def test_evidence_names_child_council_days_and_weekly_cost(flags):
    """The unregistered child's evidence gives the council, age, days there, provider and £ a week and a year."""
    evidence = rows(flags, "unregistered_placement").at["K1", "evidence"]
    for words in ("Child K1 (Manchester, aged 15)", "52 days", "Shadow Care Ltd", "in Salford",
                  "not registered with Ofsted", "£13,000 a week", "£676,000 a year"):
        assert words in evidence, words
    young = rows(flags, "under_16_supported").at["K2", "evidence"]
    assert "aged 15" in young and "unlawful since September 2021" in young and "£2,100 a week" in young


def test_unknown_setting_is_medium_and_others_high(flags):
    """A setting id nobody knows may be a data error: medium; the rest are high."""
    unregistered = rows(flags, "unregistered_placement")
    assert unregistered.at["K5", "severity"] == "medium"
    assert unregistered.at["K5", "evidence"].count("in no settings table") == 1
    assert set(unregistered.loc[["K1", "K7"], "severity"]) == {"high"}


def test_unlawful_settings_flagged_with_children_and_spend(flags):
    """Each unlawful setting with children is flagged once, with the children and weekly spend in it."""
    settings = rows(flags, "unregistered_setting")
    assert sorted(settings.index) == ["S1", "S5", "SC999999"]
    assert "1 child from Manchester lives there at £13,000 a week" in settings.at["S1", "evidence"]
    assert "Ofsted registration suspended" in settings.at["S5", "evidence"]


def test_summary_per_council_and_weekly_spend_on_unregistered(flags):
    """The weekly spend on unregistered settings is the children's costs there; councils and providers add up."""
    summary = flags.summary()["unregistered"]
    assert summary == {"children": 3, "settings": 3, "weekly_spend": 27000.0}
    table = flags.unregistered_summary.set_index(["level", "id"])
    assert table.at[("council", "E08000003"), "weekly_spend"] == 18000
    assert table.at[("council", "E08000006"), "weekly_spend"] == 9000
    assert table.at[("council", "E08000003"), "children_unlawful"] == 4
    assert table.at[("provider", "P2"), "children_in_unregistered"] == 1


def test_step_down_proposes_a_registered_home_or_says_why_not(region):
    """With the matcher, each child who must move gets a registered home (S3) or the reason none can take them."""
    flags = find_flags(region, FlagParams(stress=StressParams(run=False)), RUN_DATE)
    assert flags.proposals.step_down_added == 4
    actions = rows(flags, "unregistered_placement")["action"]
    assert actions["K1"].startswith("Move the child to S3, a registered children's home")
    assert "£8,000 a week less than now" in actions["K1"] and "Report the setting to Ofsted" in actions["K1"]
    secure = rows(flags, "secure_need_unmet").at["K4", "action"]
    assert secure.startswith("No registered home can take the child today") and "secure" in secure
