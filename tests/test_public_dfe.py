"""The DfE's looked-after-children LA tables (every layout in the shared public-data folder) read into one series.

Expected figures come from the raw files read here with the csv module, never from the reader itself. Small
broken or reworded files are written to tmp_path.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from data.authorities import register
from data.public.dfe import read_dfe
from data.schema import ANNUAL_MEASURES, CLA_ANNUAL, PUBLIC_GROUPS, SUPPRESSION_CODES

DFE = Path(__file__).resolve().parents[2] / "shared" / "public-data" / "dfe"
SFR = DFE / "sfr_la_tables_2010_2017"
CHARACTERISTICS = DFE / "la_cla_on_31_march_by_characteristics.csv"
HEADLINE = DFE / "cla_number_and_rate_per_10k_children.csv"
ASSEMBLED = DFE / "la_placements_2011_2022_goodair.csv"
FOI_OUTSIDE = DFE / "foi_2024_0040813_part2.csv"
SFR_FILES = {2011: "2011/SFR21_CLA.csv", 2012: "2012/SFR20_CLA2012.csv", 2013: "2013/SFR36_CLA2013.csv",
             2014: "2014/SFR36_CLA2014.csv", 2015: "2015/SFR34_CLA2015.csv", 2016: "2016/SFR41_CLA2016.csv",
             2017: "2017/SFR50_CLA2017.csv"}
MANCHESTER, GATESHEAD_OLD, GATESHEAD = "E08000003", "E08000020", "E08000037"
SUPPRESSED = {"c", "k", "x", "u", "..", "low"}  # z is "not applicable" (a council that did not exist that year)



# --- raw rows, read independently ---------------------------------------------------------------------------

def raw(path: Path) -> list[dict[str, str]]:
    """A CSV file's records as dicts, header names stripped (SFR headers carry trailing spaces)."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        rows = list(csv.reader(f))
    start = next(i for i, row in enumerate(rows)  # the header: below any title rows (the FOI answer)
                 if {"time_period", "geog_l", "New_geog_code"} & {c.strip() for c in row})
    header = [h.strip() for h in rows[start]]
    return [dict(zip(header, row)) for row in rows[start + 1:] if any(c.strip() for c in row)]


def number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def sfr_row(year: int, code: str) -> dict[str, str]:
    rows = raw(SFR / SFR_FILES[year])
    return next({k.lower(): v for k, v in r.items()} for r in rows if r["New_geog_code"] == code)


def placement_rows(code: str, year: str) -> dict[str, str]:
    return {r["characteristic"]: r["number"] for r in raw(CHARACTERISTICS)
            if r["new_la_code"] == code and r["time_period"] == year and r["cla_group"] == "Placement"}


@pytest.fixture(scope="module")
def series():
    return read_dfe(DFE)


def cell(series, code: str, year: int, measure: str, group: str = "all") -> pd.Series:
    t = series.table
    rows = t[t["area_code"].eq(code) & t["year"].eq(year) & t["measure"].eq(measure) & t["group"].eq(group)]
    assert len(rows) == 1, f"{code} {year} {measure}/{group}: {len(rows)} rows"
    return rows.iloc[0]


# --- the real folder ------------------------------------------------------------------------------------------

def test_real_folder_reads_without_errors(series):
    """Every layout in the real folder is read, with no error issues and only the expected kinds of warning."""
    assert not (series.issues["severity"] == "error").any(), series.issues[series.issues["severity"] == "error"]
    for name in (CHARACTERISTICS.name, HEADLINE.name, ASSEMBLED.name, FOI_OUTSIDE.name,
                 "sfr_la_tables_2010_2017/2010/SFR27_2010_March.csv", *(f"sfr_la_tables_2010_2017/{f}"
                                                                        for f in SFR_FILES.values())):
        assert name in series.files
    warned = set(series.issues["file"])
    assert warned <= {ASSEMBLED.name, "New_Statistical_Neighbour_Groupings_April_2021.csv",
                      "sfr_la_tables_2010_2017/2010/SFR27_2010_March.csv"}


