"""The market workbook and report (app/reports/market_*.py) on a hand-built market of three councils over two lists,
whose figures are known without the code, and once on the real published data."""

from __future__ import annotations

import csv
import re

import geopandas
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import box

from app.reports.market_html import NO_BOUNDARIES, write_market_report
from app.reports.market_workbook import write_market_workbook
from optimiser.market import Market
from tests.public_raw import PUBLIC as PUBLIC_DATA

SHEETS = ["Summary", "Councils", "Regions", "Owners", "Difficult to replace", "Joiners and leavers", "Sources"]
NORTH_WEST = ("E08000001", "E08000002")  # Bolton and Bury: the whole North West of this small England
OFSTED = {2023: "Ofsted provider_at_march_2023.csv (31 March 2023)",
          2025: "Ofsted provider_at_march_2025.csv (31 March 2025)"}
DFE_FILE = "la_cla_on_31_march_by_characteristics.csv (DfE LA table): Secure homes and children's homes"
# council, name, region, year, homes, places, private places, children looked after, children in homes
COUNCILS = [
    ("E08000001", "Bolton", "North West", 2023, 300, 1000, 400, 900, 480),
    ("E08000001", "Bolton", "North West", 2025, 321, 1234, 617, 950, 500),  # planted: 1,234 places, ratio 2.47
    ("E08000002", "Bury", "North West", 2023, 10, 40, 30, 300, 50),
    ("E08000002", "Bury", "North West", 2025, 12, 50, 40, 320, 60),
    ("E06000001", "Hartlepool", "North East", 2023, 8, 30, 10, 200, 20),
    ("E06000001", "Hartlepool", "North East", 2025, 9, 33, 11, 210, np.nan),  # children in homes not published
]
SOURCES = {"ofsted": ["provider_at_march_2023.csv (at 2023-03-31)", "provider_at_march_2025.csv (at 2025-03-31)"],
           "dfe": ["la_cla_on_31_march_by_characteristics.csv"], "ons": ["tiny_boundaries.geojson"]}


def _derived(table: pd.DataFrame) -> pd.DataFrame:
    """The ratio columns market_picture adds, from the hand-written counts."""
    table["private_share"] = table["places_private"] / table["places"]
    table["places_per_10k"] = table["places"] * 10_000 / table["population_0_17"]
    table["sufficiency_ratio"] = table["places"] / table["children_in_homes"]
    table["outside_la_share"] = table["children_placed_outside_la"] / table["children_looked_after"]
    table["over_20_miles_share"] = table["children_placed_over_20_miles"] / table["children_looked_after"]
    return table


def _councils() -> pd.DataFrame:
    rows = []
    for code, name, region, year, homes, places, private, looked_after, in_homes in COUNCILS:
        dfe_year = year if year < 2025 else 2024  # 2025's list is read beside the DfE's 2024 figures
        row = {"la_code": code, "la_name": name, "region": region, "year": year, "homes": float(homes),
               "places": float(places), "source": OFSTED[year], "places_health_authority": 0.0,
               "places_local_authority": float(places - private), "places_voluntary": 0.0,
               "places_private": float(private), "population_0_17": 100_000.0,
               "population_source": f"ONS mid-{year - 1} estimate, population.csv"}
        for column, value in (("children_looked_after", looked_after), ("children_in_homes", in_homes),
                              ("children_placed_outside_la", looked_after / 2),
                              ("children_placed_over_20_miles", looked_after / 10)):
            row[column] = float(value)
            row[f"{column}_year"] = float(dfe_year) if pd.notna(value) else np.nan
            row[f"{column}_source"] = DFE_FILE if pd.notna(value) else ""
        rows.append(row)
    table = _derived(pd.DataFrame(rows))
    table["places"] = table["places"].astype("Float64")  # as market_picture gives it: nullable
    return table


