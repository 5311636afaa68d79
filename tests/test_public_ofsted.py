"""Ofsted's provider-level lists (every year in the shared public data, and layouts of other years written here)
read into rcc's settings and providers: counts checked against the raw rows read with the csv module, and Ofsted's
own published totals; broken files give one clear issue naming file and row."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from python_calamine import CalamineWorkbook

from data.public.ofsted import owner_identity, provision_kind, read_ofsted
from tests.public_raw import OFSTED, OFSTED_CSVS, in_england, kind, live, ofsted_records, owner_of, places, same_owner

WORKBOOK = OFSTED / "Childrens_social_care_in_England_2023_underlying_data.ods"


@pytest.mark.parametrize("path", OFSTED_CSVS, ids=lambda p: p.stem[-4:])
def test_homes_places_and_owners_equal_a_count_of_the_raw_rows(path):
    """Per year: children's homes, secure children's homes, their places and their distinct owners as counted from
    the raw rows (any capitalisation of the provision type)."""
    records = ofsted_records(path)
    read = read_ofsted(path)
    t = read.table
    for raw_kind, reader_kind in (("home", "childrens_home"), ("secure", "secure_childrens_home"),
                                  ("rss_home", "rss_childrens_home"), ("supported", "supported_accommodation")):
        mine = [r for r in records if kind(r) == raw_kind]
        theirs = t[t["kind"].eq(reader_kind)]
        assert len(theirs) == len(mine), reader_kind
        assert int(theirs["places"].sum()) == sum(places(r) for r in mine), reader_kind
    homes = [r for r in records if kind(r) == "home"]
    if "Organisation which owns the provider" in records[0]:
        owners = {same_owner(owner_of(r)) for r in homes if owner_of(r)}
        listed = t[t["kind"].eq("childrens_home") & t["owner"].ne("") & ~t["owner"].str.endswith("(council)")]
        assert listed["owner_key"].nunique() == len(owners)
        assert read.summary["owners_listed"]
    else:  # 2017: no owner column at all, said once
        assert not read.summary["owners_listed"] and read.summary["childrens_home_owners"] is None
        assert read.issues["rule"].str.contains("no owner column").sum() == 1


@pytest.mark.parametrize("path", [*OFSTED_CSVS, WORKBOOK], ids=lambda p: p.stem[-4:])
def test_every_council_name_maps_to_an_ons_code(path):
    """No council name in any real list is left unmapped; England's homes all carry an English code."""
    read = read_ofsted(path)
    assert not read.issues["rule"].str.contains("cannot be mapped").any()
    homes = read.table[read.table["kind"].isin(["childrens_home", "secure_childrens_home"])]
    assert homes["la_code"].str.match(r"^E0[689]|^E10").all()
    assert read.summary["council_not_mapped"] == 0


def test_the_workbook_picks_the_provider_sheet_and_matches_ofsteds_own_totals():
    """From the 2023 workbook, the provider-level sheet is read (with the homes only its providers-and-places sheet
    lists), and England's homes and places equal Ofsted's published table 6a/6b for 31 March 2023."""
    read = read_ofsted(WORKBOOK)
    assert read.summary["sheet"] == "Provider_level_at_31_Mar_2023" and read.as_of == date(2023, 3, 31)
    series = CalamineWorkbook.from_path(str(WORKBOOK)).get_sheet_by_name("Providers+places_Time_series").to_python()
    header = next(r for r in series if r and r[0] == "Date")
    providers = next(r for r in series if str(r[0]).startswith("2023-03-31") and r[1] == "Providers")
    place_row = next(r for r in series if str(r[0]).startswith("2023-03-31") and r[1] == "Places")
    column = header.index("All Children's Homes")
    assert read.summary["childrens_homes"] == int(float(providers[column]))
    assert read.summary["childrens_home_places"] == int(float(place_row[column]))
    assert read.summary["added_from_places_sheet"] > 0  # homes with no full inspection yet, ungraded
    added = read.table[read.table["listed_in"].str.startswith("Providers+places")]
    assert added["ofsted_grade"].eq("not_inspected").all()


