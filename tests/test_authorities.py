"""rcc's register of councils against ONS's and the DfE's own files, and every council code a region holds checked
against it by `rcc validate`."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date

import pandas as pd

from data.authorities import RCCS, normalise_name, register
from data.load import read_region
from tests.public_raw import PUBLIC

VALID = __import__("pathlib").Path(__file__).resolve().parent / "fixtures" / "valid-region"
TODAY = date(2026, 11, 2)


def test_todays_councils_are_onss_153_with_their_names_and_dfe_numbers():
    """The current English councils are exactly the 153 in ONS's May 2023 boundaries, with ONS's names, and each
    carries the DfE number the DfE's own 2024 table gives it."""
    features = json.loads((PUBLIC / "ons" / "counties_unitary_authorities_may2023_england_buc.geojson")
                          .read_text(encoding="utf-8"))["features"]
    ons = {f["properties"]["CTYUA23CD"]: f["properties"]["CTYUA23NM"] for f in features}
    current = register().current().set_index("la_code")
    assert dict(current["la_name"]) == ons
    with open(PUBLIC / "dfe" / "cla_number_and_rate_per_10k_children.csv", newline="") as f:
        numbers = {r["new_la_code"]: r["old_la_code"] for r in csv.DictReader(f)  # with 'z' rows for the gone
                   if r["geographic_level"] == "Local authority" and r["time_period"] == "2024"
                   and r["new_la_code"] in ons}
    assert len(numbers) == 153
    assert all(current.at[code, "old_la_code"] == number for code, number in numbers.items())


def test_names_as_publications_write_them_map_to_codes_on_the_files_date():
    """Variants of names (Bristol, Durham, St Helens, '&') map; a reorganised council's name means the council of
    that name on the date; a name that no longer fits one council maps to none and says why."""
    r = register()
    assert r.match_name("Bristol").la_code == "E06000023"
    assert r.match_name("County Durham").la_code == r.match_name("Durham").la_code == "E06000047"
    assert r.match_name("St. Helens").la_code == "E08000013"
    assert r.match_name("Southend on Sea").la_code == "E06000033"
    assert r.match_name("Bournemouth, Christchurch & Poole").la_code == "E06000058"
    assert r.match_name("Dorset", date(2018, 3, 31)).la_code == "E10000009"
    assert r.match_name("Dorset", date(2020, 3, 31)).la_code == "E06000059"
    assert r.match_name("Cumbria", date(2023, 3, 31)).la_code == "E10000006"
    split = r.match_name("Cumbria", date(2024, 3, 31))
    assert split.la_code == "" and "Cumberland" in split.note and "Westmorland" in split.note
    assert r.match_name("North Yorkshire", date(2024, 3, 31)).la_code == "E06000065"
    assert r.today_code("E10000023") == "E06000065" and r.today_code("E10000021") == "E10000021"
    assert normalise_name("Herefordshire, County of") == normalise_name("Herefordshire")


def test_the_pathfinders_members_are_todays_english_councils():
    """Both RCC pathfinders list real, current English councils: Greater Manchester's ten, the South East's 19."""
    current = set(register().current()["la_code"])
    assert len(RCCS["greater-manchester"]) == 10 and len(RCCS["south-east"]) == 19
    assert set(RCCS["greater-manchester"]) | set(RCCS["south-east"]) <= current


def _region_with(tmp_path, table: str, column: str, values: dict[int, str]):
    folder = tmp_path / "region"
    shutil.copytree(VALID, folder)
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    for row, value in values.items():
        frame.loc[row, column] = value
    frame.to_csv(folder / f"{table}.csv", index=False)
    return read_region(folder, today=TODAY)


def test_validate_rejects_a_council_code_that_does_not_exist(tmp_path):
    """E99999999 and a DfE number in settings.la_code are errors naming file, row and column (the number with the
    ONS code it stands for); an abolished council is a warning naming its successors; a Welsh home is fine."""
    region, issues = _region_with(tmp_path, "settings", "la_code", {0: "E99999999", 1: "352", 2: "E10000021",
                                                                     3: "W06000015"})
    assert region is None
    codes = issues[issues["column"].eq("la_code")]
    fake = codes[codes["value"].eq("E99999999")].iloc[0]
    assert (fake["file"], fake["row"], fake["severity"]) == ("settings.csv", 2, "error")
    number = codes[codes["value"].eq("352")].iloc[0]
    assert number["severity"] == "error" and "E08000003" in number["rule"] and number["row"] == 3
    old = codes[codes["value"].eq("E10000021")].iloc[0]
    assert old["severity"] == "warning" and "North Northamptonshire" in old["rule"]
    assert codes[codes["value"].eq("W06000015")].empty


def test_validate_rejects_a_welsh_or_unknown_council_as_a_member(tmp_path):
    """A region's own councils (authorities.csv) must be English councils."""
    _, issues = _region_with(tmp_path, "authorities", "la_code", {0: "W06000015"})
    rows = issues[issues["file"].eq("authorities.csv") & issues["column"].eq("la_code")]
    assert rows["severity"].tolist()[0] == "error" and "Welsh" in rows["rule"].tolist()[0]
