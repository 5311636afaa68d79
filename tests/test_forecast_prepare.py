"""SSDA903 preparation: one small hand-made case per rule, group mapping, age bands, dates, bad files."""

from __future__ import annotations

import pandas as pd
import pytest

from data.load import load_region
from data.problems import ValidationError
from forecasts.groups import placement_group
from forecasts.prepare import prepare
from tests.builders import referral_rows, settings_rows, write_region

LA = "E08000003"


def episode(child="C1", decom="2020-01-01", dec="", rne="S", place="U4", provider="PR1", rec="", la=LA):
    return {"CHILD": child, "DECOM": decom, "RNE": rne, "LS": "C2", "PLACE": place, "PLACE_PROVIDER": provider,
            "DEC": dec, "REC": rec, "LA": la}


def header(child="C1", dob="2012-06-15", la=LA):
    return {"CHILD": child, "SEX": "1", "DOB": dob, "LA": la}


def prepared(tmp_path, episodes, headers=(header(),), uasc=()):
    folder = write_region(tmp_path / "region", settings=settings_rows({}), referrals=referral_rows({}),
                          header=list(headers), episodes=list(episodes), uasc=list(uasc))
    return prepare(load_region(folder))


def rows(prep, rule):
    return int(prep.report.set_index("rule").loc[rule, "rows"])


def test_exact_duplicate_episodes_are_dropped_and_counted(tmp_path):
    """An episode repeated row for row is dropped once and reported."""
    prep = prepared(tmp_path, [episode(dec="2021-01-01", rec="E4A"), episode(dec="2021-01-01", rec="E4A")])
    assert rows(prep, "exact_duplicates") == 1
    assert len(prep.spells) == 1


def test_two_episodes_starting_the_same_day_keep_the_later_row(tmp_path):
    """Two different episodes with the same start: the later row wins, with a warning naming the earlier row."""
    prep = prepared(tmp_path, [episode(place="U1"), episode(place="K2", provider="PR4")])
    assert rows(prep, "same_start") == 1
    assert prep.spells["group"].tolist() == ["childrens_home"]
    warning = prep.issues.iloc[0]
    assert (warning["file"], warning["row"], warning["column"]) == ("episodes.csv", 2, "DECOM")


def test_overlapping_and_open_episodes_end_when_the_next_starts(tmp_path):
    """An open episode followed by another, and one ending after the next starts, are both cut at the next start."""
    prep = prepared(tmp_path, [episode(decom="2020-01-01"),  # open, but another follows
                               episode(decom="2020-06-01", dec="2021-03-01", rne="P", place="U1", rec="X1"),
                               episode(decom="2021-01-01", dec="2021-06-01", rne="P", place="K2", provider="PR4",
                                       rec="E4A")])
    assert rows(prep, "overlaps") == 2
    spells = prep.spells.sort_values("start")
    ends = spells.groupby("group", sort=False)["end"].max()
    assert ends["foster_inhouse"] == pd.Timestamp("2020-06-01")
    assert ends["kinship"] == pd.Timestamp("2021-01-01")
    assert set(prep.issues["rule"].str.contains("ended at the next start")) == {True}


def test_legal_status_only_changes_merge_into_one_spell(tmp_path):
    """Episodes with RNE L or U in the same placement are one spell; a P is a real move."""
    prep = prepared(tmp_path, [episode(dec="2020-05-01", rec="X1"),
                               episode(decom="2020-05-01", dec="2020-09-01", rne="L", rec="X1"),
                               episode(decom="2020-09-01", dec="2021-01-01", rne="U", rec="X1"),
                               episode(decom="2021-01-01", rne="P")])
    assert rows(prep, "merge_no_move") == 2
    starts = prep.spells.drop_duplicates(["start"])["start"].tolist()
    assert starts == [pd.Timestamp("2020-01-01"), pd.Timestamp("2021-01-01")]


def test_carers_adopting_without_a_move_still_changes_group(tmp_path):
    """RNE T from foster care to placed for adoption is not merged: the child's placement group changed."""
    prep = prepared(tmp_path, [episode(dec="2020-05-01", rec="X1"),
                               episode(decom="2020-05-01", rne="T", place="A4", provider="PR1")],
                    headers=[header(dob="2016-01-15")])
    assert rows(prep, "merge_no_move") == 0
    assert prep.spells["group"].tolist() == ["foster_inhouse", "adoption"]


