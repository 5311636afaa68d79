"""The two legal routes that restrict a child's liberty, in the match and the independent verifier: a secure
accommodation order (s.25) leads to a secure children's home and only there; a deprivation-of-liberty order leads
to a registered children's home able to meet it, never a secure home, supported accommodation or foster care, and
the child shares a home only where the home can meet the order without restricting the others."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from data.load import read_region
from optimiser.match.allocation import match_region
from optimiser.match.verify import verify_allocation
from tests.builders import make_region, referral_rows, settings_rows, write_region

RUN_DATE = date(2026, 11, 22)
SECURE_HOME = {"setting_type": "secure_childrens_home", "weekly_fee": 3000, "places": 4, "vacancies": 4,
               "max_ratio": "2:1"}
DOL_HOME = {"dol_capable": True, "weekly_fee": 9000, "places": 3, "vacancies": 3, "max_ratio": "2:1",
            "lat": 53.50}
PLAIN_HOME = {"weekly_fee": 2000, "places": 3, "vacancies": 3, "max_ratio": "2:1"}
SUPPORTED = {"setting_type": "supported_accommodation", "weekly_fee": 1000, "age_min": 16, "places": 3,
             "vacancies": 3}
FOSTER = {"setting_type": "foster_ifa", "weekly_fee": 800, "places": 2, "vacancies": 2}
ON_ORDER = {"dol_order": True, "residential_suitability": "preferred", "foster_suitability": "suitable",
            "supported_suitability": "suitable", "age": 16}
SECURE_CHILD = {"secure_order": True, "residential_suitability": "preferred", "foster_suitability": "unsuitable"}


def allocated(region):
    allocations = match_region(region, run_date=RUN_DATE).allocations
    assert verify_allocation(region, allocations).empty
    return allocations.set_index("referral_id")


def by_hand(region, **placements) -> pd.DataFrame:
    """An allocation written by hand: referral -> setting (None: unmatched); every other referral unmatched."""
    ids = region.referrals["referral_id"].tolist()
    where = [placements.get(i) for i in ids]
    return pd.DataFrame({"referral_id": ids, "setting_id": where,
                         "status": ["unmatched" if s is None else "matched" for s in where]})


def rules_broken(region, **placements) -> set[str]:
    return set(verify_allocation(region, by_hand(region, **placements))["rule"])


# --- the match ----------------------------------------------------------------------------------------------------

def test_dol_child_goes_to_the_dol_capable_home_not_the_cheaper_secure_supported_or_foster_ones(tmp_path):
    """A child on a DoL order passes over a cheaper secure home, supported accommodation, a foster household and an
    ordinary children's home for the dearer one that can meet the order."""
    region = make_region(tmp_path / "r", settings=settings_rows(SECURE_HOME, SUPPORTED, FOSTER, PLAIN_HOME, DOL_HOME),
                         referrals=referral_rows(ON_ORDER))
    assert allocated(region).at["R1", "setting_id"] == "S5"


def test_dol_child_is_never_sent_to_a_secure_home_even_one_marked_dol_capable(tmp_path):
    """With only a secure home (even one wrongly marked dol_capable) the DoL child is unmatched, and told why in
    words; the mark on the secure home is a warning that rcc ignores it."""
    folder = write_region(tmp_path / "r", settings=settings_rows({**SECURE_HOME, "dol_capable": True}),
                          referrals=referral_rows(ON_ORDER))
    region, issues = read_region(folder, today=RUN_DATE)
    assert issues.loc[issues["column"].eq("dol_capable"), "severity"].tolist() == ["warning"]
    row = allocated(region).loc["R1"]
    assert row["status"] == "unmatched" and row["reason_code"] == "secure"
    assert "secure accommodation order" in row["reason"] and "no setting with a vacancy" in row["reason"]
    # with supported accommodation beside it, that is ruled out by the order itself
    region = region.replace(settings=make_region(tmp_path / "b", settings=settings_rows(SECURE_HOME, SUPPORTED),
                                                 referrals=referral_rows(ON_ORDER)).settings)
    row = allocated(region).loc["R1"]
    assert row["status"] == "unmatched" and row["reason_code"] == "dol"


def test_dol_child_with_no_home_able_to_meet_the_order_is_told_so(tmp_path):
    """Only ordinary homes: the reason is the DoL rule, with the order's conditions in words."""
    region = make_region(tmp_path / "r", settings=settings_rows(PLAIN_HOME),
                         referrals=referral_rows({**ON_ORDER, "dol_conditions": "locked_doors;no_phone"}))
    row = allocated(region).loc["R1"]
    assert row["status"] == "unmatched" and row["reason_code"] == "dol"
    assert "deprivation-of-liberty order" in row["reason"] and "external doors and windows locked" in row["reason"]