def test_a_region_supply_is_the_registered_homes_in_england():
    """The supply holds the active or suspended homes and supported accommodation in England, and the 2025 list's
    Welsh supported-accommodation providers are out of it (mapped to Welsh codes)."""
    path = OFSTED / "provider_at_march_2025.csv"
    records = ofsted_records(path)
    expected = [r for r in records if kind(r) and live(r) and in_england(r)]
    read = read_ofsted(path)
    supply = read.supply
    england = supply[supply["la_code"].str.startswith("E")]
    assert len(england) == len(expected)
    assert read.summary["outside_england"] == sum(1 for r in records if kind(r) and not in_england(r)) > 0
    assert set(supply.loc[~supply["la_code"].str.startswith("E"), "la_code"]) <= {"W06000015", "W06000003",
                                                                                 "W06000022", "W06000006"}


def _write(tmp_path, name: str, text: str, encoding: str = "utf-8") -> object:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


OLD_LAYOUT = (
    "Children's social care providers and places at 31 March 2015,,,,,,,\n"
    "URN,Provision type,Registration status,Local authority,Sector,Organisation,Overall effectiveness,Name\n"
    "SC1,CHILDREN'S HOME,Active,Dorset,Private,Acme Care Ltd,Adequate,REDACTED\n"
    "SC2,Childrens home,Active,Bournemouth,Local Authority,,Good,REDACTED\n"
    "SC3,Secure Children\u2019s Home,Active,Northamptonshire,Local Authority,Northants CC,Outstanding,REDACTED\n"
    "SC4,Boarding school,Active,Kent,Academy,Kent Academies Trust,Good,A school\n"
    "SC5,Children's home,Active,Narnia,Private,ACME CARE LIMITED,Satisfactory,REDACTED\n"
)


def test_an_older_layout_reads_with_its_own_columns_and_names_of_the_day(tmp_path):
    """A 2015-style list (title row, `Organisation` owner column, no Places column, the old grades, upper-case
    provision types, councils abolished since) maps as it was on its date; what cannot be mapped is an issue."""
    read = read_ofsted(_write(tmp_path, "providers_2015.csv", OLD_LAYOUT))
    t = read.table.set_index("urn")
    assert read.as_of == date(2015, 3, 31)
    assert t.at["SC1", "kind"] == "childrens_home" and t.at["SC1", "la_code"] == "E10000009"  # Dorset, the county
    assert t.at["SC2", "la_code"] == "E06000028" and t.at["SC2", "owner"] == "Bournemouth (council)"
    assert t.at["SC3", "kind"] == "secure_childrens_home" and t.at["SC3", "la_code"] == "E10000021"
    assert t.at["SC1", "ofsted_grade"] == "requires_improvement" and t.at["SC5", "ofsted_grade"] == \
        "requires_improvement"
    assert t["places"].isna().all()  # no Places column: unknown, never zero
    assert t.at["SC1", "provider_id"] == t.at["SC5", "provider_id"]  # 'Acme Care Ltd' and 'ACME CARE LIMITED'
    assert not t.at["SC4", "in_supply"]
    issues = read.issues
    places = issues[issues["rule"].str.contains("no Places column")]
    assert places[["file", "row"]].values.tolist() == [["providers_2015.csv", 2]]
    narnia = issues[issues["rule"].str.contains("cannot be mapped")]
    assert narnia[["row", "column", "value"]].values.tolist() == [[7, "Local authority", "Narnia"]]


def test_a_name_of_a_council_that_has_since_split_is_an_issue_not_a_guess(tmp_path):
    """'Northamptonshire' in a 2025 list cannot be split between its two successors: the row is named in the
    issues and left out of the supply; a council only renumbered since (Buckinghamshire) gets today's code."""
    text = ("Provider level as at 31 March 2025,,,,,\nURN,Provision type,Registration status,Local authority,Sector,"
            "Places\n1,Children's home,Active,Northamptonshire,Private,3\n2,Children's home,Active,Buckinghamshire,"
            "Private,4\n")
    read = read_ofsted(_write(tmp_path, "late.csv", text))
    t = read.table.set_index("urn")
    assert t.at["1", "la_code"] == "" and t.at["2", "la_code"] == "E06000060"
    issue = read.issues[read.issues["rule"].str.contains("cannot tell which")]
    assert issue[["file", "row", "value"]].values.tolist() == [["late.csv", 3, "Northamptonshire"]]
    assert "2" in set(read.supply["urn"]) and "1" not in set(read.supply["urn"])
    in_2019 = read_ofsted(_write(tmp_path, "older.csv", text.replace("2025", "2019")))
    assert in_2019.table.set_index("urn").at["1", "la_code"] == "E10000021"


