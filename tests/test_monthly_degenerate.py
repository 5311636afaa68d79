"""Small, degenerate and implausible months: one child, one council, no history, an empty settings file. Each
runs or stops with a reason and an input exit code, never an internal failure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from app.cli import main
from tests.monthly_regions import two_councils, write
from tests.test_monthly import FAST


def _one_child(t: dict[str, pd.DataFrame]) -> None:
    child = t["children"].iloc[[0]]
    cid, la = child["child_id"].iloc[0], child["la_code"].iloc[0]
    t["children"], t["referrals"] = child, t["referrals"][t["referrals"]["la_code"].eq(la)].iloc[[0]]
    for name in ("header", "episodes", "uasc"):
        t[name] = t[name][t[name]["CHILD"].eq(cid)]
    t["authorities"] = t["authorities"][t["authorities"]["la_code"].eq(la)]


def _region(tmp_path: Path, change) -> Path:
    tables = two_councils()
    change(tables)
    return write(tables, tmp_path / "region" / "two-councils")


def test_a_region_of_one_child_runs_the_whole_month(tmp_path, capsys):
    """One council, one child with one episode, one referral: forecast (seasons and trend held by a ridge, since
    one child's entries cannot identify them), match, flags and strategy all run and the summary says 1 child."""
    folder = _region(tmp_path, _one_child)
    assert main(["monthly", str(folder), "--out", str(tmp_path / "out"), "--params", str(FAST)]) == 0
    printed = capsys.readouterr().out
    assert "children in care     1;" in printed and "referrals            1:" in printed


def test_a_region_with_no_history_stops_saying_what_is_missing(tmp_path, capsys):
    """No SSDA903 history: exit 1, naming header.csv and episodes.csv; nothing is written."""
    def no_history(t):
        for name in ("header", "episodes", "uasc"):
            t[name] = t[name].iloc[:0]
    folder = _region(tmp_path, no_history)
    assert main(["monthly", str(folder), "--out", str(tmp_path / "out"), "--params", str(FAST)]) == 1
    err = capsys.readouterr().err
    assert "no SSDA903 history" in err and "episodes.csv" in err
    assert not (tmp_path / "out" / "runs.duckdb").exists()


def test_an_empty_settings_file_is_stopped_unless_accepted(tmp_path, capsys):
    """A header-only settings.csv is valid but implausible: the batch stops (exit 1) saying why and how to go on,
    storing nothing; with --accept-warnings it runs, and every child is then unmatched."""
    def no_settings(t):
        t["settings"] = t["settings"].iloc[:0]
        t["children"] = t["children"].assign(current_setting_id="")
        t["referrals"] = t["referrals"].assign(current_setting_id="")
    folder = _region(tmp_path, no_settings)
    out = tmp_path / "out"
    assert main(["monthly", str(folder), "--out", str(out), "--params", str(FAST)]) == 1
    err = capsys.readouterr().err
    assert "implausible" in err and "no settings at all" in err and "--accept-warnings" in err
    assert not (out / "runs.duckdb").exists()
    assert main(["monthly", str(folder), "--out", str(out), "--params", str(FAST), "--accept-warnings"]) == 0
    allocations = pd.read_csv(out / "2026-10" / "allocations.csv")
    assert allocations["status"].eq("unmatched").all()