def test_secure_order_child_goes_only_to_a_secure_home(tmp_path):
    """A child on a secure order takes the dearer secure home over cheaper open homes; with no secure home, none."""
    region = make_region(tmp_path / "r", settings=settings_rows(PLAIN_HOME, DOL_HOME,
                                                                {**SECURE_HOME, "weekly_fee": 12000}),
                         referrals=referral_rows(SECURE_CHILD))
    assert allocated(region).at["R1", "setting_id"] == "S3"
    region = make_region(tmp_path / "b", settings=settings_rows(PLAIN_HOME, DOL_HOME),
                         referrals=referral_rows(SECURE_CHILD))
    row = allocated(region).loc["R1"]
    assert row["status"] == "unmatched" and row["reason_code"] == "secure"


def test_a_child_without_a_secure_order_never_goes_to_a_secure_home(tmp_path):
    """A cheap secure home is not for a child without a secure accommodation order."""
    region = make_region(tmp_path / "r", settings=settings_rows(SECURE_HOME, PLAIN_HOME), referrals=referral_rows({}))
    assert allocated(region).at["R1", "setting_id"] == "S2"


def test_old_secure_required_column_is_read_as_secure_order_with_a_warning(tmp_path):
    """An older referrals file with secure_required loads: the column is read as secure_order (so the child still
    goes to the secure home), with one warning saying so and pointing DoL children to dol_order."""
    folder = write_region(tmp_path / "r", settings=settings_rows(PLAIN_HOME, {**SECURE_HOME, "weekly_fee": 9000}),
                          referrals=referral_rows({"secure_required": True, "residential_suitability": "preferred"}))
    region, issues = read_region(folder, today=RUN_DATE)
    warning = issues[issues["rule"].str.contains("secure_required")]
    assert len(warning) == 1 and warning["severity"].iloc[0] == "warning"
    assert "read as secure_order" in warning["rule"].iloc[0] and "dol_order" in warning["rule"].iloc[0]
    assert bool(region.referrals.at[0, "secure_order"])
    assert allocated(region).at["R1", "setting_id"] == "S2"


def test_both_routes_on_one_referral_is_an_error(tmp_path):
    """A referral marked both secure_order and dol_order is refused with one error naming the row."""
    folder = write_region(tmp_path / "r", settings=settings_rows(PLAIN_HOME),
                          referrals=referral_rows({**ON_ORDER, "secure_order": True}))
    region, issues = read_region(folder, today=RUN_DATE)
    errors = issues[issues["severity"].eq("error")]
    assert region is None and errors[["file", "row", "column"]].values.tolist() == [["referrals.csv", 2, "dol_order"]]


def test_dol_child_lives_alone_where_the_home_cannot_share(tmp_path):
    """A DoL child and another child both suit the one DoL-capable home with three places: only one of them gets it
    (the DoL child takes the whole home); marked dol_shared_ok, both live there."""
    children = referral_rows(ON_ORDER, {"residential_suitability": "preferred", "weekly_fee": 0})
    region = make_region(tmp_path / "r", settings=settings_rows(DOL_HOME), referrals=children)
    placed = allocated(region)
    assert (placed["status"] == "matched").sum() == 1
    region = make_region(tmp_path / "b", settings=settings_rows({**DOL_HOME, "dol_shared_ok": True}),
                         referrals=children)
    assert (allocated(region)["setting_id"] == "S1").all()


def test_dol_child_is_not_placed_where_other_children_already_live_unless_the_home_can_share(tmp_path):
    """A DoL-capable home with a child living there is closed to a DoL child unless marked dol_shared_ok."""
    resident = [{"child_id": "K1", "age": 14, "current_setting_id": "S1"}]
    home = {**DOL_HOME, "places": 3, "vacancies": 2}
    region = make_region(tmp_path / "r", settings=settings_rows(home), children=resident,
                         referrals=referral_rows(ON_ORDER))
    row = allocated(region).loc["R1"]
    assert row["status"] == "unmatched" and row["reason_code"] == "dol_sharing"
    region = make_region(tmp_path / "b", settings=settings_rows({**home, "dol_shared_ok": True}), children=resident,
                         referrals=referral_rows(ON_ORDER))
    assert allocated(region).at["R1", "setting_id"] == "S1"


def test_nobody_joins_a_child_living_under_an_order_in_a_home_that_cannot_share(tmp_path):
    """A home where a child on a DoL order lives takes no new child, however cheap, unless marked dol_shared_ok."""
    resident = [{"child_id": "K1", "age": 14, "current_setting_id": "S1", "dol_order": True}]
    home = {**DOL_HOME, "weekly_fee": 1000, "vacancies": 2}
    region = make_region(tmp_path / "r", settings=settings_rows(home, PLAIN_HOME | {"weekly_fee": 6000}),
                         children=resident, referrals=referral_rows({}))
    assert allocated(region).at["R1", "setting_id"] == "S2"
    region = make_region(tmp_path / "b", settings=settings_rows({**home, "dol_shared_ok": True},
                                                                PLAIN_HOME | {"weekly_fee": 6000}),
                         children=resident, referrals=referral_rows({}))
    assert allocated(region).at["R1", "setting_id"] == "S1"


