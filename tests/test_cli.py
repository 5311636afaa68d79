"""The `rcc` command line: exit codes, printed tables, written files, and help with examples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from app.cli import build_parser, main
from data.schema import TABLES
from optimiser.match.allocation import ALLOCATION_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"


def test_validate_clean_region_exits_zero(capsys):
    """A clean region prints no problems and exits 0."""
    assert main(["validate", str(FIXTURES / "valid-region")]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_validate_broken_region_prints_table_and_exits_one(tmp_path, capsys):
    """A broken file exits 1 and the printed table names file, row, column, value and rule."""
    folder = tmp_path / "region"
    shutil.copytree(FIXTURES / "valid-region", folder)
    shutil.copy(FIXTURES / "defects" / "settings__vacancies_exceed_places.csv", folder / "settings.csv")
    assert main(["validate", str(folder), "--out", str(tmp_path / "issues.csv")]) == 1
    out = capsys.readouterr().out
    assert "settings.csv" in out and "vacancies exceed places" in out and "1 error(s)" in out
    issues = pd.read_csv(tmp_path / "issues.csv")
    assert issues.iloc[0][["file", "row", "column", "value"]].tolist() == ["settings.csv", 3, "vacancies", 3]


def test_template_writes_every_table_and_a_workbook(tmp_path):
    """Templates have each table's columns, and the workbook has a guide sheet plus one sheet per table."""
    assert main(["template", str(tmp_path)]) == 0
    for table in TABLES.values():
        assert pd.read_csv(tmp_path / table.file_name).columns.tolist() == table.column_names
    book = openpyxl.load_workbook(tmp_path / "region-template.xlsx")
    assert book.sheetnames == ["guide", *TABLES]
    guide = pd.read_excel(tmp_path / "region-template.xlsx", sheet_name="guide")
    assert len(guide) == sum(len(t.columns) for t in TABLES.values())


def test_match_writes_allocations_and_run_record(tmp_path, capsys):
    """`rcc match` writes allocations.csv with the DATA.md columns and a run.json with parameters and status."""
    out = tmp_path / "out"
    assert main(["match", str(FIXTURES / "valid-region"), "--out", str(out)]) == 0
    allocations = pd.read_csv(out / "allocations.csv", keep_default_na=False)
    assert allocations.columns.tolist() == ALLOCATION_COLUMNS
    assert set(allocations["status"]) <= {"matched", "unmatched"}
    assert (allocations.loc[allocations["status"] == "unmatched", "reason"] != "").all()
    assert (out / "explanations.csv").exists() and (out / "gap.csv").exists()
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "optimal" and run["parameters"]["cost_per_km"] == 25.0 and run["solver"] == "fast"
    assert len(run["input"]["input_hash"]) == 64
    printed = capsys.readouterr().out
    assert f"referrals            {len(allocations)}" in printed and "total weekly cost" in printed


def test_match_on_invalid_region_exits_one_with_the_problems(tmp_path, capsys):
    """A region with errors is not matched: the errors are printed with their rows, and nothing is written."""
    folder = tmp_path / "region"
    shutil.copytree(FIXTURES / "valid-region", folder)
    shutil.copy(FIXTURES / "defects" / "referrals__unknown_need.csv", folder / "referrals.csv")
    assert main(["match", str(folder), "--out", str(tmp_path / "out")]) == 1
    assert "referrals.csv row 2, column needs" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_every_command_has_help_with_an_example(capsys):
    """Each subcommand's --help shows an example command line."""
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name in commands:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        assert "example:\n  rcc " + name in capsys.readouterr().out


def test_match_with_parameters_that_cannot_work_says_why(tmp_path, capsys):
    """A penalty below a placement's cost is refused with a one-line error naming the fix, not a traceback."""
    params = tmp_path / "p.toml"
    params.write_text("unmatched_penalty = 100.0\n")
    assert main(["match", str(FIXTURES / "valid-region"), "--out", str(tmp_path / "o"), "--params", str(params)]) == 2
    assert "raise it in the parameters file" in capsys.readouterr().err
