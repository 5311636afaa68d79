"""--strict: an answer the solver could not prove within gap_warning is a warning line without it, and exit 5 with
it, for `rcc match` and `rcc monthly`; a proven answer exits 0 either way. The solver's verdict is forced here
(the time a solver needs is not something a test can pin), so what is checked is what the commands make of it."""

from __future__ import annotations

import pytest

import optimiser.match as match_module
from app.cli import main
from tests.monthly_regions import two_councils, write
from tests.test_monthly import FAST

NOT_PROVEN = 5


def _unproven(result, params):
    return {"solver_status": "feasible", "solver_gap": 0.25, "gap_too_wide": True}


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    return write(two_councils(), tmp_path_factory.mktemp("region") / "in")


@pytest.mark.parametrize("strict", [False, True], ids=["warned", "strict"])
def test_match_with_an_unproven_answer_warns_and_exits_5_when_strict(region, tmp_path, capsys, monkeypatch, strict):
    monkeypatch.setattr(match_module, "solve_quality", _unproven)
    args = ["match", str(region), "--out", str(tmp_path / "o")] + (["--strict"] if strict else [])
    assert main(args) == (NOT_PROVEN if strict else 0)
    out = capsys.readouterr().out
    assert "WARNING" in out and "25.0%" in out
    assert (tmp_path / "o" / "allocations.csv").exists()


def test_match_with_a_proven_answer_exits_0_when_strict(region, tmp_path, capsys):
    assert main(["match", str(region), "--out", str(tmp_path / "o"), "--strict"]) == 0
    assert "WARNING" not in capsys.readouterr().out


def test_monthly_with_an_unproven_answer_publishes_the_month_and_exits_5_when_strict(region, tmp_path, capsys,
                                                                                    monkeypatch):
    monkeypatch.setattr(match_module, "solve_quality", _unproven)
    out = tmp_path / "out"
    assert main(["monthly", str(region), "--out", str(out), "--params", str(FAST), "--strict"]) == NOT_PROVEN
    printed = capsys.readouterr().out
    assert "WARNING" in printed and "25.0%" in printed
    months = [p for p in out.iterdir() if p.name[:4].isdigit()]
    assert len(months) == 1 and (months[0] / "allocations.csv").exists()
