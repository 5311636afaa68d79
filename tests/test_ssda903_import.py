"""A council's own SSDA903 returns as it holds them (`rcc import-903`, data/ssda903): Data to Insight's real-format
samples in ../shared read unchanged, years merged as the demand model merges them, with every expectation counted
here from the files by plain csv reading (or, for the XML, by counting its elements)."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from app.cli import main
from app.jobs.import903 import import_903
from data.load import read_region

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "public-data" / "ssda903-samples"
DEMAND = SAMPLES / "d2i-demand-model"
VALIDATOR = SAMPLES / "d2i-validator"
YEARS = (2017, 2018, 2019, 2020, 2021)
TODAY = date(2026, 11, 22)
FAST = "paths = 40\n"


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as file:
        return list(csv.DictReader(file))


def _day(text: str) -> date | None:
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _by_hand():
    """Each (child, start) of the five returns with the end each return gives it ('' open), in year order."""
    seen: dict[tuple[str, date], list[tuple[int, str]]] = defaultdict(list)
    for year in YEARS:
        for row in _rows(DEMAND / f"{year}-episodes.csv"):
            seen[(row["CHILD"], _day(row["DECOM"]))].append((year, row["DEC"]))
    return seen


def _history(paths, la="E08000003"):
    result = import_903(paths, la, today=TODAY)
    assert result.history is not None, result.issues.to_string()
    return result


def test_five_yearly_returns_count_each_episode_once_and_close_open_ones():
    """The demand model's five returns: as many episodes as distinct (child, start) pairs across the files; the
    episodes open in one return and given an end by a later one counted as such (910 by hand), none counted twice;
    every merged end the latest end any return gives (blank only if no return ends it)."""
    seen = _by_hand()
    repeated = {k: v for k, v in seen.items() if len(v) > 1}
    closed = sum(1 for v in repeated.values() for year, end in v[:-1] if end == "" and any(e for _, e in v))
    assert len(repeated) > 500 and closed == 910
    result = _history([DEMAND])
    episodes = result.history.tables["episodes"]
    assert len(episodes) == len(seen)
    assert result.history.counts["closed_by_next_return"] == closed
    ends = {(c, d.date()): e for c, d, e in zip(episodes["CHILD"], episodes["DECOM"], episodes["DEC"], strict=True)}
    for key, appearances in seen.items():
        given = [_day(e) for _, e in appearances if e]
        merged = ends[key]
        assert (pd.isna(merged) and not given) or merged.date() == max(given), key
    children = {row["CHILD"] for year in YEARS for row in _rows(DEMAND / f"{year}-header.csv")}
    assert set(result.history.tables["header"]["CHILD"]) == children


def test_a_few_childrens_merged_episodes_by_hand():
    """Three children seen in three or more returns: their merged episodes, start and end, are the distinct starts
    of the files, each with the end the latest return gives."""
    seen = _by_hand()
    years_of = defaultdict(set)
    for (child, _), appearances in seen.items():
        years_of[child] |= {y for y, _ in appearances}
    children = sorted(c for c, ys in years_of.items() if len(ys) >= 3)[:3]
    assert len(children) == 3
    episodes = _history([DEMAND]).history.tables["episodes"]
    for child in children:
        expected = sorted((start, max((_day(e) for _, e in a if e), default=None))
                          for (c, start), a in seen.items() if c == child)
        mine = episodes[episodes["CHILD"] == child]
        got = [(s.date(), None if pd.isna(e) else e.date()) for s, e in zip(mine["DECOM"], mine["DEC"], strict=True)]
        assert got == expected, child


def test_years_are_ordered_by_collection_year_not_by_file_order(tmp_path):
    """The returns given newest first, and in year folders (2017/episodes.csv ...) renamed so that their folder
    order runs backwards: the same history, and the returns listed 2017/18 to 2021/22."""
    forward = _history([DEMAND]).history
    backward = _history([DEMAND / f"{y}-{t}.csv" for y in reversed(YEARS) for t in ("episodes", "header", "uasc")])
    for year, name in zip(YEARS, ("e", "d", "c", "b", "a"), strict=True):
        folder = tmp_path / f"{2030 - YEARS.index(year)}"  # 2030 holds 2017's return, 2026 holds 2021's
        folder.mkdir()
        for table in ("episodes", "header", "uasc"):
            shutil.copy(DEMAND / f"{year}-{table}.csv", folder / f"{table}.csv")
    foldered = _history([tmp_path]).history
    for other in (backward.history, foldered):
        for table in ("episodes", "header"):
            a = forward.tables[table].drop(columns=["_file", "_row"]).reset_index(drop=True)
            b = other.tables[table].drop(columns=["_file", "_row"]).reset_index(drop=True)
            pd.testing.assert_frame_equal(a, b)
    assert [r["year"] for r in foldered.returns] == [2018, 2019, 2020, 2021, 2022]


def test_a_conflict_between_returns_is_reported_on_the_child_and_episode(tmp_path):
    """One repeated episode given another legal status in the later return: one warning, on the kept record (the
    later return's, which closes it), naming the child, the other file and row, and both values."""
    for year in (2017, 2018):
        for table in ("episodes", "header"):
            shutil.copy(DEMAND / f"{year}-{table}.csv", tmp_path / f"{year}-{table}.csv")
    earlier = _rows(tmp_path / "2017-episodes.csv")
    later = _rows(tmp_path / "2018-episodes.csv")
    starts = {(r["CHILD"], r["DECOM"]): i for i, r in enumerate(earlier)}
    at = next(i for i, r in enumerate(later) if (r["CHILD"], r["DECOM"]) in starts and r["DEC"])
    child, start, status = later[at]["CHILD"], later[at]["DECOM"], later[at]["LS"]
    later[at]["LS"] = "C1" if status != "C1" else "C2"
    with open(tmp_path / "2018-episodes.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(later[0]))
        writer.writeheader()
        writer.writerows(later)
    issues = _history([tmp_path]).issues
    hits = issues[issues["rule"].str.contains(f"child {child}'s episode starting {start}")]
    assert len(hits) == 1, hits.to_string()
    hit = hits.iloc[0]
    assert (hit["file"], hit["row"], hit["column"], hit["severity"]) == ("2018-episodes.csv", at + 2, "LS", "warning")
    assert f"2017-episodes.csv row {starts[(child, start)] + 2}" in hit["rule"] and f"LS {status}" in hit["rule"]


def test_the_dfe_xml_is_read_as_its_elements_count():
    """fake_903.xml: a header per CHILD element, an episode per EPISODE element, a UASC record per child with a
    UASC flag or a date it ceased; CHILDID and PL read as CHILD and PLACE."""
    text = (VALIDATOR / "fake_903.xml").read_text()
    children = re.findall(r"<CHILDID>([^<]*)</CHILDID>", text)
    episodes = re.findall(r"<EPISODE>(.*?)</EPISODE>", text)
    places = [re.search(r"<PL>([^<]*)</PL>", e).group(1) for e in episodes]
    history = _history([VALIDATOR / "fake_903.xml"]).history
    assert sorted(history.tables["header"]["CHILD"]) == sorted(children)
    assert len(history.tables["episodes"]) == len(episodes)
    assert sorted(history.tables["episodes"]["PLACE"]) == sorted(places)
    assert len(history.tables["uasc"]) == text.count("<DUC>")


def test_sex_as_letters_dates_with_dashes_and_excel_serials_read_as_the_dfes(tmp_path):
    """The validator sample's first 40 children with SEX as M/F and dates as DD-MM-YYYY, and again as a workbook
    whose dates are Excel serial numbers: the same children, sexes and dates as the DfE's own format gives."""
    header = _rows(VALIDATOR / "header.csv")[:40]
    kids = {r["CHILD"] for r in header}
    episodes = [r for r in _rows(VALIDATOR / "episodes.csv") if r["CHILD"] in kids]
    plain = tmp_path / "plain"
    plain.mkdir()
    _write(plain / "header.csv", header)
    _write(plain / "episodes.csv", episodes)
    lettered = tmp_path / "lettered"
    lettered.mkdir()
    _write(lettered / "header.csv", [{**r, "SEX": {"1": "M", "2": "F"}[r["SEX"]], "DOB": r["DOB"].replace("/", "-")}
                                     for r in header])
    _write(lettered / "episodes.csv", [{**r, "DECOM": r["DECOM"].replace("/", "-"), "DEC": r["DEC"].replace("/", "-")}
                                       for r in episodes])
    book = openpyxl.Workbook()
    for name, rows in (("header", header), ("episodes", episodes)):
        sheet = book.create_sheet(name)
        sheet.append(list(rows[0]))
        for r in rows:
            sheet.append([(_day(v) - date(1899, 12, 30)).days if k in ("DOB", "DECOM", "DEC") and v else v
                          for k, v in r.items()])
    book.remove(book["Sheet"])
    book.save(tmp_path / "return.xlsx")
    expected = _history([plain]).history.tables
    for paths in ([lettered], [tmp_path / "return.xlsx"]):
        got = _history(paths).history.tables
        for table, columns in (("header", ["CHILD", "SEX", "DOB"]), ("episodes", ["CHILD", "DECOM", "DEC", "PLACE"])):
            pd.testing.assert_frame_equal(got[table][columns].reset_index(drop=True),
                                          expected[table][columns].reset_index(drop=True))


def test_a_stacked_regional_extract_maps_council_names_and_numbers_to_codes(tmp_path):
    """One episodes.csv and one header.csv for two councils, one named (Manchester), one by the DfE's number (350,
    Bolton): each child under its council's ONS code; an unknown council is one error naming it and its rows."""
    header = _rows(VALIDATOR / "header.csv")[:60]
    council = {r["CHILD"]: ("Manchester" if i % 2 else "350") for i, r in enumerate(header)}
    episodes = [r for r in _rows(VALIDATOR / "episodes.csv") if r["CHILD"] in council]
    _write(tmp_path / "header.csv", [{**r, "LA": council[r["CHILD"]]} for r in header])
    _write(tmp_path / "episodes.csv", [{**r, "LA": council[r["CHILD"]]} for r in episodes])
    history = _history([tmp_path], la=None).history
    codes = {"Manchester": "E08000003", "350": "E08000001"}
    got = dict(zip(history.tables["header"]["CHILD"], history.tables["header"]["LA"], strict=True))
    assert got == {c: codes[v] for c, v in council.items()}
    assert sorted(history.authorities["la_code"]) == ["E08000001", "E08000003"]
    _write(tmp_path / "header.csv", [{**r, "LA": "Gotham"} if i == 3 else {**r, "LA": council[r["CHILD"]]}
                                     for i, r in enumerate(header)])
    issues = import_903([tmp_path], None, today=TODAY).issues
    gotham = issues[issues["value"] == "Gotham"]
    assert gotham[["file", "row", "column", "severity"]].values.tolist() == [["header.csv", 5, "LA", "error"]]


def _write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """`rcc import-903` on each sample as it is: the demand model's folder, the validator's CSV files, its XML."""
    base = tmp_path_factory.mktemp("imported")
    runs = {"demand": [str(DEMAND)], "validator": [str(p) for p in sorted(VALIDATOR.glob("*.csv"))],
            "xml": [str(VALIDATOR / "fake_903.xml")]}
    codes = {}
    for name, paths in runs.items():
        codes[name] = main(["import-903", *paths, "--la", "E08000003", "--out", str(base / name)])
    return base, codes


def test_import_903_on_each_sample_writes_a_region_validate_accepts(imported, capsys):
    """Each sample imports (exit 0) into header.csv, episodes.csv, uasc.csv, dol_orders.csv, authorities.csv and
    import_issues.csv, and `rcc validate` reads the region with every child of the return (by plain csv reading)."""
    base, codes = imported
    assert codes == {"demand": 0, "validator": 0, "xml": 0}
    for name in codes:
        for file in ("header.csv", "episodes.csv", "uasc.csv", "dol_orders.csv", "authorities.csv",
                     "import_issues.csv"):
            assert (base / name / file).exists(), (name, file)
        capsys.readouterr()
        assert main(["validate", str(base / name)]) == 0
        printed = capsys.readouterr().out
        assert "ssda903_children" in printed and "Not in the region: providers.csv, settings.csv" in printed
    validator_children = {r["CHILD"] for r in _rows(VALIDATOR / "header.csv")}
    assert {r["CHILD"] for r in _rows(base / "validator" / "header.csv")} == validator_children
    dolo = _rows(base / "validator" / "dol_orders.csv")
    source = _rows(VALIDATOR / "DoLo.csv")
    assert [(r["CHILD"], r["DOLO_START"], r["LA"]) for r in dolo] == [
        (s["CHILD"], _day(s["DOLO_START"]).isoformat(), "E08000003") for s in source]


def test_the_imported_five_years_forecast(imported, tmp_path, capsys):
    """The demand model's five returns, imported, forecast (the forecast crashed on such a small council's entries
    before: 'overflow encountered in exp'), saying that entries were too few for a season and a trend; a single
    year's return gets the clear message that forecasting needs two years."""
    base, _ = imported
    params = tmp_path / "fast.toml"
    params.write_text(FAST)
    assert main(["forecast", str(base / "demand"), "--params", str(params), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "too few for a season and a trend" in out
    record = json.loads((tmp_path / "out" / "forecast_run.json").read_text())
    assert record["summary"]["children_now"] > 0
    assert main(["forecast", str(base / "validator"), "--params", str(params), "--out", str(tmp_path / "v")]) == 1
    assert "forecasting needs at least 24" in capsys.readouterr().err


def test_a_folder_with_a_csv_return_and_an_xml_return_asks_which(tmp_path, capsys):
    """The validator's folder holds its return twice over, as CSV files and as fake_903.xml: one error saying how
    to name one or the other, and nothing written."""
    assert main(["import-903", str(VALIDATOR), "--la", "E08000003", "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "as CSV files and another as XML" in err and "FOLDER/fake_903.xml" in err
    assert not (tmp_path / "r" / "episodes.csv").exists()


def test_a_region_folder_holding_yearly_returns_and_its_council_is_read_as_imported(tmp_path):
    """The demand model's returns copied beside an authorities.csv of one council: `read_region` gives the same
    history as the import, each problem on the council's own file."""
    folder = tmp_path / "region"
    shutil.copytree(DEMAND, folder)
    pd.DataFrame([{"la_code": "E08000003", "la_name": "Manchester", "lat": 53.47, "lon": -2.23}]).to_csv(
        folder / "authorities.csv", index=False)
    region, issues = read_region(folder, today=TODAY)
    assert region is not None, issues.head().to_string()
    imported = _history([DEMAND]).history.tables["episodes"]
    assert len(region.episodes) == len(imported)
    assert set(issues["file"]) <= {f"{y}-{t}.csv" for y in YEARS for t in ("episodes", "header", "uasc")}
