"""Children on deprivation-of-liberty orders: each flag fires on its planted case and not on its lawful twin, with
the Ofsted notification deadline counted in working days by hand, and the counts per council."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from optimiser.flags import FlagParams, find_flags
from optimiser.flags.liberty import ofsted_deadline
from optimiser.flags.params import LibertyParams, StressParams, UnlawfulParams
from tests.builders import make_region, referral_rows, settings_rows

RUN_DATE = date(2026, 11, 22)  # a Sunday
QUICK = FlagParams(unlawful=UnlawfulParams(propose_alternatives=False), stress=StressParams(run=False))
SALFORD = "E08000006"


def liberty_region(folder):
    """S1 unregistered, S2 a registered DoL-capable home, S3 a secure home, S4 supported accommodation, S5 a
    registered ordinary home. Children on orders in each, and their lawful twins."""
    settings = settings_rows(
        {"registration_status": "unregistered", "places": 6, "vacancies": 0},
        {"dol_capable": True, "places": 8, "vacancies": 0},
        {"setting_type": "secure_childrens_home", "places": 4, "vacancies": 2},
        {"setting_type": "supported_accommodation", "age_min": 16, "places": 4, "vacancies": 2},
        {"places": 4, "vacancies": 3})
    order = {"dol_order": True, "dol_review_date": "2027-03-01"}
    children = [
        # unregistered: placed Tuesday 10 November, so Ofsted had to be told by Thursday 19 November
        {"child_id": "K1", "age": 14, "current_setting_id": "S1", "placement_start": "2026-11-10", **order},
        # placed Thursday 19 November: to be told by Monday 30 November
        {"child_id": "K2", "age": 15, "current_setting_id": "S1", "placement_start": "2026-11-19", **order},
        # placed 2 November, the order made Friday 13 November: counted from the order, by Tuesday 24 November
        {"child_id": "K3", "age": 15, "current_setting_id": "S1", "placement_start": "2026-11-02",
         "dol_order_start": "2026-11-13", "dol_review_date": "2027-03-01", "dol_order": True},
        # a setting id nobody knows
        {"child_id": "K4", "age": 13, "current_setting_id": "SC404", "placement_start": "2026-10-01", **order,
         "la_code": SALFORD},
        # twins: on an order in the registered DoL home; not on an order in the unregistered home
        {"child_id": "K5", "age": 14, "current_setting_id": "S2", "placement_start": "2026-06-01", **order},
        {"child_id": "K6", "age": 14, "current_setting_id": "S1", "placement_start": "2026-11-10"},
        # forbidden: a secure home, supported accommodation, with parents, a young offender institution
        {"child_id": "K7", "age": 15, "current_setting_id": "S3", "placement_start": "2026-09-01", **order},
        {"child_id": "K8", "age": 16, "current_setting_id": "S4", "placement_start": "2026-09-01", **order},
        {"child_id": "K9", "age": 12, "place": "P1", **order, "la_code": SALFORD},
        {"child_id": "K10", "age": 17, "place": "R5", **order},
        # twins: not on an order in the secure home and in supported accommodation
        {"child_id": "K11", "age": 15, "current_setting_id": "S3", "placement_start": "2026-09-01"},
        {"child_id": "K12", "age": 16, "current_setting_id": "S4", "placement_start": "2026-09-01"},
        # reviews: passed, in 18 days, in 28 days (the edge), in 29 days (twin), and none
        {"child_id": "K13", "age": 15, "current_setting_id": "S2", "dol_order": True,
         "dol_review_date": "2026-11-01"},
        {"child_id": "K14", "age": 15, "current_setting_id": "S2", "dol_order": True,
         "dol_review_date": "2026-12-10"},
        {"child_id": "K15", "age": 15, "current_setting_id": "S2", "dol_order": True,
         "dol_review_date": "2026-12-20"},
        {"child_id": "K16", "age": 15, "current_setting_id": "S2", "dol_order": True,
         "dol_review_date": "2026-12-21"},
        {"child_id": "K17", "age": 15, "current_setting_id": "S5", "dol_review_date": "2026-11-01"},
        # on an order through a referral only, its review date passed
        {"child_id": "K18", "age": 15, "current_setting_id": "S5", "la_code": SALFORD},
    ]
    referrals = referral_rows({"child_id": "K18", "age": 15, "la_code": SALFORD, "dol_order": True,
                               "dol_review_date": "2026-11-15", "current_setting_id": "S5"})
    return make_region(folder, settings=settings, children=children, referrals=referrals)


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    return liberty_region(tmp_path_factory.mktemp("liberty"))


@pytest.fixture(scope="module")
def flags(region):
    return find_flags(region, QUICK, RUN_DATE)


def rows(flags, flag):
    return flags.table[flags.table["flag"] == flag].set_index("subject_id")


def test_dol_child_in_an_unregistered_setting_is_flagged_and_twins_are_not(flags):
    """Children on orders in an unregistered or unknown setting are flagged; one on an order in a registered home,
    and one not on an order in the unregistered home, are not (the latter is an unregistered_placement only)."""
    assert sorted(rows(flags, "dol_unregistered").index) == ["K1", "K2", "K3", "K4"]
    assert "K6" in rows(flags, "unregistered_placement").index


def test_ofsted_deadline_is_seven_working_days_counted_by_hand(flags):
    """Tue 10 Nov -> Thu 19 Nov (passed, 3 days ago); Thu 19 Nov -> Mon 30 Nov; an order made Fri 13 Nov after the
    placement -> Tue 24 Nov."""
    found = rows(flags, "dol_unregistered")
    assert "told by 19 November 2026" in found.at["K1", "evidence"] and "3 days ago" in found.at["K1", "evidence"]
    assert found.at["K1", "action"].startswith("Tell Ofsted of the placement now (the deadline has passed)")
    assert "told by 30 November 2026" in found.at["K2", "evidence"]
    assert found.at["K2", "action"].startswith("Tell Ofsted of the placement by 30 November 2026")
    assert "told by 24 November 2026" in found.at["K3", "evidence"]
    assert (found["severity"] == "high").all()


def test_a_weekend_start_counts_its_first_working_day_as_the_monday():
    """Placed on Saturday 14 November: Mon 16 is working day 1, so day 7 is Tuesday 24 November."""
    due = ofsted_deadline(pd.Series(pd.to_datetime(["2026-11-14"])), pd.Series([pd.NaT]), 7)
    assert due.iloc[0] == pd.Timestamp("2026-11-24")


def test_dol_child_in_a_forbidden_setting_is_flagged_and_twins_are_not(flags):
    """On an order in a secure home, supported accommodation, with parents (P1) and in a YOI (R5): flagged; the
    children without an order in the same secure home and supported accommodation, and the child on an order in
    the registered DoL home, are not."""
    found = rows(flags, "dol_forbidden_setting")
    assert sorted(found.index) == ["K10", "K7", "K8", "K9"]
    assert "a secure children's home" in found.at["K7", "evidence"]
    assert "placed with parents" in found.at["K9", "evidence"]
    assert "young offender institution or prison" in found.at["K10", "evidence"]


def test_review_passed_or_within_28_days_is_flagged_and_later_or_not_on_order_is_not(flags):
    """Passed: high; within 28 days (the 28th day included): medium; the 29th day, or a review date on a child
    with no order, is not flagged; a referral's order and review date count for the child."""
    found = rows(flags, "dol_review_due")
    assert sorted(found.index) == ["K13", "K14", "K15", "K18"]
    assert found.at["K13", "severity"] == "high" and "21 days ago" in found.at["K13", "evidence"]
    assert found.at["K14", "severity"] == "medium" and "in 18 days" in found.at["K14", "evidence"]
    assert found.at["K18", "severity"] == "high"