def _areas(councils: pd.DataFrame) -> pd.DataFrame:
    counts = ["homes", "places", "places_private", "places_local_authority", "places_voluntary",
              "places_health_authority", "population_0_17", "children_looked_after", "children_in_homes",
              "children_placed_outside_la", "children_placed_over_20_miles"]
    groups = [("england", "E92000001", "England", councils["la_code"].notna()),
              ("region", "E12000002", "North West", councils["region"].eq("North West")),
              ("region", "E12000001", "North East", councils["region"].eq("North East"))]
    rows = []
    for level, code, name, mask in groups:
        for year, frame in councils[mask].groupby("year"):
            known = year == 2025  # 2023's list names no owners: concentration is not known that year
            row = {"level": level, "area_code": code, "area_name": name, "year": year, "councils": len(frame),
                   **{c: float(frame[c].astype(float).sum(min_count=len(frame))) for c in counts},
                   **{f"{c}_year": float(frame[f"{c}_year"].max()) for c in counts[7:]},
                   "owners": 3.0 if known else np.nan, "hhi": 3400.0 if known else np.nan,
                   "top_owner": "P1" if known else "", "top_owner_name": "Acme Homes Ltd" if known else "",
                   "top_share": 0.5 if known else np.nan, "top3_share": 0.9 if known else np.nan,
                   "owners_known": known, "source": OFSTED[year]}
            rows.append(row)
    return _derived(pd.DataFrame(rows))


def _owners() -> pd.DataFrame:
    return pd.DataFrame([
        {"year": 2025, "provider_id": "P1", "owner": "Acme Homes Ltd", "sector": "private", "homes": 30,
         "places": 600.0, "councils": 2, "source": OFSTED[2025], "share": 600 / 1317, "rank": 1, "first_year": 2025,
         "homes_first_year": 30.0, "places_first_year": 600.0, "largest_now": True}])


def _changes() -> pd.DataFrame:
    rows = [("council", "E08000001", 25, 4), ("council", "E08000002", 2, 0), ("council", "E06000001", 1, 0),
            ("england", "E92000001", 28, 4)]
    return pd.DataFrame([{"level": level, "area_code": code, "from_year": 2023, "to_year": 2025,
                          "homes_joined": joined, "places_joined": 4.0 * joined, "homes_left": left,
                          "places_left": 4.0 * left, "private_joined": joined, "net_homes": joined - left,
                          "source": "Ofsted provider_at_march_2023.csv and provider_at_march_2025.csv"}
                         for level, code, joined, left in rows])


@pytest.fixture(scope="module")
def market() -> Market:
    """Three councils, two lists: Bolton and Bury make the North West, Hartlepool the North East."""
    councils = _councils()
    return Market(councils, _areas(councils), _owners(), _changes(), SOURCES,
                  ("Places as registered, not vacancies.",))


@pytest.fixture(scope="module")
def boundaries() -> geopandas.GeoDataFrame:
    """Three squares in the north of England, one per council (WGS84 lon/lat, as read_boundaries gives them)."""
    return geopandas.GeoDataFrame({"la_code": ["E08000001", "E08000002", "E06000001"],
                                   "la_name": ["Bolton", "Bury", "Hartlepool"]},
                                  geometry=[box(-2.6, 53.5, -2.4, 53.65), box(-2.4, 53.5, -2.2, 53.65),
                                            box(-1.3, 54.6, -1.1, 54.75)], crs="EPSG:4326")


@pytest.fixture(scope="module")
def workbook(market, tmp_path_factory):
    """The workbook of the small market with the North West highlighted, opened with openpyxl."""
    path = write_market_workbook(tmp_path_factory.mktemp("xlsx") / "market.xlsx", market, NORTH_WEST)
    return load_workbook(path)


@pytest.fixture(scope="module")
def report(market, boundaries, tmp_path_factory) -> str:
    """The report of the small market with boundaries and the North West highlighted."""
    return write_market_report(tmp_path_factory.mktemp("html") / "market.html", market, NORTH_WEST,
                               boundaries=boundaries).read_text(encoding="utf-8")


