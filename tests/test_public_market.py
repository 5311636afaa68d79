"""England's market picture (optimiser/market.py) on the real files: homes, places, the sufficiency ratio, owner
concentration and joiners checked against the raw rows read with the csv module; an extract of some councils never
reads as England."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from data.authorities import RCCS
from data.public import EMBEDDED_EXTRACT
from data.public.read import read_public_data
from optimiser.market import area_rows, market_picture
from tests.public_raw import (
    GM_NAMES,
    OFSTED,
    OFSTED_CSVS,
    PUBLIC,
    in_england,
    kind,
    live,
    ofsted_records,
    owner_of,
    places,
    same_owner,
)

HOME_KINDS = ("home", "secure", "rss_home")


@pytest.fixture(scope="module")
def market():
    return market_picture(read_public_data(PUBLIC))


def _england_homes(path):
    return [r for r in ofsted_records(path) if kind(r) in HOME_KINDS and live(r) and in_england(r)]


def test_englands_homes_and_places_each_year_equal_the_raw_lists(market):
    """England's children's homes and places per year are the raw rows' (the 2023 workbook's fuller list for
    2023), and the sectors' places add up to the whole."""
    england = market.areas[market.areas["level"].eq("england")].set_index("year")
    for path in OFSTED_CSVS:
        year = int(path.stem[-4:])
        if year == 2023:
            continue  # the workbook for that date lists more homes than this CSV, and is the one kept
        homes = _england_homes(path)
        assert england.at[year, "homes"] == len(homes)
        assert england.at[year, "places"] == sum(places(r) for r in homes)
    sectors = england[["places_private", "places_local_authority", "places_voluntary", "places_health_authority"]]
    assert (sectors.sum(axis=1) == england["places"]).all()


def test_a_councils_sufficiency_ratio_is_its_places_over_its_children_in_homes(market):
    """Manchester at 31 March 2025: places in homes located there (Ofsted 2025, raw) over the children it looks
    after in secure homes and children's homes (DfE 2024, the latest year before, raw)."""
    latest = OFSTED / "provider_at_march_2025.csv"
    here = sum(places(r) for r in _england_homes(latest) if r["Local authority"] == "Manchester")
    with open(PUBLIC / "dfe" / "la_cla_on_31_march_by_characteristics.csv", newline="") as f:
        children = next(int(r["number"]) for r in csv.DictReader(f) if r["new_la_code"] == "E08000003"
                        and r["time_period"] == "2024" and r["characteristic"] == "Secure homes and children's homes")
    row = market.councils[market.councils["la_code"].eq("E08000003") & market.councils["year"].eq(2025)].iloc[0]
    assert row["places"] == here and row["children_in_homes"] == children
    assert row["sufficiency_ratio"] == pytest.approx(here / children)
    assert row["children_in_homes_year"] == 2024 and "la_cla_on_31_march_by_characteristics" in \
        row["children_in_homes_source"]


def test_greater_manchesters_owner_concentration_is_the_hhi_of_the_raw_owners(market):
    """HHI and the top-three share of independent places in Greater Manchester's homes in 2025, computed by hand
    from the raw rows (owners compared without case or legal form)."""
    latest = OFSTED / "provider_at_march_2025.csv"
    by_owner = Counter()
    for r in _england_homes(latest):
        if r["Local authority"].lower() in GM_NAMES and r["Sector"] != "Local Authority":
            by_owner[same_owner(owner_of(r)) or r["URN"]] += places(r)
    total = sum(by_owner.values())
    hhi = sum((100 * p / total) ** 2 for p in by_owner.values())
    top3 = sum(p for _, p in by_owner.most_common(3)) / total
    gm = market.areas[market.areas["area_code"].eq("greater-manchester") & market.areas["year"].eq(2025)].iloc[0]
    assert gm["hhi"] == pytest.approx(hhi) and gm["top3_share"] == pytest.approx(top3)
    assert gm["owners"] == len(by_owner)


def test_homes_that_joined_and_left_are_the_urns_in_one_list_only(market):
    """Between the 2023 workbook and the 2025 list, England's joiners and leavers are the set differences of the
    children's homes' URNs."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(OFSTED / "Childrens_social_care_in_England_2023_underlying_data.ods"))
    before = set()
    for sheet in ("Provider_level_at_31_Mar_2023", "Providers+places_at_31_Mar_2023"):
        rows = book.get_sheet_by_name(sheet).to_python()
        at = next(i for i, r in enumerate(rows) if "URN" in r)
        header = [" ".join(str(c).split()) for c in rows[at]]
        for r in rows[at + 1:]:
            record = dict(zip(header, [str(c) for c in r]))
            if kind(record) in HOME_KINDS and live(record) and in_england(record):
                before.add(record["URN"].removesuffix(".0"))
    after = {r["URN"] for r in _england_homes(OFSTED / "provider_at_march_2025.csv")}
    row = market.changes[market.changes["level"].eq("england") & market.changes["to_year"].eq(2025)].iloc[0]
    assert (row["homes_joined"], row["homes_left"]) == (len(after - before), len(before - after))


def test_owners_before_the_first_file_with_owners_are_not_guessed(market):
    """The 2017 list names no owners: England's 2017 concentration is blank, not computed from councils alone."""
    england = market.areas[market.areas["level"].eq("england")].set_index("year")
    assert england.loc[2017, ["owners", "hhi", "top3_share"]].isna().all()
    assert england.loc[2019, "owners"] > 0
    assert market.owners["year"].min() == 2019


def test_an_extract_of_some_councils_never_reads_as_england():
    """The embedded Greater Manchester extract gives Greater Manchester's own figures exactly as the whole
    publications do, and no England row or national owner ranking at all."""
    extract = market_picture(read_public_data(EMBEDDED_EXTRACT))
    whole = market_picture(read_public_data(PUBLIC))
    assert extract.areas[extract.areas["level"].eq("england")].empty and extract.owners.empty
    assert set(extract.councils["la_code"]) == set(RCCS["greater-manchester"])
    columns = ["homes", "places", "private_share", "children_in_homes", "sufficiency_ratio", "hhi"]
    mine = area_rows(extract, RCCS["greater-manchester"], "GM").set_index("year")[columns]
    theirs = area_rows(whole, RCCS["greater-manchester"], "GM").set_index("year")[columns]
    assert mine.equals(theirs)
    assert "cover some councils only" in extract.notes[0]