def test_every_council_code_in_the_raw_files_is_in_the_register(series):
    """Every council code and DfE number in the raw files is known to the register (so none is dropped)."""
    codes, numbers = set(), set()
    for path in [CHARACTERISTICS, HEADLINE, FOI_OUTSIDE, DFE / "la_children_who_started.csv",
                 DFE / "la_children_who_ceased_during_the_year.csv"]:
        codes |= {r["new_la_code"] for r in raw(path) if r["geographic_level"] == "Local authority"}
    codes |= {r["New_geog_code"] for r in raw(ASSEMBLED)}
    for name in SFR_FILES.values():
        codes |= {r["New_geog_code"] for r in raw(SFR / name) if not r["New_geog_code"].startswith(("E92", "E12"))}
    numbers |= {r["geog_c"] for r in raw(SFR / "2010/SFR27_2010_March.csv") if r["geog_l"] == "LA"}
    assert len(codes) > 150 and len(numbers) == 152
    assert register().known(pd.Series(sorted(codes))).all()
    assert numbers <= set(register().table["old_la_code"])
    la = series.table[series.table["level"].eq("la")]
    assert register().known(la["area_code"]).all()


def test_england_equals_the_sum_of_its_councils(series):
    """England's looked_after/all each year is the raw England cell, and the councils sum to it within rounding.

    Tolerance: the tidy files and the SFR files 2011-2017 round national totals to the nearest 10 (council figures
    are exact), so 5; the 2010 file rounds England to the nearest 100 and each council's grossed figure to a whole
    number, so 50 + 0.5 per council. Years with a suppressed council cell are not compared (the sum is short).
    """
    england = {int(r["time_period"]): number(r["number"]) for r in raw(CHARACTERISTICS)
               if r["geographic_level"] == "National" and r["cla_group"] == "Placement"
               and r["characteristic"] == "Total"}
    for year, name in SFR_FILES.items():
        rows = raw(SFR / name)
        england[year] = number(next(r for r in rows if r["geog_l"] == "NATIONAL")[f"CLA_Mar{year}"])
    england[2010] = number(next(r for r in raw(SFR / "2010/SFR27_2010_March.csv")
                                if r["geog_l"] == "National")["MarTotal_2010"])
    t = series.table[series.table["measure"].eq("looked_after") & series.table["group"].eq("all")]
    national = t[t["level"].eq("national")].set_index("year")["value"]
    assert national.to_dict() == england
    councils = t[t["level"].eq("la")]
    compared = 0
    for year, total in england.items():
        these = councils[councils["year"].eq(year)]
        if these["status"].isin(SUPPRESSED).any():
            continue
        tolerance = 50 + 0.5 * len(these) if year == 2010 else 5
        assert abs(these["value"].sum() - total) <= tolerance, year
        compared += 1
    assert compared == len(england)


def test_suppressed_cell_is_missing_with_its_code_never_zero(series):
    """A raw 'c' in a tidy 'other' component and a raw 'x' in an SFR column come out NaN with that code."""
    adoption_c = next(r for r in raw(CHARACTERISTICS)
                      if r["geographic_level"] == "Local authority" and r["cla_group"] == "Placement"
                      and r["characteristic"] == "Placed for adoption" and r["number"] == "c")
    code, year = adoption_c["new_la_code"], int(adoption_c["time_period"])
    other = cell(series, code, year, "looked_after", "other")  # adoption + residential schools + ...: no sum
    assert math.isnan(other["value"]) and other["status"] == "c"

    secure_x = next(r for r in raw(SFR / SFR_FILES[2017]) if r["geog_l"] == "LA" and r["CLA_Secure"] == "x")
    homes = cell(series, secure_x["New_geog_code"], 2017, "looked_after", "childrens_home")
    assert math.isnan(homes["value"]) and homes["status"] == "x"