def _row_of(sheet, *values) -> int:
    """The first row whose leading cells are `values`."""
    for row in sheet.iter_rows():
        if tuple(c.value for c in row[:len(values)]) == values:
            return row[0].row
    raise AssertionError(f"no row starting {values} in {sheet.title}")


def _column_of(sheet, heading: str, header_row: int = 1) -> int:
    for cell in sheet[header_row]:
        if cell.value == heading:
            return cell.column
    raise AssertionError(f"no column {heading!r} in {sheet.title}")


def _without_svg(text: str) -> str:
    return re.sub(r"<svg.*?</svg>", "", text, flags=re.DOTALL)


def test_workbook_has_the_sheets_and_native_charts(workbook):
    """The six sheets in order, line charts and the lowest-ratio bar chart on Summary, a column chart of joiners."""
    assert workbook.sheetnames == SHEETS
    summary = [type(c).__name__ for c in workbook["Summary"]._charts]
    assert summary.count("LineChart") >= 5 and "BarChart" in summary
    assert [type(c).__name__ for c in workbook["Joiners and leavers"]._charts] == ["BarChart"]
    assert all(len(chart.series) > 0 for chart in workbook["Summary"]._charts)


def test_workbook_formats_a_planted_figure(workbook):
    """Bolton's 2025 places (1234) are a count with thousands separators, its private share (617 of 1234) a
    percentage and its sufficiency ratio (1234 places / 500 children) a ratio to 2 dp."""
    sheet = workbook["Councils"]
    row = _row_of(sheet, "Bolton", "E08000001", "North West", 2025)
    places = sheet.cell(row, _column_of(sheet, "places (places)"))
    share = sheet.cell(row, _column_of(sheet, "private share of places (%)"))
    ratio = sheet.cell(row, _column_of(sheet, "sufficiency ratio (places per child in homes)"))
    assert (places.value, places.number_format) == (1234, "#,##0")
    assert (share.value, share.number_format) == (0.5, "0.0%")
    assert ratio.value == pytest.approx(2.468) and ratio.number_format == "0.00"
    assert sheet.freeze_panes == "B2"


def test_workbook_leaves_missing_values_blank(workbook):
    """Hartlepool's 2025 children in homes are not published: its ratio cell is empty, and no cell anywhere reads
    nan, None or <NA>."""
    sheet = workbook["Councils"]
    row = _row_of(sheet, "Hartlepool", "E06000001", "North East", 2025)
    assert sheet.cell(row, _column_of(sheet, "sufficiency ratio (places per child in homes)")).value is None
    words = {str(c.value).strip().lower() for ws in workbook for r in ws.iter_rows() for c in r if c.value is not None}
    assert not words & {"nan", "none", "<na>"}


def test_workbook_puts_the_highlighted_councils_first(workbook):
    """The Councils sheet starts with Bolton and Bury, the highlighted region, before Hartlepool."""
    names = [workbook["Councils"].cell(r, 1).value for r in range(2, 8)]
    assert names == ["Bolton"] * 2 + ["Bury"] * 2 + ["Hartlepool"] * 2


def test_workbook_summary_sets_the_region_beside_england(workbook):
    """The headline has a North West column; England's 2025 homes are 321 + 12 + 9 = 342."""
    sheet = workbook["Summary"]
    header = _row_of(sheet, "measure", "England", "North West")
    row = _row_of(sheet, "Children's homes, 31 March 2025")
    assert row == header + 1
    assert [sheet.cell(row, c).value for c in (2, 3)] == [342, 333]


def test_workbook_leaves_years_without_owners_as_gaps(workbook):
    """2023's list names no owners: its HHI in the chart data is blank, not zero, and 2025's is there."""
    sheet = workbook["Regions"]
    title = _row_of(sheet, "Chart data: Owner concentration of independent places (HHI 0-10,000)")
    england = _column_of(sheet, "England", header_row=title + 1)
    assert sheet.cell(title + 2, 1).value == 2023 and sheet.cell(title + 2, england).value is None
    assert sheet.cell(title + 3, 1).value == 2025 and sheet.cell(title + 3, england).value == 3400