def test_siblings_with_a_dol_child_are_not_placed_together_where_the_home_cannot_share(tmp_path):
    """Two siblings, one on a DoL order: the home that cannot share takes the DoL sibling alone (the other goes
    elsewhere, apart); a home marked dol_shared_ok takes them together."""
    siblings = referral_rows({**ON_ORDER, "sibling_group": "G1"},
                             {"sibling_group": "G1", "age": 13, "foster_suitability": "suitable"})
    region = make_region(tmp_path / "r", settings=settings_rows(DOL_HOME, FOSTER), referrals=siblings)
    placed = allocated(region)
    assert placed["setting_id"].tolist() == ["S1", "S2"] and placed["sibling_split"].all()
    region = make_region(tmp_path / "b", settings=settings_rows({**DOL_HOME, "dol_shared_ok": True}, FOSTER),
                         referrals=siblings)
    assert allocated(region)["setting_id"].tolist() == ["S1", "S1"]


@pytest.mark.parametrize(("home", "conditions", "meets"), [
    ({}, "locked_doors;staffing_2_1", True),  # a blank list: every condition; 2:1 staffing from max_ratio 2:1
    ({"dol_conditions_met": "no_phone"}, "locked_doors", False),
    ({"dol_conditions_met": "no_phone;locked_doors"}, "locked_doors", True),
    ({"max_ratio": "1:1"}, "staffing_2_1", False),
    ({"max_ratio": "3:1"}, "staffing_2_1", True),
])
def test_the_home_must_meet_each_condition_of_the_order(tmp_path, home, conditions, meets):
    """A condition the home does not list, or staffing above its max_ratio, rules it out."""
    region = make_region(tmp_path / "r", settings=settings_rows({**DOL_HOME, **home}),
                         referrals=referral_rows({**ON_ORDER, "dol_conditions": conditions}))
    assert (allocated(region).at["R1", "status"] == "matched") is meets


# --- the verifier catches each planted break, and passes its lawful twin -----------------------------------------

@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """S1 secure home, S2 supported accommodation, S3 foster household, S4 ordinary home, S5 DoL-capable home,
    S6 DoL-capable home with a child living there, S7 DoL-capable and able to share, S8 an ordinary home where a
    child on a DoL order lives, S9 DoL-capable listing only no_phone. R1 and R2 on DoL orders (R2 asks locked
    doors), R3 on a secure order, R4 and R5 ordinary, R6 (on an order) and R7 siblings."""
    settings = settings_rows(SECURE_HOME, SUPPORTED, FOSTER, PLAIN_HOME, DOL_HOME,
                             {**DOL_HOME, "vacancies": 2}, {**DOL_HOME, "dol_shared_ok": True},
                             {**PLAIN_HOME, "vacancies": 2}, {**DOL_HOME, "dol_conditions_met": "no_phone"})
    children = [{"child_id": "K1", "age": 15, "current_setting_id": "S6"},
                {"child_id": "K2", "age": 15, "current_setting_id": "S8", "dol_order": True}]
    referrals = referral_rows(ON_ORDER, {**ON_ORDER, "dol_conditions": "locked_doors"}, SECURE_CHILD, {}, {},
                              {**ON_ORDER, "sibling_group": "G1"}, {"sibling_group": "G1", "age": 13})
    return make_region(tmp_path_factory.mktemp("planted"), settings=settings, children=children,
                       referrals=referrals)


@pytest.mark.parametrize(("placements", "rule"), [
    ({"R1": "S1"}, "dol"),  # a DoL child in a secure children's home
    ({"R1": "S2"}, "dol"),  # ... in supported accommodation
    ({"R1": "S3"}, "dol"),  # ... in foster care
    ({"R1": "S4"}, "dol"),  # ... in a home not able to meet the order
    ({"R2": "S9"}, "dol"),  # ... in a home that does not meet one of the order's conditions
    ({"R3": "S4"}, "secure"),  # a secure-order child outside a secure home
    ({"R4": "S1"}, "secure"),  # a child without a secure order in a secure home
    ({"R1": "S5", "R4": "S5"}, "dol_sharing"),  # a DoL child sharing a home that cannot share
    ({"R1": "S6"}, "dol_sharing"),  # a DoL child where another child already lives
    ({"R4": "S8"}, "dol_sharing"),  # a child joining one who lives under an order, in a home that cannot share
    ({"R6": "S5", "R7": "S5"}, "dol_sharing"),  # siblings together, one on an order, in a home that cannot share
])
def test_verifier_catches_each_planted_break(planted, placements, rule):
    """A hand-made allocation breaking one DoL or secure rule is caught under that rule."""
    assert rule in rules_broken(planted, **placements)


@pytest.mark.parametrize("placements", [
    {"R1": "S5"}, {"R2": "S5"}, {"R1": "S7", "R4": "S7"}, {"R6": "S7", "R7": "S7"}, {"R3": "S1"},
    {"R4": "S4", "R5": "S4"}, {"R1": "S5", "R4": "S4"}, {"R1": "S9"},
])
def test_verifier_passes_the_lawful_twins(planted, placements):
    """The same children where the law allows them break no rule."""
    assert rules_broken(planted, **placements) == set()
