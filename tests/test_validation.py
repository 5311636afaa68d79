"""Validation: one fixture file per defect, each named after it, overlaid on a valid region."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data.load import load_region, read_region
from data.problems import ValidationError
from data.schema import TABLES

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid-region"
DEFECTS = FIXTURES / "defects"
TODAY = date(2026, 11, 22)

# defect file -> (file named, spreadsheet row, column, words the rule must contain, severity)
EXPECTED = {
    "authorities__coordinates_outside_great_britain": ("authorities.csv", 3, "lat/lon", "outside Great Britain",
                                                       "error"),
    "children__no_age_and_no_dob": ("children.csv", 5, "age", "no dob", "error"),
    "children__placement_start_in_future": ("children.csv", 3, "placement_start", "in the future", "error"),
    "children__under_16_in_supported_accommodation": ("children.csv", 2, "current_setting_id", "under 16", "flag"),
    "children__unknown_council": ("children.csv", 4, "la_code", "unknown id", "error"),
    "children__unknown_current_setting": ("children.csv", 5, "current_setting_id", "not in settings.csv", "warning"),
    "controls__lock_without_setting": ("controls.csv", 3, "setting_id", "a lock needs the setting", "error"),
    "controls__unknown_referral": ("controls.csv", 2, "referral_id", "unknown id", "error"),
    "episodes__dec_before_decom": ("episodes.csv", 2, "DEC", "before it starts", "error"),
    "episodes__place_code_not_in_vocabulary": ("episodes.csv", 3, "PLACE", "must be one of", "error"),
    "episodes__unknown_child": ("episodes.csv", 6, "CHILD", "unknown id", "error"),
    "header__unknown_council": ("header.csv", 4, "LA", "unknown id", "error"),
    "providers__bad_bool": ("providers.csv", 3, "difficult_to_replace", "true or false", "error"),
    "providers__negative_revenue": ("providers.csv", 4, "revenue", "must not be negative", "error"),
    "referrals__avoid_point_without_radius": ("referrals.csv", 5, "avoid_radius_km", "without a radius", "error"),
    "referrals__emergency_not_a_bool": ("referrals.csv", 3, "emergency", "true or false", "error"),
    "referrals__family_lat_without_lon": ("referrals.csv", 2, "family_lon", "give both or neither", "error"),
    "referrals__needed_by_blank": ("referrals.csv", 4, "needed_by", "required value is blank", "error"),
    "referrals__needed_by_not_a_date": ("referrals.csv", 3, "needed_by", "must be a date", "error"),
    "referrals__sibling_group_in_two_councils": ("referrals.csv", 4, "la_code", "spans councils", "warning"),
    "referrals__under_16_supported_suitable": ("referrals.csv", 2, "supported_suitability", "under 16", "error"),
    "referrals__unknown_need": ("referrals.csv", 2, "needs", "unknown item", "error"),
    "settings__age_min_above_age_max": ("settings.csv", 2, "age_min", "greater than age_max", "error"),
    "settings__duplicate_setting_id": ("settings.csv", 5, "setting_id", "duplicate id", "error"),
    "settings__lat_lon_swapped": ("settings.csv", 4, "lat/lon", "outside Great Britain", "error"),
    "settings__missing_required_column": ("settings.csv", None, "registration_status", "required column missing",
                                          "error"),
    "settings__negative_weekly_fee": ("settings.csv", 3, "weekly_fee", "must not be negative", "error"),
    "settings__places_not_a_number": ("settings.csv", 5, "places", "must be a number", "error"),
    "settings__places_not_whole": ("settings.csv", 5, "places", "whole number", "error"),
    "settings__setting_type_not_in_vocabulary": ("settings.csv", 6, "setting_type", "must be one of", "error"),
    "settings__unknown_provider": ("settings.csv", 4, "provider_id", "unknown id", "error"),
    "settings__vacancies_exceed_places": ("settings.csv", 3, "vacancies", "exceed places", "error"),
}


def region_with(defect_file: Path, folder: Path) -> Path:
    shutil.copytree(VALID, folder)
    table = defect_file.stem.split("__")[0]
    shutil.copy(defect_file, folder / TABLES[table].file_name)
    return folder


def test_every_defect_fixture_has_an_expectation():
    """No fixture file sits untested, and no expectation lacks its file."""
    assert sorted(p.stem for p in DEFECTS.glob("*.csv")) == sorted(EXPECTED)


def test_valid_region_has_no_problems():
    """The base region all defects are laid on is itself clean, so each defect is the only problem."""
    region, issues = read_region(VALID, today=TODAY)
    assert issues.empty, issues.to_string()
    assert region is not None and len(region.settings) == 5 and len(region.controls) == 2


@pytest.mark.parametrize("defect", sorted(EXPECTED))
def test_defect_is_reported_at_its_row_and_column(defect, tmp_path):
    """Each defect is reported once, naming the right file, row, column and rule, at the right severity."""
    file, row, column, words, severity = EXPECTED[defect]
    folder = region_with(DEFECTS / f"{defect}.csv", tmp_path / "region")
    region, issues = read_region(folder, today=TODAY)
    hits = issues[(issues["file"] == file) & (issues["column"] == column)
                  & issues["rule"].str.contains(words, regex=False)]
    assert len(hits) >= 1, f"{defect}: not reported; got\n{issues.to_string()}"
    if row is None:
        assert hits["row"].isna().all()
    else:
        assert row in hits["row"].tolist(), f"{defect}: wrong row\n{hits.to_string()}"
    assert set(hits["severity"]) == {severity}
    if severity == "error":
        assert region is None
    else:
        assert region is not None and not (issues["severity"] == "error").any(), issues.to_string()


def test_all_problems_are_collected_before_failing(tmp_path):
    """Several defects in several files are all reported in one go, and strict loading lists them all."""
    folder = region_with(DEFECTS / "settings__vacancies_exceed_places.csv", tmp_path / "region")
    shutil.copy(DEFECTS / "referrals__unknown_need.csv", folder / "referrals.csv")
    shutil.copy(DEFECTS / "children__unknown_council.csv", folder / "children.csv")
    _, issues = read_region(folder, today=TODAY)
    errors = issues[issues["severity"] == "error"]
    assert set(errors["file"]) == {"settings.csv", "referrals.csv", "children.csv"}
    with pytest.raises(ValidationError) as caught:
        load_region(folder, today=TODAY)
    message = str(caught.value)
    assert "settings.csv row 3, column vacancies" in message
    assert "referrals.csv row 2, column needs" in message
    assert "children.csv row 4, column la_code" in message


def test_duplicate_ids_name_every_row_involved(tmp_path):
    """Both rows sharing an id are reported, each naming the other."""
    folder = region_with(DEFECTS / "settings__duplicate_setting_id.csv", tmp_path / "region")
    _, issues = read_region(folder, today=TODAY)
    dup = issues[issues["rule"].str.contains("duplicate id")]
    assert dup["row"].tolist() == [2, 5]
    assert dup["rule"].str.contains("rows 2, 5").all()


def test_parsing_types_defaults_and_dfe_dates():
    """Cells become typed values: defaults fill blanks, lists split, DfE dd/mm/yyyy dates parse, age from dob."""
    region = load_region(VALID, today=TODAY)
    s = region.settings.set_index("setting_id")
    assert s.at["SC100001", "needs_met"] == ("emotional_behavioural", "mental_health")
    assert s.at["SA000001", "needs_met"] == ()
    assert s["places"].dtype == "Int64" and s["solo_only"].dtype == bool
    episodes = region.episodes
    assert episodes.loc[2, "DECOM"] == pd.Timestamp("2024-09-10")  # written 10/09/2024
    assert region.header.loc[1, "DOB"] == pd.Timestamp("2016-03-14")
    children = region.children.set_index("child_id")
    assert children.at["C0002", "age"] == 10  # born 2016-03-14, no age given
    r = region.referrals.set_index("referral_id")
    assert r.at["R0002", "emergency"] is True or r.at["R0002", "emergency"] == True  # noqa: E712
    assert r.at["R0001", "sibling_group"] == "" and r.at["R0001", "cared_alongside"] == "no_preference"


def test_xlsx_workbook_loads_like_the_folder(tmp_path):
    """One workbook with a sheet per table gives the same Region as the CSV folder; problems name the sheet."""
    book = tmp_path / "region.xlsx"
    with pd.ExcelWriter(book) as writer:
        for table in (t for t in TABLES.values() if (VALID / t.file_name).exists()):
            path = VALID / table.file_name
            pd.read_csv(path, dtype=str, keep_default_na=False).to_excel(writer, sheet_name=table.name, index=False)
    from_book = load_region(book, today=TODAY)
    from_folder = load_region(VALID, today=TODAY)
    for name in ("settings", "referrals", "children", "episodes"):
        pd.testing.assert_frame_equal(getattr(from_book, name), getattr(from_folder, name))
    broken = tmp_path / "broken.xlsx"
    with pd.ExcelWriter(broken) as writer:
        for table in (t for t in TABLES.values() if (VALID / t.file_name).exists()):
            frame = pd.read_csv(VALID / table.file_name, dtype=str, keep_default_na=False)
            if table.name == "settings":
                frame.loc[1, "vacancies"] = "3"
            frame.to_excel(writer, sheet_name=table.name, index=False)
    _, issues = read_region(broken, today=TODAY)
    assert issues.iloc[0][["file", "row", "column"]].tolist() == ["broken.xlsx[settings]", 3, "vacancies"]


def test_missing_required_file_is_an_error(tmp_path):
    """A region without settings.csv is refused with the file named; optional SSDA903 files may be absent."""
    shutil.copytree(VALID, tmp_path / "region")
    (tmp_path / "region" / "settings.csv").unlink()
    for optional in ("header.csv", "episodes.csv", "uasc.csv", "controls.csv"):
        (tmp_path / "region" / optional).unlink()
    _, issues = read_region(tmp_path / "region", today=TODAY)
    assert issues[["file", "severity"]].values.tolist() == [["settings.csv", "error"]]


def test_region_is_replaced_not_mutated():
    """Region.replace returns a new Region and leaves the original as it was."""
    region = load_region(VALID, today=TODAY)
    fewer = region.replace(settings=region.settings.iloc[:2])
    assert len(fewer.settings) == 2 and len(region.settings) == 5
    with pytest.raises(AttributeError):
        region.settings = region.settings.iloc[:1]  # type: ignore[misc]


def test_docs_table_lists_every_column_with_its_rule():
    """`rcc schema` documents every column of every table, from the same definitions that validate."""
    from data.schema import docs_markdown

    text = docs_markdown()
    for table in TABLES.values():
        assert f"### {table.file_name}" in text
        for column in table.columns:
            assert f"| `{column.name}` | {column.dtype} |" in text
    assert "one of active, suspended, resigned, cancelled, applied, unregistered" in text