def test_report_draws_the_maps_when_boundaries_are_given(market, report, tmp_path):
    """With boundaries the report has two more SVG figures (the maps) than without, and no missing-file
    sentence."""
    without = write_market_report(tmp_path / "no_maps.html", market, NORTH_WEST).read_text(encoding="utf-8")
    assert report.count("<svg") == without.count("<svg") + 2
    assert "Sufficiency ratio by council, 2025" in report and "Private share of places by council" in report
    assert NO_BOUNDARIES not in report


def test_report_without_boundaries_says_the_maps_need_them(market, tmp_path):
    """Without boundaries the report says the maps need the ONS boundaries file and draws none."""
    text = write_market_report(tmp_path / "market.html", market).read_text(encoding="utf-8")
    assert "The maps need the ONS council boundaries file" in text
    assert "Sufficiency ratio by council" not in text


def test_report_shows_the_region_and_the_planted_figures(report):
    """The North West is named beside England, and Bolton's 1,234 places, 50.0% private and ratio 2.47 appear."""
    text = _without_svg(report)
    assert "Headline figures: England and North West" in text
    assert re.search(r"<td>Bolton</td><td>North West</td><td class='n'>321</td><td class='n'>1,234</td>"
                     r"<td class='n'>50.0%</td>", text)
    assert "<td class='n'>2.47</td>" in text
    assert "DfE 2024, la_cla_on_31_march_by_characteristics.csv" in text


def test_report_lists_the_sources_and_notes(report):
    """Every file in market.sources, the notes, and the Ofsted file and date of the council tables appear."""
    text = _without_svg(report).replace("<wbr>", "")
    for files in SOURCES.values():
        for file in files:
            assert file in text
    assert "Places as registered, not vacancies." in text
    assert "Sources: Ofsted provider_at_march_2025.csv (31 March 2025); DfE 2024" in text


def test_report_is_self_contained(report):
    """No script, no stylesheet or font fetched: every href, src and url() points inside the document (an id, or
    the colour bars' gradients inlined as data: images)."""
    assert "<script" not in report.lower() and "<link" not in report.lower() and "@import" not in report
    references = (re.findall(r"""(?:href|src)\s*=\s*["']([^"']*)["']""", report)
                  + re.findall(r"url\(([^)]*)\)", report))
    assert references and all(r.strip("'\" ").startswith(("#", "data:")) for r in references)
    assert not re.search(r"""(?:href|src)\s*=\s*["']?\s*(?:https?:)?//""", report)


def test_report_never_prints_nan(report):
    """Missing figures show as blank or 'not published', never nan, None or <NA>."""
    text = _without_svg(report)
    assert not re.search(r"\bnan\b|\bNone\b|&lt;NA&gt;", text)
    assert "not published" in text  # England's 2025 ratio: Hartlepool's count is missing, so the sum is unknown


# --- the real data -----------------------------------------------------------------------------------------------

HOME_KINDS = {"children's home", "secure children's home",
              "residential special school (registered as a children's home)"}
WALES = {"blaenau gwent", "bridgend", "caerphilly", "cardiff", "carmarthenshire", "ceredigion", "conwy",
         "denbighshire", "flintshire", "gwynedd", "isle of anglesey", "merthyr tydfil", "monmouthshire",
         "neath port talbot", "newport", "pembrokeshire", "powys", "rhondda cynon taf", "swansea", "torfaen",
         "vale of glamorgan", "wrexham"}


