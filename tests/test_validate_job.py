"""`rcc validate` runs every check the jobs run: an SSDA903 problem only the forecast's preparation finds (an
episode before the child's birth) is reported by validate, and the forecast refuses the same region."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from app.cli import main

VALID = Path(__file__).resolve().parent / "fixtures" / "valid-region"


def test_validate_reports_the_history_errors_the_forecast_refuses(tmp_path, capsys):
    """One episode moved to before its child's birth: validate exits 1 naming episodes.csv row 2 and DECOM, and
    the forecast then refuses the region with the same rule; the valid fixture validates clean."""
    assert main(["validate", str(VALID)]) == 0
    assert "no problems found" in capsys.readouterr().out
    folder = tmp_path / "region"
    shutil.copytree(VALID, folder)
    episodes = pd.read_csv(folder / "episodes.csv", dtype=str, keep_default_na=False)
    episodes.loc[0, "DECOM"] = "2000-01-01"
    episodes.to_csv(folder / "episodes.csv", index=False)
    issues = tmp_path / "issues.csv"
    assert main(["validate", str(folder), "--out", str(issues)]) == 1
    table = pd.read_csv(issues)
    rule = "episode starts before the child's date of birth"
    hit = table[table["rule"].str.startswith(rule)]
    assert hit[["file", "row", "column", "severity"]].values.tolist() == [["episodes.csv", 2, "DECOM", "error"]]
    capsys.readouterr()
    assert main(["forecast", str(folder), "--out", str(tmp_path / "out")]) == 1
    assert rule in capsys.readouterr().err