def test_value_and_status_agree_everywhere(series):
    """A row has a value exactly when its status is blank, and every status is one of the schema's codes."""
    t = series.table
    assert (t["value"].isna() == t["status"].ne("")).all()
    assert set(t["status"]) <= set(SUPPRESSION_CODES) | {""}
    assert set(t["measure"]) == set(ANNUAL_MEASURES)
    assert set(t["group"]) == set(PUBLIC_GROUPS)
    assert not t.duplicated(["level", "area_code", "year", "measure", "group"]).any()
    assert (t["value"].dropna() >= 0).all()


def test_tidy_year_spot_values_for_manchester(series):
    """Manchester 2024: every group, outside the LA, over 20 miles, starts and ceases, as in the raw tidy rows."""
    placement = placement_rows(MANCHESTER, "2024")
    expected = {
        ("looked_after", "all"): placement["Total"],
        ("looked_after", "foster"): placement["Foster placements"],
        ("looked_after", "childrens_home"): placement["Secure homes and children's homes"],
        ("looked_after", "independent_living"):
            placement["Independent and semi-independent living arrangements/supported accommodation"],
        ("looked_after", "with_parents"): placement["Placed with parents or other person with parental responsibility"],
    }
    for r in raw(CHARACTERISTICS):
        if r["new_la_code"] == MANCHESTER and r["time_period"] == "2024":
            if r["characteristic"] == "Placed outside the local authority boundary":
                expected[("placed_outside_la", "all")] = r["number"]
            if r["characteristic"] == "Placed more than 20 miles from home":
                expected[("placed_over_20_miles", "all")] = r["number"]
    for r in raw(HEADLINE):
        if r["new_la_code"] == MANCHESTER and r["time_period"] == "2024":
            measure = "started" if "starting" in r["population_type"] else \
                "ceased" if "ceasing" in r["population_type"] else None
            if measure:
                expected[(measure, "all")] = r["children_count"]
    assert len(expected) == 9
    for (measure, group), text in expected.items():
        assert cell(series, MANCHESTER, 2024, measure, group)["value"] == number(text), (measure, group)


def test_sfr_year_spot_values_for_manchester(series):
    """Manchester 2015 from the SFR wide row: every group (other = the sum of its four columns), outside the LA."""
    row = sfr_row(2015, MANCHESTER)
    expected = {"all": row["cla_mar2015"], "foster": row["cla_fost"], "childrens_home": row["cla_secure"],
                "independent_living": row["cla_ocom"], "with_parents": row["cla_parent"]}
    for group, text in expected.items():
        assert cell(series, MANCHESTER, 2015, "looked_after", group)["value"] == number(text), group
    other = sum(number(row[c]) for c in ("cla_adopt", "cla_ores", "cla_rsch", "cla_othpl"))
    assert cell(series, MANCHESTER, 2015, "looked_after", "other")["value"] == other
    assert cell(series, MANCHESTER, 2015, "placed_outside_la")["value"] == number(row["cla_outbound"])
    assert "hostels" in cell(series, MANCHESTER, 2015, "looked_after", "childrens_home")["source"]
    rows = [r for r in raw(SFR / SFR_FILES[2017]) if r["geog_l"] == "LA"]
    both = next(r for r in rows if r["CLA_InLA_GT20"].isdigit() and r["CLA_OutLA_GT20"].isdigit())
    over_20 = number(both["CLA_InLA_GT20"]) + number(both["CLA_OutLA_GT20"])
    assert cell(series, both["New_geog_code"], 2017, "placed_over_20_miles")["value"] == over_20
    assert sfr_row(2017, MANCHESTER)["cla_inla_gt20"] == "x"  # so Manchester's sum is missing, not the other half
    assert cell(series, MANCHESTER, 2017, "placed_over_20_miles")["status"] == "x"