def _latest_homes_in_england() -> tuple[int, int]:
    """(year, children's homes) counted straight from the newest provider_at_march_YYYY.csv, without rcc."""
    lists = sorted(PUBLIC_DATA.glob("ofsted/provider_at_march_*.csv"), key=lambda p: int(re.findall(r"\d{4}",
                                                                                                    p.name)[-1]))
    path = lists[-1]
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            rows = list(csv.reader(file))
    except UnicodeDecodeError:  # some years of this publication are cp1252
        with path.open(encoding="cp1252", newline="") as file:
            rows = list(csv.reader(file))
    header_at = next(i for i, row in enumerate(rows) if any(c.strip() == "Provision type" for c in row))
    header = [c.strip() for c in rows[header_at]]
    kind, status, council = (header.index(n) for n in ("Provision type", "Registration status", "Local authority"))
    count = sum(1 for row in rows[header_at + 1:] if len(row) > council
                and row[kind].strip().lower() in HOME_KINDS and row[status].strip() in ("Active", "Suspended")
                and row[council].strip().lower() not in WALES)
    return int(re.findall(r"\d{4}", path.name)[-1]), count


def test_real_data_writes_both_files_with_englands_homes(tmp_path):
    """On the published Ofsted, DfE and ONS files, both files are written with Greater Manchester highlighted and
    show England's latest number of children's homes, counted independently from the newest provider list."""
    from data.public.read import read_public_data
    from optimiser.market import market_picture

    assert PUBLIC_DATA.is_dir(), f"the real public data must sit beside the repository: {PUBLIC_DATA}"

    public = read_public_data(PUBLIC_DATA)
    market = market_picture(public)
    greater_manchester = [f"E080000{n:02d}" for n in range(1, 11)]
    year, homes = _latest_homes_in_england()
    book = load_workbook(write_market_workbook(tmp_path / "market.xlsx", market, greater_manchester))
    summary = book["Summary"]
    row = _row_of(summary, f"Children's homes, 31 March {year}")
    assert summary.cell(row, 2).value == homes and summary.cell(row, 2).number_format == "#,##0"
    text = write_market_report(tmp_path / "market.html", market, greater_manchester,
                               boundaries=public.boundaries).read_text(encoding="utf-8")
    assert f"<div class='value'>{homes:,}</div>" in text
    assert "Greater Manchester" in text and NO_BOUNDARIES not in text


def test_both_documents_show_the_owners_meeting_the_rule(market, tmp_path):
    """A hand-made owner holding 6 of Bolton's 20 independent places (30%, the council rule exactly) is a row of the
    workbook's Difficult to replace sheet, its share formatted as a percentage, and of the report's section, with
    the note that the children and re-housing parts are not applied."""
    import dataclasses

    from optimiser.flags.params import ReplaceParams
    from optimiser.national import owners_meeting_rule, replace_note

    homes = ([("Owner A Ltd", "E08000001", 6)] + [(f"small {k}", "E08000001", 1) for k in range(14)]
             + [(f"other {k}", "E08000002", 1) for k in range(30)])
    supply = pd.DataFrame([{"owner": o, "owner_name": o, "sector": "private", "la_code": la, "region": "North West",
                            "market": "childrens_home", "places": float(n)} for o, la, n in homes])
    table = owners_meeting_rule(supply, ReplaceParams(), pd.Series({"E08000001": "Bolton"}), "Ofsted test list")
    assert list(table["owner_name"]) == ["Owner A Ltd"]
    planted = dataclasses.replace(market, difficult_to_replace=table, notes=market.notes + (replace_note(),))
    sheet = load_workbook(write_market_workbook(tmp_path / "market.xlsx", planted))["Difficult to replace"]
    row = _row_of(sheet, "Owner A Ltd")
    share = sheet.cell(row, _column_of(sheet, "share of that council's independent places (%)", header_row=4))
    assert share.value == pytest.approx(0.30) and share.number_format == "0.0%"
    text = write_market_report(tmp_path / "market.html", planted).read_text(encoding="utf-8")
    section = _without_svg(text).split("Difficult to replace: owners meeting")[1].split("<h2>")[0]
    assert "Owner A Ltd" in section and "30.0%" in section and "not applied" in section
