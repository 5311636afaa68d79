"""`rcc strategy` end to end on a small region with SSDA903 history: the files, the workbook's sheets, frozen
headers and native charts, and the report's figures."""

from __future__ import annotations

import json
import re
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from app.cli import main
from tests.builders import AUTHORITY, SECOND_AUTHORITY, referral_rows, settings_rows, write_region
from tests.forecast_history import simulate_903

FAST_FORECAST = "paths = 40\n"
SHEETS = ["Summary", "Demand vs supply", "Gaps", "Actions", "Renegotiate", "Councils", "Assumptions", "Options"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One strategy run over four quarters on two councils with a private home, agency and in-house carers."""
    base = tmp_path_factory.mktemp("strategy")
    history = simulate_903(seed=5, months=40, start_stock=200)
    settings = settings_rows({"places": 6, "vacancies": 1},
                             {"setting_type": "foster_ifa", "places": 20, "vacancies": 2, "weekly_fee": 800},
                             {"setting_type": "foster_inhouse", "provider_id": "LA-E08000003", "places": 30,
                              "vacancies": 3, "weekly_fee": 500})
    providers = [{"provider_id": "P1", "provider_name": "Provider One", "sector": "private"},
                 {"provider_id": "LA-E08000003", "provider_name": "Manchester", "sector": "local_authority"}]
    children = [{"child_id": f"K{i}", "la_code": la, "current_setting_id": setting, "weekly_cost": fee,
                 "home_lat": 53.46, "home_lon": -2.25}
                for i, (la, setting, fee) in enumerate(
                    [(AUTHORITY["la_code"], "S1", 5600)] * 4 + [(SECOND_AUTHORITY["la_code"], "S1", 5900)] * 2
                    + [(AUTHORITY["la_code"], "S2", 820)] * 10 + [(AUTHORITY["la_code"], "S3", 500)] * 20)]
    folder = write_region(base / "region", settings=settings, referrals=referral_rows({}), children=children,
                          providers=providers, **{n: f.to_dict("records") for n, f in history.items()})
    (base / "forecast.toml").write_text(FAST_FORECAST)
    out = base / "out"
    code = main(["strategy", str(folder), "--out", str(out), "--horizon-quarters", "4", "--quantile", "0.8",
                 "--forecast-params", str(base / "forecast.toml")])
    return code, out


def test_cli_writes_every_output_and_a_run_record(run, capsys):
    """`rcc strategy` exits 0 and writes the workbook, the report, the plan's CSVs and strategy_run.json with the
    parameters, input hash, solver reports and the expected saving."""
    code, out = run
    assert code == 0
    for name in ("strategy.xlsx", "strategy.html", "strategy_actions.csv", "strategy_balance.csv",
                 "strategy_risk.csv", "strategy_comparison.csv", "strategy_options.csv",
                 "strategy_renegotiate.csv", "strategy_sharing.csv", "strategy_run.json"):
        assert (out / name).exists(), name
    record = json.loads((out / "strategy_run.json").read_text())
    assert record["job"] == "strategy" and len(record["input"]["input_hash"]) == 64
    assert record["parameters"]["horizon_quarters"] == 4 and record["parameters"]["quantile"] == 0.8
    assert record["solvers"]["two_stage"]["status"] in ("optimal", "feasible")
    costs = record["expected_costs"]
    assert record["summary"]["expected_saving"] == pytest.approx(
        costs["do_nothing"]["cash"] - costs["two_stage"]["cash"], abs=0.05)
    assert set(record["accounts"]["gain_by_council"]) == {AUTHORITY["la_code"], SECOND_AUTHORITY["la_code"]}
    councils = pd.read_excel(out / "strategy.xlsx", sheet_name="Councils", header=1, nrows=2)
    assert councils["council"].tolist() == [AUTHORITY["la_name"], SECOND_AUTHORITY["la_name"]]
    assert record["sharing"]["rule"] == "use" and record["sharing"]["parameters"]["sharing_rule"] == "use"
    sharing = pd.read_csv(out / "strategy_sharing.csv")
    assert sharing["share"].sum() == pytest.approx(1.0)
    commissioned = pd.read_csv(out / "strategy_actions.csv").query("kind != 'step_down'")
    assert sharing["pays_commissioning"].sum() == pytest.approx(
        commissioned["capital_cost"].sum() + commissioned["running_cost"].sum(), rel=1e-6)
    balance = pd.read_csv(out / "strategy_balance.csv")
    assert set(balance["quarter"]) == {1, 2, 3, 4}
    assert record["in_sample_expected_objective"]["two_stage"] <= record["in_sample_expected_objective"]["quantile"] + 1


def test_workbook_has_its_sheets_frozen_headers_units_and_native_charts(run):
    """strategy.xlsx opens with the agreed sheets, every sheet's header frozen and printed one page wide, units in
    the headings, and native
    Excel charts (chart parts in the file, drawn on the Summary, Demand vs supply, Gaps and Actions sheets)."""
    _, out = run
    book = load_workbook(out / "strategy.xlsx")
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        assert sheet.freeze_panes not in (None, "A1"), sheet.title
        # printed for a board pack: landscape, fitted to the page width (1, the default) and any height (0)
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToHeight == 0, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
    headings = [c.value for c in book["Demand vs supply"][1]]
    assert "demand, mean (children)" in headings and "commissioned by the plan (places)" in headings
    actions = [c.value for c in book["Actions"][1]]
    assert "capital and one-off (£)" in actions and "cost per place (£ per week)" in actions
    with zipfile.ZipFile(out / "strategy.xlsx") as archive:
        charts = [n for n in archive.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        drawings = [n for n in archive.namelist() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)]
    assert len(charts) == 4 and len(drawings) == 4
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows(min_row=4, max_row=20)}
    record = json.loads((out / "strategy_run.json").read_text())
    assert summary["Expected saving"] == pytest.approx(record["summary"]["expected_saving"])


def test_report_is_self_contained_and_states_the_figures(run):
    """strategy.html carries its charts as inline SVG, fetches nothing, and states the saving and costs of the
    run record."""
    _, out = run
    text = (out / "strategy.html").read_text()
    record = json.loads((out / "strategy_run.json").read_text())
    s = record["summary"]
    assert text.count("<svg") == 4 and "<script" not in text
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?https?:""", text)
    assert f"£{s['expected_saving'] / 1e6:,.1f}m" in text
    assert f"£{s['do_nothing_expected_cash_cost'] / 1e6:,.1f}m" in text
    assert "Providers to renegotiate with" in text and "@media print" in text


def test_bad_strategy_parameters_exit_two(tmp_path, capsys):
    """A strategy parameters file with a typo stops before any work, naming the key."""
    params = tmp_path / "strategy.toml"
    params.write_text("quantil = 0.9\n")
    assert main(["strategy", "--out", str(tmp_path / "out"), "--params", str(params)]) == 2
    assert "quantil" in capsys.readouterr().err and not (tmp_path / "out").exists()