def test_cp1252_and_semicolons_read_like_utf8(tmp_path):
    """A list saved by Excel on Windows (cp1252, curly apostrophes) or with semicolons reads the same as UTF-8."""
    text = ("URN,Provision type,Registration status,Local authority,Sector,Places,Organisation which owns the "
            "provider\n1,Children\u2019s home,Active,Salford,Private,4,Caf\u00e9 Homes Ltd\n")
    plain = read_ofsted(_write(tmp_path, "a.csv", text)).table
    windows = read_ofsted(_write(tmp_path, "b.csv", text, "cp1252"))
    semicolons = read_ofsted(_write(tmp_path, "c.csv", text.replace(",", ";")))
    for other in (windows, semicolons):
        assert other.table[["kind", "la_code", "places", "owner"]].equals(plain[["kind", "la_code", "places", "owner"]])
    assert "cp1252" in windows.summary["read_as"]


def test_broken_files_give_one_clear_issue_naming_file_and_row(tmp_path):
    """An empty file, a file that is not Ofsted's list, a list cut off mid-row, one cut inside a quoted cell and a
    truncated workbook: each is an error naming the file (and the row where there is one), never a traceback."""
    empty = read_ofsted(_write(tmp_path, "empty.csv", ""))
    assert empty.issues[["file", "rule"]].values.tolist() == [["empty.csv", "the file is empty"]]
    dfe = OFSTED.parent / "dfe" / "cla_number_and_rate_per_10k_children.csv"
    other = read_ofsted(dfe)
    assert other.issues["rule"].iloc[0].startswith("no header row with Ofsted's provider columns")
    assert other.issues["file"].iloc[0] == dfe.name and len(other.table) == 0

    whole = (OFSTED / "provider_at_march_2021.csv").read_text(encoding="utf-8-sig")
    lines = whole.splitlines(keepends=True)
    cut = "".join(lines[:40]) + lines[40][:30]
    records = list(csv.reader(io.StringIO(cut)))
    truncated = read_ofsted(_write(tmp_path, "cut.csv", cut))
    errors = truncated.issues[truncated.issues["severity"].eq("error")]
    assert errors["row"].tolist() == [len(records)] and "truncated" in errors["rule"].iloc[0]

    quoted = "".join(lines[:40]) + 'Ofsted Social Care Provider Webpage,SC1,,"Children\'s home,Active'
    inside = read_ofsted(_write(tmp_path, "quote.csv", quoted))
    errors = inside.issues[inside.issues["severity"].eq("error")]
    assert errors["row"].tolist() == [41] and "never closed" in errors["rule"].iloc[0]

    book = (OFSTED.parent / "ssda903-samples" / "d2i-validator" / "ch_fake.xlsx").read_bytes()
    broken = read_ofsted(_write_bytes(tmp_path / "broken.xlsx", book[: len(book) // 2]))
    assert broken.issues["file"].tolist() == ["broken.xlsx"] and "truncated" in broken.issues["rule"].iloc[0]


def _write_bytes(path, data: bytes):
    path.write_bytes(data)
    return path


def test_provision_types_and_owners_in_any_wording():
    """Provision types in any case and wording map to rcc's kinds; owners compare without case, punctuation or
    legal form."""
    assert provision_kind("Residential special school (registered as a children's home)") == "rss_childrens_home"
    assert provision_kind("Residential Special School") == "residential_special_school"
    assert provision_kind("SECURE CHILDREN'S HOME") == "secure_childrens_home"
    assert provision_kind("Independent Fostering Agency") == "foster_agency"
    assert provision_kind("Supported Accommodation") == "supported_accommodation"
    assert provision_kind("Further Education College with Residential Accommodation") == "college"
    assert provision_kind("Residential Holiday Scheme for Disabled Children") == "holiday_scheme"
    assert provision_kind("Space station") == ""
    assert owner_identity("Cambian Childcare Ltd") == owner_identity("CAMBIAN CHILDCARE LIMITED")
    assert owner_identity("Keys Child Care Ltd") != owner_identity("Keys Care Ltd")