def test_2010_spot_values_via_dfe_number(series):
    """2010's row for DfE number 352 is Manchester; its placement values run in alphabetical order of code."""
    rows = raw(SFR / "2010/SFR27_2010_March.csv")
    place_columns = [c for c in rows[0] if c.startswith("MarPlace_")]
    codes = [c.split("_")[1] for c in place_columns]
    england = next(r for r in rows if r["geog_l"] == "National")
    as_labelled = dict(zip(codes, (england[c] for c in place_columns)))
    assert number(as_labelled["Q2"]) < 0.01 * number(england["MarTotal_2010"])  # why the header cannot be right

    row = next(r for r in rows if r["geog_c"] == "352")
    assert row["geog_n"] == "Manchester"
    by_code = dict(zip(sorted(codes), (row[c] for c in place_columns)))
    assert cell(series, MANCHESTER, 2010, "looked_after")["value"] == number(row["MarTotal_2010"])
    foster = number(by_code["Q1"]) + number(by_code["Q2"])
    assert cell(series, MANCHESTER, 2010, "looked_after", "foster")["value"] == foster == 1001
    assert cell(series, MANCHESTER, 2010, "looked_after", "with_parents")["value"] == number(by_code["P1"])
    assert by_code["K1"] == "x" and cell(series, MANCHESTER, 2010, "looked_after", "childrens_home")["status"] == "x"
    warning = series.issues[series.issues["file"].str.endswith("SFR27_2010_March.csv")]
    assert warning["rule"].str.contains("alphabetical order").any()


def test_foi_spot_values(series):
    """The FOI answer gives children's homes placed outside the LA, and the number in homes where it is exact."""
    rows = [r for r in raw(FOI_OUTSIDE) if r["geographic_level"] == "Local authority"]
    manchester = next(r for r in rows if r["new_la_code"] == MANCHESTER and r["time_period"] == "2024")
    assert cell(series, MANCHESTER, 2024, "placed_outside_la", "childrens_home")["value"] == number(
        manchester["number"])

    def fits(n: int, p: int) -> list[int]:  # every whole number of children whose share rounds to p
        return [t for t in range(n, 100 * n + 1) if abs(100 * n / t - p) <= 0.5]

    exact = ambiguous = None
    for r in rows:
        if r["time_period"] == "2019" and r["number"].isdigit() and r["percentage"].isdigit() and int(r["number"]):
            candidates = fits(int(r["number"]), int(r["percentage"]))
            if len(candidates) == 1 and exact is None:
                exact = (r["new_la_code"], candidates[0])
            if len(candidates) > 1 and ambiguous is None:
                ambiguous = r["new_la_code"]
    homes = cell(series, exact[0], 2019, "looked_after", "childrens_home")
    assert homes["value"] == exact[1] and FOI_OUTSIDE.name in homes["source"]
    t = series.table
    assert not (t["area_code"].eq(ambiguous) & t["year"].eq(2019) & t["group"].eq("childrens_home")
                & t["measure"].eq("looked_after")).any()


def test_renumbered_gateshead_continues_under_todays_code(series):
    """Gateshead, E08000020 in the SFR files, is E08000037 in every year, with its raw 2015 figure."""
    row = sfr_row(2015, GATESHEAD_OLD)
    assert cell(series, GATESHEAD, 2015, "looked_after")["value"] == number(row["cla_mar2015"])
    t = series.table
    assert not t["area_code"].eq(GATESHEAD_OLD).any()
    years = t[t["area_code"].eq(GATESHEAD) & t["measure"].eq("looked_after") & t["group"].eq("all")]["year"]
    assert sorted(years) == list(range(2010, 2025))
    assert cell(series, "E10000021", 2019, "looked_after")["area_name"] == "Northamptonshire"  # split: kept


