"""`rcc forecast` and `rcc backtest`: files written, summaries printed, malformed SSDA903 input explained."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from app.cli import main
from data.vocabulary import PLACEMENT_GROUPS
from forecasts.backtest import BACKTEST_COLUMNS
from forecasts.groups import AGE_BANDS
from tests.forecast_history import simulate_903, write_history_region

FAST = """paths = 40
[backtest]
origins = 2
paths = 20
horizons = [3, 6]
models = ["markov", "seasonal_naive"]
"""


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    folder = write_history_region(base / "region", simulate_903(seed=5, months=40, start_stock=200))
    (base / "fast.toml").write_text(FAST)
    return folder


def test_forecast_writes_the_demand_table_and_a_run_record(region, tmp_path, capsys):
    """`rcc forecast` writes forecast.csv (every council x group x age band x month) and forecast_run.json."""
    out = tmp_path / "out"
    code = main(["forecast", str(region), "--horizon", "6", "--out", str(out), "--seed", "3",
                 "--params", str(region.parent / "fast.toml")])
    assert code == 0
    demand = pd.read_csv(out / "forecast.csv")
    assert demand.columns.tolist() == ["la_code", "group", "age_band", "month", "mean", "p10", "p50", "p90",
                                       "weekly_cost"]
    assert len(demand) == 2 * len(PLACEMENT_GROUPS) * len(AGE_BANDS) * 6
    assert demand["month"].min() == "2021-05-01" and demand["month"].nunique() == 6
    run = json.loads((out / "forecast_run.json").read_text())
    assert run["parameters"]["seed"] == 3 and run["parameters"]["paths"] == 40
    assert len(run["input"]["input_hash"]) == 64
    assert run["reference_window"] == ["2019-04", "2021-04"] and run["preparation"]["placement_group"] > 0
    assert set(run["timings"]) >= {"prepare_s", "fit_s", "simulate_s", "total_s"}
    assert pd.read_csv(out / "forecast_costs.csv")["annual_cost"].gt(0).any()
    flows = pd.read_csv(out / "history_flows.csv", keep_default_na=False)
    assert set(flows["kind"]) == {"entry", "exit", "move", "ageing"}
    assert pd.read_csv(out / "history_stocks.csv")["stock"].sum() > 0
    assert {"exit", "move", "ageing"} == set(pd.read_csv(out / "forecast_rates.csv")["rate"])
    printed = capsys.readouterr()
    assert "children in care now" in printed.out and "Simulating 40 paths" in printed.err


def test_forecast_with_a_scenario_records_it(region, tmp_path):
    """--scenario applies a TOML scenario and the run record names it."""
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "fewer entries"\n[levers]\nfgdm_diversion = 0.5\n')
    out = tmp_path / "out"
    assert main(["forecast", str(region), "--horizon", "3", "--out", str(out), "--scenario", str(scenario),
                 "--params", str(region.parent / "fast.toml")]) == 0
    assert json.loads((out / "forecast_run.json").read_text())["scenario"]["name"] == "fewer entries"


def test_backtest_writes_scores_and_prints_the_regional_table(region, tmp_path, capsys):
    """`rcc backtest` writes backtest.csv with the agreed columns and prints regional MASE and coverage."""
    out = tmp_path / "out"
    assert main(["backtest", str(region), "--out", str(out), "--params", str(region.parent / "fast.toml")]) == 0
    table = pd.read_csv(out / "backtest.csv", keep_default_na=False)
    assert table.columns.tolist() == BACKTEST_COLUMNS
    assert set(table["model"]) == {"markov", "seasonal_naive"} and set(table["horizon"]) == {3, 6}
    assert {"region", "E08000003"} <= set(table["la_code"]) and "all" in set(table["group"])
    printed = capsys.readouterr().out
    assert "Whole region, all groups" in printed and "markov" in printed


def _broken(region, tmp_path, name, edit):
    folder = tmp_path / "broken"
    shutil.copytree(region, folder)
    frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
    edit(frame).to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.mark.parametrize("name, edit, message", [
    ("episodes", lambda f: f.drop(columns="RNE"), "episodes.csv, column RNE"),
    ("episodes", lambda f: f.iloc[:0], "no SSDA903 history"),
])
def test_malformed_903_files_give_clear_messages(region, tmp_path, capsys, name, edit, message):
    """A whole SSDA903 file that cannot be used stops with exit code 1 and a message naming the file (and column),
    never a traceback."""
    folder = _broken(region, tmp_path, name, edit)
    assert main(["forecast", str(folder), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, edit, rule", [
    ("episodes", lambda f: f.assign(PLACE=f["PLACE"].mask(f.index == 4, "Q9")), "must be one of"),
    ("episodes", lambda f: f.assign(DECOM=f["DECOM"].mask(f.index == 0, "31/02/2020")), "must be a date"),
    ("header", lambda f: f.assign(DOB=f["DOB"].mask(f.index == 0, "2025-12-01")),
     "episode starts before the child's date of birth"),
])
def test_a_bad_record_leaves_its_child_out_and_says_so(region, tmp_path, capsys, name, edit, rule):
    """One bad record (a code, a date, a birth after the child's first episode): the forecast goes on without that
    child, whose id is the bad record's, saying one child and their episodes (counted here) were left out and
    why; the run record says the same."""
    folder = _broken(region, tmp_path, name, edit)
    table = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
    child = table["CHILD"].iloc[4 if "PLACE" in rule or rule == "must be one of" else 0]
    episodes = pd.read_csv(folder / "episodes.csv", dtype=str, keep_default_na=False)
    children = len(set(pd.read_csv(folder / "header.csv", dtype=str)["CHILD"]) | set(episodes["CHILD"]))
    out = tmp_path / "out"
    assert main(["forecast", str(folder), "--out", str(out), "--params", str(region.parent / "fast.toml")]) == 0
    printed = capsys.readouterr().out
    assert f"1 of {children:,} children" in printed and rule in printed
    excluded = json.loads((out / "forecast_run.json").read_text())["excluded"]
    assert excluded["children"] == 1 and excluded["episodes"] == int((episodes["CHILD"] == child).sum())


def test_bad_scenario_file_is_reported_not_raised(region, tmp_path, capsys):
    """A scenario with an unknown lever exits 2 with the file and the key in the message."""
    scenario = tmp_path / "bad.toml"
    scenario.write_text("[levers]\nmagic = 1\n")
    assert main(["forecast", str(region), "--scenario", str(scenario), "--out", str(tmp_path / "out")]) == 2
    assert "bad.toml" in capsys.readouterr().err
