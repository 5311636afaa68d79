"""Membership of the RCC (members.csv): non-members' children are never matched, and the vacancies in their areas
are used only up to the share the RCC can count on."""

from __future__ import annotations

import pytest

from data.problems import ValidationError
from optimiser.match import match
from optimiser.match.params import MatchParams
from tests.builders import make_region, referral_rows, settings_rows
from tests.fair_regions import MANCHESTER, SALFORD
from tests.match_brute_force import RUN_DATE


def salford_outside(folder, members, vacancies=3):
    """Salford's cheap home S1 (£1,000, `vacancies` free) and Manchester's dear one S2 (£5,000, 5 free), both at
    one point; three Manchester children and one Salford child, all at that point, each cheapest in S1."""
    settings = settings_rows({"la_code": SALFORD, "weekly_fee": 1000, "places": 4, "vacancies": vacancies},
                             {"weekly_fee": 5000, "places": 5, "vacancies": 5})
    referrals = referral_rows({}, {}, {}, {"la_code": SALFORD, "needed_by": "2026-11-01", "emergency": True})
    return make_region(folder, settings=settings, referrals=referrals, members=members)


def placed_in(allocations, setting_id: str) -> int:
    return int(allocations["setting_id"].eq(setting_id).sum())


def test_non_members_children_are_never_matched(tmp_path):
    """Salford is not a member: its emergency referral is not matched (not even listed), though S1 has room and
    Salford's child would outrank Manchester's; the run record says one referral was left out."""
    region = salford_outside(tmp_path / "r", [{"la_code": SALFORD, "member": False}])
    m = match(region, MatchParams(non_member_vacancy_share=1.0), run_date=RUN_DATE)
    assert set(m.result.allocations["la_code"]) == {MANCHESTER}
    assert "R4" not in set(m.baseline["referral_id"])
    assert m.membership["non_members"] == [SALFORD] and m.membership["referrals_left_out"] == 1


def test_vacancies_in_a_non_members_area_are_used_only_up_to_the_share(tmp_path):
    """S1 has 3 vacancies in Salford's area. At a share of 0.5 the match counts on floor(1.5) = 1 of them: one
    Manchester child goes to S1, two to the dearer S2. At 1.0 all three fit in S1, at 0 none."""
    region = salford_outside(tmp_path / "r", [{"la_code": SALFORD, "member": False}])
    for share, in_s1 in ((0.5, 1), (1.0, 3), (0.0, 0), (0.34, 1), (0.33, 0)):
        allocations = match(region, MatchParams(non_member_vacancy_share=share), run_date=RUN_DATE).result.allocations
        assert placed_in(allocations, "S1") == in_s1, share
        assert placed_in(allocations, "S2") == 3 - in_s1, share


def test_membership_starts_in_its_start_month(tmp_path):
    """Salford joins from 2027-01: in November 2026 its child is not matched; from January 2027 it is, and S1's
    vacancies are the RCC's in full."""
    region = salford_outside(tmp_path / "r", [{"la_code": SALFORD, "member": True, "start_month": "2027-01-01"}])
    before = match(region, run_date=RUN_DATE)
    after = match(region, run_date=RUN_DATE.replace(year=2027, month=1))
    assert set(before.result.allocations["la_code"]) == {MANCHESTER}
    assert set(after.result.allocations["la_code"]) == {MANCHESTER, SALFORD} and after.membership == {}
    assert placed_in(after.result.allocations, "S1") == 3


def test_without_members_csv_every_council_is_a_member(tmp_path):
    """No members.csv: every council's children are matched and every vacancy counts."""
    region = salford_outside(tmp_path / "r", [])
    m = match(region, run_date=RUN_DATE)
    assert m.membership == {} and set(m.result.allocations["la_code"]) == {MANCHESTER, SALFORD}
    assert m.result.allocations["status"].eq("matched").all()


@pytest.mark.parametrize(("row", "column", "words"), [
    ({"la_code": "E08000099", "member": False}, "la_code", "authorities"),
    ({"la_code": SALFORD, "member": "perhaps"}, "member", ""),
    ({"la_code": SALFORD, "start_month": "next spring"}, "start_month", ""),
])
def test_a_bad_members_row_is_an_error_naming_file_row_and_column(tmp_path, row, column, words):
    """A council not in authorities.csv, a member flag that is not yes/no, or a start month that is not a date
    stops the load with the file, the row (Excel's numbering: row 2 is the first) and the column."""
    with pytest.raises(ValidationError) as error:
        salford_outside(tmp_path / "r", [row])
    text = str(error.value)
    assert f"members.csv row 2, column {column}" in text and words in text
