"""A return with errors in some rows (forecasts/sound.py): `rcc validate` lists them all; the forecast goes on
with the children whose records are sound, saying how many children and episodes it left out and why, unless
they are more than max_excluded_share of the children, when it stops with that message."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from tests.forecast_history import simulate_903, write_history_region

DEMAND = Path(__file__).resolve().parents[2] / "shared" / "public-data" / "ssda903-samples" / "d2i-demand-model"


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    base = tmp_path_factory.mktemp("sound")
    folder = write_history_region(base / "region", simulate_903(seed=11, months=40, start_stock=200))
    (base / "fast.toml").write_text("paths = 40\n")
    (base / "lenient.toml").write_text("paths = 40\nmax_excluded_share = 0.5\n")
    return folder


def _break(region: Path, folder: Path, share: float) -> tuple[set[str], int, int]:
    """A copy whose episodes of every k-th child (about `share` of them) have an unreadable PLACE on their first
    row: (the children broken, the rows broken, those children's episodes), counted from the file."""
    shutil.copytree(region, folder)
    episodes = pd.read_csv(folder / "episodes.csv", dtype=str, keep_default_na=False)
    children = sorted(set(episodes["CHILD"]) | set(pd.read_csv(folder / "header.csv", dtype=str)["CHILD"]))
    every = round(1 / share)
    broken = set(children[::every])
    first = ~episodes.duplicated("CHILD") & episodes["CHILD"].isin(broken)
    episodes.loc[first, "PLACE"] = "Q9"
    episodes.to_csv(folder / "episodes.csv", index=False)
    return broken, int(first.sum()), int(episodes["CHILD"].isin(broken).sum())


def test_a_few_bad_children_are_left_out_and_validate_lists_every_row(region, tmp_path, capsys):
    """About 2% of the children with a bad code: validate lists every bad row (exit 1); the forecast leaves out
    exactly those children and their episodes (counted from the file) and says why."""
    broken, rows, episodes = _break(region, tmp_path / "r", 0.02)
    issues = tmp_path / "issues.csv"
    assert main(["validate", str(tmp_path / "r"), "--out", str(issues)]) == 1
    table = pd.read_csv(issues)
    bad = table[(table["severity"] == "error") & (table["column"] == "PLACE")]
    assert len(bad) == rows and bad["rule"].str.contains("must be one of").all()
    capsys.readouterr()
    out = tmp_path / "out"
    assert main(["forecast", str(tmp_path / "r"), "--out", str(out), "--params",
                 str(region.parent / "fast.toml")]) == 0
    printed = capsys.readouterr().out
    assert f"{len(broken):,} of" in printed and f"with {episodes:,} episodes, left out" in printed
    excluded = json.loads((out / "forecast_run.json").read_text())["excluded"]
    assert (excluded["children"], excluded["episodes"]) == (len(broken), episodes)


def test_too_many_bad_children_stop_the_forecast_unless_allowed(region, tmp_path, capsys):
    """About 10% of the children with a bad code: the forecast stops (exit 1) naming the share and the parameter;
    with max_excluded_share = 0.5 it goes on without them."""
    broken, _, _ = _break(region, tmp_path / "r", 0.1)
    assert main(["forecast", str(tmp_path / "r"), "--out", str(tmp_path / "out"), "--params",
                 str(region.parent / "fast.toml")]) == 1
    err = capsys.readouterr().err
    assert "the forecast stops" in err and f"{len(broken):,} of" in err and "max_excluded_share (5%)" in err
    assert not (tmp_path / "out").exists()
    assert main(["forecast", str(tmp_path / "r"), "--out", str(tmp_path / "out"), "--params",
                 str(region.parent / "lenient.toml")]) == 0


def test_a_bad_row_in_a_councils_own_return_leaves_its_child_out(tmp_path, capsys):
    """The demand model's returns in a region folder of one council, one episode's start unreadable in the 2019
    return: validate names that file and row with the DfE's rule 141; the forecast leaves that child out."""
    folder = tmp_path / "region"
    shutil.copytree(DEMAND, folder)
    pd.DataFrame([{"la_code": "E08000003", "la_name": "Manchester", "lat": 53.47, "lon": -2.23}]).to_csv(
        folder / "authorities.csv", index=False)
    with open(folder / "2019-episodes.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    rows[4]["DECOM"] = "31/02/2019"
    child = rows[4]["CHILD"]
    with open(folder / "2019-episodes.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    issues = tmp_path / "issues.csv"
    assert main(["validate", str(folder), "--out", str(issues)]) == 1
    table = pd.read_csv(issues)
    errors = table[table["severity"] == "error"]
    assert errors[["file", "row", "column"]].values.tolist() == [["2019-episodes.csv", 6, "DECOM"]]
    assert errors["rule"].iloc[0].startswith("DfE rule 141: Date episode began is not a valid date.")
    capsys.readouterr()
    params = tmp_path / "fast.toml"
    params.write_text("paths = 40\n")
    assert main(["forecast", str(folder), "--out", str(tmp_path / "out"), "--params", str(params)]) == 0
    excluded = json.loads((tmp_path / "out" / "forecast_run.json").read_text())["excluded"]
    assert excluded["children"] == 1 and "DfE rule 141: Date episode began is not a valid date." in excluded["reasons"]
    assert child  # the child whose row it is (its episodes are the ones counted)
