"""`rcc flags`: the files it writes, the printed summary, and step-down proposals on the embedded region."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from app.cli import main
from optimiser.flags import FLAG_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
EMBEDDED = ROOT / "data" / "regions" / "greater-manchester"


def test_flags_writes_flags_csv_summary_and_run_record(tmp_path, capsys):
    """A full run (matcher and stress test) writes flags.csv with DATA.md's columns, the evidence tables and
    flags_run.json, and prints counts per flag type, unregistered spend and the stress test."""
    out = tmp_path / "out"
    assert main(["flags", str(FIXTURES / "valid-region"), "--out", str(out), "--run-date", "2026-11-22"]) == 0
    flags = pd.read_csv(out / "flags.csv", keep_default_na=False)
    assert flags.columns.tolist() == FLAG_COLUMNS and len(flags) >= 2
    for name in ("unregistered_summary.csv", "margins.csv", "fees.csv", "concentration.csv", "stress_test.csv"):
        assert (out / name).exists(), name
    printed = capsys.readouterr().out
    assert "weekly spend on unregistered settings: £0" in printed
    assert "stress test: if Northern Care Group left, 2 children would need a new home" in printed
    assert re.search(r"^\s+1\s+provider_exit_stress", printed, re.MULTILINE)
    run = json.loads((out / "flags_run.json").read_text())
    assert run["job"] == "flags" and run["run_date"] == "2026-11-22" and len(run["input"]["input_hash"]) == 64
    assert run["parameters"]["profit"]["benchmark_margin"] == 0.226
    assert run["summary"]["stress_test"]["children_displaced"] == 2


def test_bad_parameters_exit_two(tmp_path, capsys):
    """A parameters file with a typo stops before any work, naming the key."""
    params = tmp_path / "flags.toml"
    params.write_text("[profit]\nbenchmark = 0.2\n")
    assert main(["flags", str(FIXTURES / "valid-region"), "--out", str(tmp_path), "--params", str(params)]) == 2
    assert "profit.benchmark" in capsys.readouterr().err


def test_embedded_region_every_unlawful_child_gets_a_registered_home_or_a_reason(tmp_path, capsys):
    """On the embedded region, each unregistered child's action proposes an active registered setting from the
    regional match, or says why no registered home can take them."""
    out = tmp_path / "out"
    assert main(["flags", str(EMBEDDED), "--out", str(out), "--run-date", "2026-11-22", "--no-stress"]) == 0
    flags = pd.read_csv(out / "flags.csv", keep_default_na=False)
    settings = pd.read_csv(EMBEDDED / "settings.csv", keep_default_na=False).set_index("setting_id")
    children = flags[flags["flag"].isin(["unregistered_placement", "under_16_supported", "secure_need_unmet"])]
    assert len(children) >= 25
    for action in children["action"]:
        proposed = re.match(r"Move the child to (\w+), a registered", action)
        if proposed:
            assert settings.at[proposed.group(1), "registration_status"] == "active"
        else:
            assert action.startswith("No registered home can take the child today: ")
    summary = pd.read_csv(out / "unregistered_summary.csv").set_index(["level", "id"])
    spend = summary.at[("region", "region"), "weekly_spend"]
    assert f"weekly spend on unregistered settings: £{spend:,.0f}" in capsys.readouterr().out
