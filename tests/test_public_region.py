"""`rcc public region`: a region folder built from the real Ofsted, DfE and ONS files, which rcc's own commands
accept: counted against the raw rows, validated, flagged on real owners, and clear about what it cannot do."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest

from app.cli import main
from tests.public_raw import (
    GM_NAMES,
    OFSTED,
    PUBLIC,
    in_england,
    kind,
    live,
    ofsted_records,
    owner_of,
    places,
    same_owner,
)

LATEST = OFSTED / "provider_at_march_2025.csv"


@pytest.fixture(scope="module")
def gm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gm-public")
    assert main(["public", "region", str(PUBLIC), "--rcc", "greater-manchester", "--out", str(folder)]) == 0
    return folder


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _gm_supply() -> list[dict]:
    return [r for r in ofsted_records(LATEST) if kind(r) and live(r)
            and r["Local authority"].strip().lower() in GM_NAMES and "short" not in
            r.get("Short-break-only children's home", "").lower()]


def test_the_folder_holds_greater_manchesters_registered_homes_with_vacancies_unknown(gm):
    """settings.csv holds every live children's home, secure home, dual-registered school and supported
    accommodation in the ten councils (raw count and places), at the council's label point, marked approximate,
    with vacancies blank (not published) and no children or referrals."""
    expected = _gm_supply()
    settings = _rows(gm / "settings.csv")
    assert len(settings) == len(expected)
    assert sum(int(s["places"]) for s in settings) == sum(places(r) for r in expected)
    assert {s["setting_id"] for s in settings} == {r["URN"] for r in expected}
    assert all(s["vacancies"] == "" for s in settings)
    assert all(s["location_approximate"] == "True" for s in settings)
    authorities = {a["la_code"]: a for a in _rows(gm / "authorities.csv")}
    assert {a["la_name"].lower() for a in authorities.values()} == GM_NAMES
    for s in settings:
        assert (s["lat"], s["lon"]) == (authorities[s["la_code"]]["lat"], authorities[s["la_code"]]["lon"])
    assert _rows(gm / "children.csv") == [] and _rows(gm / "referrals.csv") == []
    shapes = json.loads((gm / "boundaries.geojson").read_text())["features"]
    assert {f["properties"]["la_code"] for f in shapes} == set(authorities)
    about = json.loads((gm / "public_region.json").read_text())
    assert about["supply_as_of"] == "2025-03-31" and "vacancies (places free now)" in about["not_published"]


def test_the_dfe_history_is_the_councils_yearly_figures(gm):
    """cla_annual.csv has the ten councils' children looked after at 31 March, with Manchester's 2024 figure as the
    DfE's tidy file gives it."""
    annual = _rows(gm / "cla_annual.csv")
    with open(PUBLIC / "dfe" / "cla_number_and_rate_per_10k_children.csv", newline="") as f:
        raw = next(r for r in csv.DictReader(f) if r["new_la_code"] == "E08000003" and r["time_period"] == "2024"
                   and "31 March" in r["population_type"])
    mine = next(r for r in annual if r["la_code"] == "E08000003" and r["year"] == "2024"
                and r["measure"] == "looked_after" and r["group"] == "all")
    assert float(mine["value"]) == float(raw["children_count"])
    assert {r["la_code"] for r in annual} == {a["la_code"] for a in _rows(gm / "authorities.csv")}


def test_validate_accepts_the_folder(gm, capsys):
    """`rcc validate` finds no error in a public region."""
    assert main(["validate", str(gm)]) == 0
    assert "vacancies not known" in capsys.readouterr().out


def test_flags_show_market_concentration_on_the_real_owners(gm, tmp_path):
    """`rcc flags` runs on the public region; the children's-home market's largest independent owner is the one
    the raw rows give (homes, secure homes and dual-registered schools, non-council, by places)."""
    assert main(["flags", str(gm), "--out", str(tmp_path)]) == 0
    concentration = _rows(tmp_path / "concentration.csv")
    region = next(r for r in concentration if r["level"] == "region" and r["market"] == "childrens_home")
    by_owner, spelled = Counter(), {}
    for r in _gm_supply():
        if kind(r) in ("home", "secure", "rss_home") and r["Sector"] != "Local Authority":
            key = same_owner(owner_of(r)) or r["URN"]
            by_owner[key] += places(r)
            spelled.setdefault(key, Counter())[owner_of(r)] += 1
    top = by_owner.most_common(1)[0][0]
    assert same_owner(region["top_owner_name"]) == top
    assert int(region["independent_places"]) == sum(by_owner.values())


def test_jobs_that_need_childrens_records_say_what_to_add(gm, tmp_path, capsys):
    """match, forecast and the monthly batch stop with exit 1 and say the region is built from published data and
    what to add; nothing is written."""
    for command in (["match", str(gm), "--out", str(tmp_path / "m")], ["forecast", str(gm), "--out",
                                                                      str(tmp_path / "f")],
                    ["monthly", str(gm), "--out", str(tmp_path / "o")]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert "built from published data" in err and ("referrals.csv" in err or "episodes.csv" in err)
    assert not (tmp_path / "m").exists() and not (tmp_path / "f").exists()


def test_all_england_builds_every_councils_supply(tmp_path):
    """--all-england writes a region of the 153 councils with every live registered setting in England."""
    folder = tmp_path / "england"
    assert main(["public", "region", str(PUBLIC), "--all-england", "--out", str(folder)]) == 0
    expected = [r for r in ofsted_records(LATEST) if kind(r) and live(r) and in_england(r)
                and "short" not in r.get("Short-break-only children's home", "").lower()]
    assert len(_rows(folder / "settings.csv")) == len(expected)
    assert len(_rows(folder / "authorities.csv")) == 153


def test_a_council_that_is_not_one_is_refused(tmp_path, capsys):
    """--las with a made-up code or an abolished council stops with exit 2, naming each and why."""
    assert main(["public", "region", str(PUBLIC), "--las", "E99999999,E10000021", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "E99999999" in err and "Northamptonshire (E10000021) ended on 2021-03-31" in err