@pytest.mark.parametrize("place, provider, start, group", [
    ("U1", "PR0", "2020-01-01", "kinship"), ("U3", "PR1", "2020-01-01", "kinship"),
    ("U4", "PR1", "2020-01-01", "foster_inhouse"), ("U6", "PR3", "2020-01-01", "foster_inhouse"),
    ("U5", "PR4", "2020-01-01", "foster_ifa"), ("U6", "PR5", "2020-01-01", "foster_ifa"),
    ("U4", "PR0", "2020-01-01", "other"),
    ("K2", "PR4", "2020-01-01", "childrens_home"), ("R1", "PR1", "2020-01-01", "childrens_home"),
    ("S1", "PR4", "2020-01-01", "childrens_home"), ("K1", "PR1", "2020-01-01", "secure"),
    ("K3", "PR4", "2025-06-01", "supported"), ("H5", "PR4", "2025-03-31", "supported"),
    ("P2", "PR4", "2024-01-01", "supported"), ("H5", "PR4", "2025-04-01", "other"),
    ("P2", "PR4", "2026-01-01", "other"), ("P1", "PR0", "2020-01-01", "with_parents"),
    ("A3", "PR1", "2020-01-01", "adoption"), ("A6", "PR1", "2020-01-01", "adoption"),
    ("R2", "PR1", "2020-01-01", "other"), ("Z1", "PR4", "2020-01-01", "other"), ("T0", "PR1", "2020-01-01", "other"),
])
def test_place_and_provider_map_to_the_data_md_groups(place, provider, start, group):
    """Each SSDA903 PLACE (with PLACE_PROVIDER, and the date for H5/P2) maps to its DATA.md placement group."""
    mapped = placement_group(pd.Series([place]), pd.Series([provider]), pd.Series([pd.Timestamp(start)]))
    assert mapped.tolist() == [group]


def test_spells_split_at_band_birthdays_and_end_at_18(tmp_path):
    """A spell from age 15 to past 18 becomes 10-16 and 16-18 pieces, cut at the 16th and ended at the 18th
    birthday."""
    prep = prepared(tmp_path, [episode(decom="2020-01-01", dec="2023-09-01", rec="E5")],
                    headers=[header(dob="2005-03-10")])
    spells = prep.spells.sort_values("start")
    assert spells["age_band"].tolist() == ["10-16", "16-18"]
    assert spells["start"].tolist() == [pd.Timestamp("2020-01-01"), pd.Timestamp("2021-03-10")]
    assert spells["end"].tolist() == [pd.Timestamp("2021-03-10"), pd.Timestamp("2023-03-10")]
    assert rows(prep, "age_band_splits") == 1 and rows(prep, "ended_at_18") == 1


def test_dfe_and_iso_dates_are_both_read(tmp_path):
    """dd/mm/yyyy (the DfE's format) and ISO dates in the same files give the same spells."""
    prep = prepared(tmp_path, [episode(decom="01/02/2020", dec="2021-03-01", rec="E4A")],
                    headers=[header(dob="15/06/2012")])
    spell = prep.spells.iloc[0]
    assert (spell["start"], spell["end"], spell["dob"]) == (pd.Timestamp("2020-02-01"), pd.Timestamp("2021-03-01"),
                                                            pd.Timestamp("2012-06-15"))


def test_new_period_after_a_gap_without_rne_s_is_a_warning(tmp_path):
    """A child back in care after a gap, with RNE P instead of S, gets a warning naming the row and RNE."""
    prep = prepared(tmp_path, [episode(dec="2020-03-01", rec="E4A"), episode(decom="2020-09-01", rne="P")])
    assert rows(prep, "gap_without_s") == 1
    warning = prep.issues[prep.issues["column"] == "RNE"].iloc[0]
    assert (warning["row"], warning["value"], warning["severity"]) == (3, "P", "warning")
    assert prep.spells["period"].nunique() == 2


def test_unaccompanied_children_are_flagged_from_uasc_csv(tmp_path):
    """A child listed in uasc.csv whose status had not ceased at entry is an unaccompanied entrant."""
    prep = prepared(tmp_path, [episode(child="C1"), episode(child="C2")],
                    headers=[header("C1"), header("C2")], uasc=[{"CHILD": "C2", "DUC": "", "LA": LA}])
    assert prep.spells.set_index("child")["uasc"].to_dict() == {"C1": False, "C2": True}


def test_episode_before_birth_stops_with_file_row_and_column(tmp_path):
    """An episode starting before the child's date of birth is an error naming episodes.csv, row and DECOM."""
    with pytest.raises(ValidationError) as caught:
        prepared(tmp_path, [episode(decom="2011-01-01")])
    assert "episodes.csv row 2, column DECOM" in str(caught.value)
    assert "before the child's date of birth" in str(caught.value)


def test_region_without_ssda903_history_says_what_is_missing(tmp_path):
    """A region with no episodes cannot be forecast, and the message says which file is needed."""
    with pytest.raises(ValidationError, match="episodes.csv: no SSDA903 history"):
        prepared(tmp_path, [])
