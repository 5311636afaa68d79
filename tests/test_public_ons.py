"""ONS council boundaries and the population aged 0-17, read from the shared public-data folder.

Expected figures come from the raw files read here with the csv and json modules, never from the reader.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import geopandas

from data.authorities import register
from data.problems import Problems
from data.public.ons import read_boundaries, read_population

ONS = Path(__file__).resolve().parents[2] / "shared" / "public-data" / "ons"
BOUNDARIES = ONS / "counties_unitary_authorities_may2023_england_buc.geojson"
POPULATION = ONS / "population_0_17_by_la_2012_2024.csv"
MANCHESTER = "E08000003"



def raw_population() -> list[dict[str, str]]:
    with open(POPULATION, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_boundaries_are_the_153_current_councils():
    """The 2023 file gives 153 boundaries whose codes are the register's current English councils, in WGS84."""
    problems = Problems()
    councils = read_boundaries(BOUNDARIES, problems)
    assert len(councils) == 153
    assert set(councils["la_code"]) == set(register().current()["la_code"])
    assert list(councils.columns) == ["la_code", "la_name", "geometry"]
    assert councils.crs.to_epsg() == 4326
    features = json.loads(BOUNDARIES.read_text())["features"]
    names = {f["properties"]["CTYUA23CD"]: f["properties"]["CTYUA23NM"] for f in features}
    assert dict(zip(councils["la_code"], councils["la_name"])) == names
    west, south, east, north = councils.total_bounds
    assert -7 < west < east < 2 and 49 < south < north < 56  # England, in lon/lat
    assert problems.table().empty


def test_boundaries_in_british_national_grid_are_reprojected(tmp_path):
    """A GeoPackage in EPSG:27700 with UTLA22CD/UTLA22NM properties reads back in WGS84; old codes are followed."""
    original = geopandas.read_file(BOUNDARIES)
    other = original.rename(columns={"CTYUA23CD": "UTLA22CD", "CTYUA23NM": "UTLA22NM"})
    other.loc[other["UTLA22CD"].eq("E06000065"), "UTLA22CD"] = "E10000023"  # North Yorkshire before 2023
    path = tmp_path / "utla.gpkg"
    other.to_crs(27700).to_file(path, driver="GPKG")
    councils = read_boundaries(path)
    assert councils.crs.to_epsg() == 4326
    assert "E06000065" in set(councils["la_code"]) and "E10000023" not in set(councils["la_code"])
    manchester = councils.set_index("la_code").geometry[MANCHESTER].centroid
    expected = original.set_index("CTYUA23CD").geometry[MANCHESTER].centroid
    assert manchester.distance(expected) < 1e-6  # degrees: the round trip through the grid is exact enough


def test_unknown_boundary_code_is_an_error(tmp_path):
    """A feature whose code the register does not know is an error naming it, and is left out."""
    features = json.loads(BOUNDARIES.read_text())
    features["features"] = features["features"][:2]
    features["features"][1]["properties"]["CTYUA23CD"] = "E06999999"
    path = tmp_path / "two.geojson"
    path.write_text(json.dumps(features))
    problems = Problems()
    councils = read_boundaries(path, problems)
    assert councils["la_code"].tolist() == ["E06000001"]
    issues = problems.table()
    assert issues[["file", "row", "column", "value", "severity"]].values.tolist() == [
        ["two.geojson", 2, "CTYUA23CD", "E06999999", "error"]]


def test_unreadable_boundaries_are_an_issue(tmp_path):
    """A file that is not geography, or not there, is an issue and an empty frame, not a traceback."""
    path = tmp_path / "broken.geojson"
    path.write_text("{not json")
    problems = Problems()
    assert read_boundaries(path, problems).empty
    assert read_boundaries(tmp_path / "missing.geojson", problems).empty
    assert len(problems.table()) == 2


def test_population_of_manchester_in_2024_is_the_raw_row():
    """Manchester's 2024 population aged 0-17 is the raw file's figure."""
    row = next(r for r in raw_population() if r["new_la_code"] == MANCHESTER and r["time_period"] == "2024")
    population = read_population(POPULATION)
    got = population[population["la_code"].eq(MANCHESTER) & population["year"].eq(2024)]["population_0_17"]
    assert got.tolist() == [float(row["population_estimate"])]
    assert list(population.columns) == ["la_code", "year", "population_0_17"]


def test_population_renumbered_codes_map_to_todays():
    """North Yorkshire's E10000023 rows (2012-2022) come out under E06000065, with their raw figures."""
    raw_rows = {int(r["time_period"]): float(r["population_estimate"]) for r in raw_population()
                if r["new_la_code"] in ("E10000023", "E06000065")}
    population = read_population(POPULATION)
    north_yorkshire = population[population["la_code"].eq("E06000065")].set_index("year")["population_0_17"]
    assert north_yorkshire.to_dict() == raw_rows
    assert not population["la_code"].eq("E10000023").any()
    councils = population["la_code"][population["la_code"].ne("E92000001")]
    assert register().english(councils).all()


def test_population_keeps_england_and_suppressed_councils_are_missing():
    """England's total is kept as E92000001; a council's 'x' (Bournemouth before 2019) is NaN, never 0."""
    raw_rows = raw_population()
    england = {int(r["time_period"]): float(r["population_estimate"]) for r in raw_rows
               if r["geographic_level"] == "National"}
    population = read_population(POPULATION).set_index(["la_code", "year"])["population_0_17"]
    assert {year: population[("E92000001", year)] for year in england} == england
    bournemouth = next(r for r in raw_rows if r["new_la_code"] == "E06000028" and r["time_period"] == "2015")
    assert bournemouth["population_estimate"] == "x" and math.isnan(population[("E06000028", 2015)])


def test_population_two_codes_for_one_council_in_a_year_are_added(tmp_path):
    """Two codes that reach one council in the same year are summed, with a warning; unknown codes are errors."""
    header = "time_period,geographic_level,new_la_code,la_name,population_estimate"
    lines = [header, "2020,Local authority,E10000002,Buckinghamshire,1000",
             "2020,Local authority,E06000060,Buckinghamshire,\"1,500\"",
             "2020,Local authority,E06999999,Nowhere,7", "2020,National,,,12000000"]
    path = tmp_path / "population.csv"
    path.write_text("\n".join(lines) + "\n")
    problems = Problems()
    population = read_population(path, problems).set_index(["la_code", "year"])["population_0_17"]
    assert population.to_dict() == {("E06000060", 2020): 2500.0, ("E92000001", 2020): 12000000.0}
    issues = problems.table()
    assert issues[issues["severity"].eq("error")][["row", "value"]].values.tolist() == [[4, "E06999999"]]
    assert issues["severity"].eq("warning").sum() == 2


def test_population_empty_file_is_an_issue(tmp_path):
    """An empty population file is an issue and an empty table, not a traceback."""
    path = tmp_path / "population.csv"
    path.write_text("")
    problems = Problems()
    assert read_population(path, problems).empty
    assert problems.table()["rule"].str.contains("empty").any()
