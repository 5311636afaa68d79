"""Two monthly batches on one store, and a batch while another program holds the store open: one run commits, the
other waits or stops cleanly (exit 4, nothing written, and it says so truthfully), nothing is duplicated, and the
published folder is always the committed run's."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from app.batch.monthly import MonthlyParams, run_monthly
from app.history.store import RunStore
from tests.monthly_regions import two_councils, write
from tests.test_monthly import FAST, ROOT, folder_bytes, store_snapshot, with_new_margin

BUSY = 4


@pytest.fixture(scope="module")
def october(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("concurrency")
    tables = two_councils()
    folder = write(tables, base / "october" / "two-councils")
    run = run_monthly(folder, out_dir=base / "out", params=MonthlyParams.from_toml(FAST))
    return {"tables": tables, "folder": folder, "out": base / "out", "run": run}


@pytest.fixture
def out(october, tmp_path) -> Path:
    copy = tmp_path / "out"
    shutil.copytree(october["out"], copy, symlinks=True)
    return copy


def batch(folder: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app.cli", "monthly", str(folder), "--out", str(out), "--params",
                             str(FAST), *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> tuple[int, str]:
    stdout, stderr = process.communicate(timeout=600)
    return process.returncode, stdout + stderr


def test_two_batches_with_different_inputs_one_commits_the_other_stops_cleanly(october, out, tmp_path):
    """Two changed extracts of the same month started together: one run is stored and published; the other exits
    4 saying another run is in progress and that nothing was written, and indeed wrote nothing."""
    before = store_snapshot(out / "runs.duckdb")
    first = with_new_margin(october, tmp_path / "a")
    tables = {name: frame.copy() for name, frame in october["tables"].items()}
    tables["providers"].loc[0, "operating_profit"] = "123456"
    second = write(tables, tmp_path / "b" / "two-councils")
    processes = [batch(first, out), batch(second, out)]
    results = [finished(p) for p in processes]
    codes = sorted(code for code, _ in results)
    assert codes == [0, BUSY], results
    loser = next(text for code, text in results if code == BUSY)
    assert "another monthly run is in progress" in loser and "Nothing was written" in loser
    after = store_snapshot(out / "runs.duckdb")
    assert len(after["run_ids"]) == len(before["run_ids"]) + 1 and after["runs"] == before["runs"] + 1
    new_id = next(r for r in after["run_ids"] if r not in before["run_ids"])
    with RunStore(out / "runs.duckdb", read_only=True) as store:
        assert folder_bytes(out / "2026-10") == store.files(new_id)
        assert set(store.tables(new_id)) >= {"allocations", "flags", "forecast"}
    assert not list((out / ".runs").glob("*.partial-*"))


def test_a_second_batch_told_to_wait_reuses_the_first_ones_run(october, out, tmp_path):
    """The same changed extract twice at once, the second with --wait: the first computes and commits; the second
    waits for it and reuses the stored run; the run is stored once."""
    folder = with_new_margin(october, tmp_path / "same")
    before = store_snapshot(out / "runs.duckdb")
    first = batch(folder, out)
    time.sleep(1.5)  # the first holds the lock by now
    second = batch(folder, out, "--wait", "600")
    (code_a, text_a), (code_b, text_b) = finished(first), finished(second)
    assert (code_a, code_b) == (0, 0), text_a + text_b
    assert "reused" in text_b and "waiting" in text_b
    after = store_snapshot(out / "runs.duckdb")
    assert len(after["run_ids"]) == len(before["run_ids"]) + 1


def test_a_program_holding_the_store_open_delays_the_batch_and_does_not_fail_it(october, out, tmp_path):
    """A read-only `duckdb` connection (as the README's example opens) holds the store while the batch runs: the
    batch says plainly that another program holds it, waits, and commits once the reader lets go."""
    reader = duckdb.connect(str(out / "runs.duckdb"), read_only=True)
    process = batch(with_new_margin(october, tmp_path / "held"), out)
    deadline, seen = time.time() + 300, ""
    try:
        while time.time() < deadline and process.poll() is None:
            time.sleep(0.5)
            logs = sorted((out / "logs").glob("monthly-*.log"))
            seen = logs[-1].read_text() if logs else ""
            if "open in another program" in seen:
                break
    finally:
        reader.close()
    code, text = finished(process)
    assert "open in another program" in seen, text
    assert code == 0, text
    with RunStore(out / "runs.duckdb", read_only=True) as store:
        run_id = json.loads((out / "2026-10" / "monthly_run.json").read_text())["run_id"]
        assert store.has_run(run_id)