def test_tidy_value_wins_over_the_assembled_series(series):
    """Where the assembled 2011-2022 file and the tidy file disagree (a revision), the tidy value is kept."""
    tidy = {(r["time_period"], r["new_la_code"]): r["children_count"] for r in raw(HEADLINE)
            if r["population_type"] == "Children looked after on 31 March each year"}
    year, code, value = next((r["year"], r["New_geog_code"], tidy[(r["year"], r["New_geog_code"])])
                             for r in raw(ASSEMBLED) if (r["year"], r["New_geog_code"]) in tidy
                             and number(r["CLA_Mar"]) not in (None, number(tidy[(r["year"], r["New_geog_code"])])))
    chosen = cell(series, code, int(year), "looked_after")
    assert chosen["value"] == number(value) and chosen["source"].startswith(HEADLINE.name)


def test_groups_add_up_to_the_total(series):
    """Where no group is suppressed, the five groups sum to all (SFR 2011-2012 may be 1 short: grossing)."""
    t = series.table[series.table["level"].eq("la") & series.table["measure"].eq("looked_after")]
    wide = t.pivot_table(index=["year", "area_code"], columns="group", values="value", aggfunc="first")
    parts = wide[[g for g in PUBLIC_GROUPS if g != "all"]]
    whole = parts.notna().all(axis=1) & wide["all"].notna()
    gap = (wide.loc[whole, "all"] - parts[whole].sum(axis=1)).abs()
    assert len(gap) > 100
    assert gap.max() <= 1 and gap[gap.index.get_level_values("year") >= 2013].max() == 0


def test_for_councils_gives_cla_annual_columns(series):
    """for_councils gives the council rows asked for (old codes followed) in CLA_ANNUAL's columns."""
    rows = series.for_councils([MANCHESTER, GATESHEAD_OLD])
    assert list(rows.columns) == CLA_ANNUAL.column_names
    assert set(rows["la_code"]) == {MANCHESTER, GATESHEAD}
    assert rows["year"].dtype.kind == "i" and rows["value"].dtype.kind == "f"


# --- broken and reworded inputs -------------------------------------------------------------------------------

TIDY_HEADER = "time_period,geographic_level,region_code,region_name,old_la_code,new_la_code,la_name,cla_group," \
              "characteristic,number,percentage"


