"""The DfE's rules (data/ssda903/rules.py) on Data to Insight's sample return (2017/18), as it is and with planted
defects: for every rule, the records rcc reports (file and row, so child and episode) are exactly the records a
plain reading of the rule's wording finds, computed here from the CSV rows with nothing of rcc's."""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from app.jobs.import903 import import_903
from data.ssda903.rules import CODES

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "public-data" / "ssda903-samples" / "d2i-validator"
TODAY = date(2026, 11, 22)
YEAR_START, YEAR_END = date(2017, 4, 1), date(2018, 3, 31)  # the sample is the return of 2017/18

# The codes of each field as the DfE's guide lists them for 2017/18.
RNE = {"S", "P", "L", "T", "U", "B"}
LS = {"C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"}
PLACE = {"A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1", "T0", "T1",
         "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1"}
REC = {"E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E4A", "E4B", "E41", "E45", "E46", "E47", "E48",
       "E5", "E6", "E7", "E8", "E9", "X1"}
PROVIDER = {"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"}


def _read(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _write(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _day(text):
    """A DfE date (DD/MM/YYYY), None when blank, 'bad' when it is not a date."""
    if not text.strip():
        return None
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        return "bad"


def _ok(text):
    d = _day(text)
    return d if isinstance(d, date) else None


def _expected(folder: Path) -> dict[str, set[tuple[str, int]]]:
    """Every rule's findings as (file, spreadsheet row), from the wording of each rule."""
    header, episodes, dolo = _read(folder / "header.csv"), _read(folder / "episodes.csv"), _read(folder / "DoLo.csv")
    h = [(i + 2, r) for i, r in enumerate(header)]
    e = [(i + 2, r) for i, r in enumerate(episodes)]
    d = [(i + 2, r) for i, r in enumerate(dolo)]
    dob = {}
    for _, r in h:
        dob.setdefault(r["CHILD"], _ok(r["DOB"]))
    out = {code: set() for code in CODES}

    def add(code, file, rows):
        out[code] |= {(file, n) for n in rows}

    add("101", "header.csv", [n for n, r in h if r["SEX"] not in ("1", "2")])
    add("102", "header.csv", [n for n, r in h if _day(r["DOB"]) in (None, "bad")])
    add("301", "header.csv", [n for n, r in h if _ok(r["DOB"]) and _ok(r["DOB"]) > YEAR_END])
    add("141", "episodes.csv", [n for n, r in e if _day(r["DECOM"]) in (None, "bad")])
    add("147", "episodes.csv", [n for n, r in e if _day(r["DEC"]) == "bad"])
    add("143", "episodes.csv", [n for n, r in e if r["RNE"] not in RNE])
    add("144", "episodes.csv", [n for n, r in e if r["LS"] not in LS])
    add("146", "episodes.csv", [n for n, r in e if r["PLACE"] not in PLACE])
    add("149", "episodes.csv", [n for n, r in e if r["REC"] and r["REC"] not in REC])
    add("178", "episodes.csv", [n for n, r in e if r["PLACE_PROVIDER"] and r["PLACE_PROVIDER"] not in PROVIDER])
    add("148", "episodes.csv", [n for n, r in e if bool(r["DEC"].strip()) != bool(r["REC"].strip())])
    add("356", "episodes.csv", [n for n, r in e if _ok(r["DEC"]) and _ok(r["DECOM"])
                                and _ok(r["DEC"]) < _ok(r["DECOM"])])
    add("385", "episodes.csv", [n for n, r in e if _ok(r["DEC"]) and _ok(r["DEC"]) > YEAR_END])
    add("352", "episodes.csv", [n for n, r in e if r["RNE"] == "S" and _ok(r["DECOM"]) and dob.get(r["CHILD"])
                                and _ok(r["DECOM"]) >= _birthday(dob[r["CHILD"]], 18)])
    by_child = {}
    for n, r in e:
        if _ok(r["DECOM"]):
            by_child.setdefault(r["CHILD"], []).append((n, r))
    for child, mine in by_child.items():
        mine.sort(key=lambda x: _ok(x[1]["DECOM"]))  # stable: file order among equal starts
        first_n, first = mine[0]
        if dob.get(child) and _ok(first["DECOM"]) < dob[child]:
            add("302", "episodes.csv", [first_n])
        for (pn, prev), (n, r) in zip(mine, mine[1:]):
            if not prev["DEC"].strip() or not prev["REC"].strip():
                add("142", "episodes.csv", [pn])
            if _ok(prev["DEC"]) and _ok(r["DECOM"]) < _ok(prev["DEC"]):
                add("501", "episodes.csv", [n])
    add("700", "DoLo.csv", [n for n, r in d if _day(r["DOLO_START"]) in (None, "bad")])
    add("701", "DoLo.csv", [n for n, r in d if _day(r["DOLO_END"]) == "bad"])
    add("702", "DoLo.csv", [n for n, r in d if _ok(r["DOLO_START"]) and _ok(r["DOLO_END"])
                            and _ok(r["DOLO_END"]) <= _ok(r["DOLO_START"])])
    add("703", "DoLo.csv", [n for n, r in d if _ok(r["DOLO_START"]) and _ok(r["DOLO_START"]) > YEAR_END])
    add("704", "DoLo.csv", [n for n, r in d if _ok(r["DOLO_END"]) and not YEAR_START <= _ok(r["DOLO_END"]) <= YEAR_END])
    add("708", "DoLo.csv", [n for n, r in d if _ok(r["DOLO_START"]) and _ok(r["DOB"])
                            and _ok(r["DOLO_START"]) <= _ok(r["DOB"])])
    orders = {}
    for n, r in d:
        if _ok(r["DOLO_START"]):
            orders.setdefault(r["CHILD"], []).append((n, r))
    for mine in orders.values():
        mine.sort(key=lambda x: _ok(x[1]["DOLO_START"]))
        for (_, prev), (n, r) in zip(mine, mine[1:]):
            if not _ok(prev["DOLO_END"]) or _ok(r["DOLO_START"]) < _ok(prev["DOLO_END"]):
                add("705", "DoLo.csv", [n])
    for n, r in d:
        start, end = _ok(r["DOLO_START"]), _ok(r["DOLO_END"])
        if not (start and end):
            continue
        during = [x for _, x in e if x["CHILD"] == r["CHILD"] and _ok(x["DECOM"]) and _ok(x["DECOM"]) <= end
                  and (not x["DEC"].strip() or (_ok(x["DEC"]) and _ok(x["DEC"]) >= start))]
        if any(x["PLACE"] not in ("K2", "Z12", "Z13") for x in during):
            add("709", "DoLo.csv", [n])
        if any(x["PLACE"] in ("K1", "P1", "R5", "K3") for x in during):
            add("710", "DoLo.csv", [n])
    return out


def _birthday(born: date, age: int) -> date:
    try:
        return born.replace(year=born.year + age)
    except ValueError:  # 29 February
        return born.replace(year=born.year + age, day=28)


def _found(folder: Path) -> dict[str, set[tuple[str, int]]]:
    issues = import_903([folder / n for n in ("header.csv", "episodes.csv", "uasc.csv", "DoLo.csv")],
                        "E08000003", today=TODAY).issues
    out = {code: set() for code in CODES}
    for row in issues.itertuples(index=False):
        if row.rule.startswith("DfE rule "):
            out[row.rule.split()[2].rstrip(":")].add((row.file, int(row.row)))
    return out


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "return"
    folder.mkdir()
    for name in ("header.csv", "episodes.csv", "uasc.csv", "DoLo.csv"):
        shutil.copy(SAMPLE / name, folder / name)
    return folder


def _plant(folder: Path) -> None:
    """One or more records breaking each rule the sample does not break, chosen by what they hold."""
    header, episodes, dolo = _read(folder / "header.csv"), _read(folder / "episodes.csv"), _read(folder / "DoLo.csv")
    header[3]["SEX"] = "X"  # 101
    header[5]["DOB"] = "31/02/2010"  # 102
    header[7]["DOB"] = "01/05/2019"  # 301 (and its episodes start before birth: 302)
    episodes[10]["DECOM"] = "2017-13-01"  # 141
    episodes[11]["DEC"] = "32/01/2018"  # 147
    episodes[12]["RNE"] = "Z"  # 143
    episodes[13]["LS"] = "C9"  # 144
    episodes[14]["PLACE"] = "K3"  # 146: a 2025/26 code, not one of 2017/18's
    episodes[15]["PLACE"] = "Q9"  # 146
    episodes[16]["REC"] = "E99"  # 149
    episodes[17]["PLACE_PROVIDER"] = "PR9"  # 178
    closed = next(i for i, r in enumerate(episodes) if i > 20 and _ok(r["DEC"]))
    episodes[closed]["DEC"] = (_ok(episodes[closed]["DECOM"]).replace(day=1)).strftime("%d/%m/%Y") \
        if _ok(episodes[closed]["DECOM"]).day > 1 else "01/01/2000"  # 356: ends before it starts
    starter = next(r for r in episodes[40:] if r["RNE"] == "S" and _ok(r["DECOM"]))
    eighteen = _ok(starter["DECOM"]).replace(year=_ok(starter["DECOM"]).year - 19, day=1)
    for r in header:
        if r["CHILD"] == starter["CHILD"]:
            r["DOB"] = eighteen.strftime("%d/%m/%Y")  # 352: aged 18 or over when starting to be looked after
    k1 = next(r for r in episodes if r["PLACE"] == "K1" and _ok(r["DEC"]) and _ok(r["DECOM"])
              and (_ok(r["DEC"]) - _ok(r["DECOM"])).days > 10)
    inside = _ok(k1["DECOM"]).toordinal() + 2
    born = next(r["DOB"] for r in header if r["CHILD"] == k1["CHILD"])
    start, end = date.fromordinal(inside), date.fromordinal(inside + 3)
    planted = [
        # 709 and 710: an order during the child's K1 (secure children's home) episode
        {"CHILD": k1["CHILD"], "DOB": born, "DOLO_START": f"{start:%d/%m/%Y}", "DOLO_END": f"{end:%d/%m/%Y}"},
        {"CHILD": k1["CHILD"], "DOB": born, "DOLO_START": f"{start:%d/%m/%Y}", "DOLO_END": ""},  # 705 (after the first)
        {"CHILD": "C2", "DOB": "05/12/2010", "DOLO_START": "not a date", "DOLO_END": ""},  # 700
        {"CHILD": "C3", "DOB": "05/12/2010", "DOLO_START": "01/06/2017", "DOLO_END": "31/31/2017"},  # 701
        {"CHILD": "C4", "DOB": "05/12/2010", "DOLO_START": "01/06/2017", "DOLO_END": "01/05/2017"},  # 702
        {"CHILD": "C5", "DOB": "05/12/2010", "DOLO_START": "01/06/2009", "DOLO_END": "01/07/2017"},  # 708
    ]
    _write(folder / "header.csv", header)
    _write(folder / "episodes.csv", episodes)
    _write(folder / "DoLo.csv", dolo + planted)


@pytest.fixture(scope="module")
def as_it_is(tmp_path_factory):
    folder = _copy(tmp_path_factory.mktemp("sample"))
    return _expected(folder), _found(folder)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = _copy(tmp_path_factory.mktemp("planted"))
    _plant(folder)
    return _expected(folder), _found(folder)


@pytest.mark.parametrize("code", CODES)
def test_each_rule_finds_on_the_sample_what_its_wording_finds(as_it_is, code):
    """The sample as Data to Insight publishes it: the same records for every rule (many have none: the return's
    dates and codes are valid; rule 148 has 1,413, rule 501 62, rule 703 and 704 the one DoL order, of 2025)."""
    expected, found = as_it_is
    assert found[code] == expected[code], (code, sorted(found[code] ^ expected[code])[:10])


@pytest.mark.parametrize("code", CODES)
def test_each_rule_finds_its_planted_records(planted, code):
    """With defects planted for the rules the sample does not break: every rule finds at least one record, and
    exactly those a plain reading of its wording finds."""
    expected, found = planted
    assert expected[code], f"rule {code}: nothing planted breaks it"
    assert found[code] == expected[code], (code, sorted(found[code] ^ expected[code])[:10])


def test_the_sample_counts_quoted_in_the_docstring(as_it_is):
    """The counts the first test's docstring quotes, so that they stay true."""
    expected, _ = as_it_is
    assert (len(expected["148"]), len(expected["501"]), len(expected["703"]), len(expected["704"])) == (1413, 62, 1, 1)