def test_review_warning_days_is_a_parameter(region):
    """With a 10-day warning the review in 18 days is no longer flagged; the one passed still is."""
    params = FlagParams(unlawful=UnlawfulParams(propose_alternatives=False), stress=StressParams(run=False),
                        liberty=LibertyParams(review_warning_days=10))
    found = rows(find_flags(region, params, RUN_DATE), "dol_review_due")
    assert sorted(found.index) == ["K13", "K18"]


def test_counts_per_council_for_the_monthly_report(flags):
    """Per council and region, counted by hand from the planted children."""
    table = flags.liberty_summary.set_index("id")
    manchester = table.loc["E08000003"]
    assert manchester["children_on_dol_orders"] == 11  # K1-K3, K5, K7, K8, K10, K13-K16
    assert manchester["in_unregistered_settings"] == 3 and manchester["ofsted_notice_overdue"] == 1
    assert manchester["in_forbidden_settings"] == 3 and manchester["reviews_overdue"] == 1
    assert manchester["reviews_due_soon"] == 2
    salford = table.loc[SALFORD]
    assert salford[["children_on_dol_orders", "in_unregistered_settings", "ofsted_notice_overdue",
                    "in_forbidden_settings", "reviews_overdue"]].tolist() == [3, 1, 1, 1, 1]
    assert flags.summary()["liberty"] == {"children_on_dol_orders": 14, "in_unregistered_settings": 4,
                                          "ofsted_notice_overdue": 2, "in_forbidden_settings": 4,
                                          "reviews_overdue": 2, "reviews_due_soon": 2}