def write(folder: Path, name: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_empty_file_and_missing_folder_are_issues(tmp_path):
    """An empty file and a folder that is not there are issue rows, not tracebacks."""
    (tmp_path / "empty.csv").write_bytes(b"")
    result = read_dfe(tmp_path)
    assert result.table.empty
    assert (result.issues["file"].eq("empty.csv") & result.issues["rule"].str.contains("empty")).any()
    missing = read_dfe(tmp_path / "nowhere")
    assert missing.table.empty and missing.issues["rule"].str.contains("not found").any()


def test_unknown_council_code_is_an_error_naming_the_cell(tmp_path):
    """An unknown LA code is an error with its file, row, column and value; the other rows still read."""
    manchester = "2024,Local authority,E12000002,North West,352,E08000003,Manchester,Placement,Total,1302,100"
    nowhere = "2024,Local authority,E12000002,North West,999,E06999999,Nowhere,Placement,Total,10,100"
    write(tmp_path, "cla.csv", [TIDY_HEADER, manchester, nowhere])
    result = read_dfe(tmp_path)
    errors = result.issues[result.issues["severity"].eq("error")]
    assert errors[["file", "row", "column", "value"]].values.tolist() == [["cla.csv", 3, "new_la_code",
                                                                            "E06999999"]]
    assert result.table["area_code"].tolist() == [MANCHESTER]


def test_unknown_dfe_number_in_the_2010_layout_is_an_error(tmp_path):
    """The 2010 layout's DfE numbers go through the register; an unknown number is an error naming the cell."""
    write(tmp_path, "SFR27_2010_March.csv", ["geog_l,geog_c,geog_n,MarTotal_2010,MarPlace_Q1_2010",
                                             "LA,352,Manchester,1426,1000", "LA,998,Atlantis,5,0"])
    result = read_dfe(tmp_path)
    errors = result.issues[result.issues["severity"].eq("error")]
    assert errors[["row", "column", "value"]].values.tolist() == [[3, "geog_c", "998"]]
    assert cell(result, MANCHESTER, 2010, "looked_after")["value"] == 1426


def test_odd_cells_are_not_published_with_a_warning(tmp_path):
    """#VALUE! is NaN/not_published with a warning naming the cell; '1,234' is 1234; 'x' keeps its code."""
    write(tmp_path, "SFR_CLA2015.csv", ["New_geog_code,geog_l,geog_c,geog_n,CLA_Mar2015 ,CLA_Fost,CLA_Adopt,,",
                                        f'{MANCHESTER},LA,352,Manchester,"1,234",#VALUE!,x,,'])
    result = read_dfe(tmp_path)
    assert cell(result, MANCHESTER, 2015, "looked_after")["value"] == 1234
    foster = cell(result, MANCHESTER, 2015, "looked_after", "foster")
    assert math.isnan(foster["value"]) and foster["status"] == "not_published"
    other = cell(result, MANCHESTER, 2015, "looked_after", "other")
    assert math.isnan(other["value"]) and other["status"] == "x"
    warnings = result.issues[result.issues["severity"].eq("warning")]
    assert warnings[["file", "row", "column", "value"]].values.tolist() == [["SFR_CLA2015.csv", 2, "CLA_Fost",
                                                                              "#VALUE!"]]


def test_damaged_file_is_an_issue(tmp_path):
    """A file cut off inside a quoted cell, and a file that is no table at all, give issues, not tracebacks."""
    write(tmp_path, "cut.csv", [TIDY_HEADER, '2024,Local authority,E12000002,"North West'])
    (tmp_path / "noise.csv").write_bytes(bytes(range(256)) * 4)
    result = read_dfe(tmp_path)
    assert set(result.issues["file"]) == {"cut.csv", "noise.csv"}
    assert result.table.empty


def test_a_later_years_rewording_still_reads(tmp_path):
    """A reworded tidy file (new wording, academic-year period, columns reordered) reads by meaning."""
    header = "geographic_level,time_period,new_la_code,old_la_code,la_name,region_code,region_name,cla_group," \
             "characteristic,number"
    lines = [header]
    for group, item, value in [("Placement", "Total", "1,300"), ("Placement", "Foster care", "850"),
                               ("Placement", "Children's homes (including secure children's homes)", "120"),
                               ("Placement", "Supported accommodation and independent living", "150"),
                               ("Placement", "Placed with parents", "140"), ("Placement", "Placed for adoption", "c"),
                               ("Placement", "Residential schools", "5"),
                               ("Locality of placement", "Placed outside the LA boundary", "670"),
                               ("Distance between home and placement", "Placed over 20 miles from home", "125")]:
        lines.append(f'Local authority,202425,{MANCHESTER},352,Manchester,E12000002,North West,{group},"{item}",'
                     f'"{value}"')
    write(tmp_path, "later.csv", lines)
    result = read_dfe(tmp_path)
    got = {(r.measure, r.group): (r.value, r.status) for r in result.table.itertuples()}
    assert set(result.table["year"]) == {2025}
    assert got[("looked_after", "all")] == (1300, "")
    assert got[("looked_after", "foster")] == (850, "")
    assert got[("looked_after", "childrens_home")] == (120, "")
    assert got[("looked_after", "independent_living")] == (150, "")
    assert got[("looked_after", "with_parents")] == (140, "")
    assert math.isnan(got[("looked_after", "other")][0]) and got[("looked_after", "other")][1] == "c"
    assert got[("placed_outside_la", "all")] == (670, "")
    assert got[("placed_over_20_miles", "all")] == (125, "")
    assert not result.issues["severity"].eq("error").any()
