"""Retention (`rcc purge`, the monthly batch's `retention`): on a real monthly run's store, every row about a child
of an old run goes (found by plain SQL: any table with a child or referral id, the flags on children, the published
files), every aggregate stays, the diff of two purged runs still works, and young runs are left whole."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from app.batch.monthly import MonthlyParams, run_monthly
from app.cli import main
from app.history.retention import parse_age, purge
from app.history.store import RunStore
from data import EMBEDDED_REGION
from tests.dashboard_run import FAST_PARAMS, dashboard_run

ID_COLUMNS = ("child_id", "referral_id")
# Published files that list children one by one, named here independently of the output registry.
CHILD_FILES = {"allocations.csv", "baseline_allocations.csv", "explanations.csv", "fees.csv", "flags.csv",
               "preparation_issues.csv", "stress_test.csv", "validation.csv"}


@pytest.fixture
def store(tmp_path):
    """A copy of the session's real store: the embedded region's run (2026-10) and its earlier month (2026-09)."""
    run = dashboard_run()
    copy = tmp_path / "runs.duckdb"
    shutil.copy(run.store, copy)
    return copy


def counts(store, run_id: str) -> dict[str, int]:
    """Rows of every table for the run, and of the flags on children, by plain SQL."""
    with duckdb.connect(str(store), read_only=True) as con:
        names = [row[0] for row in con.execute(
            "select distinct table_name from information_schema.columns where column_name = 'run_id'").fetchall()]
        found = {name: con.execute(f'select count(*) from "{name}" where run_id = ?', [run_id]).fetchone()[0]
                 for name in names if name not in ("runs", "audit", "run_files")}  # files: files()
        found["flags on children"] = con.execute(
            "select count(*) from flags where run_id = ? and subject_type = 'child'", [run_id]).fetchone()[0]
    return found


def child_tables(store) -> set[str]:
    """Tables with a child or referral id column, from the database's own catalogue."""
    with duckdb.connect(str(store), read_only=True) as con:
        return {row[0] for row in con.execute(
            "select distinct table_name from information_schema.columns where column_name in (?, ?)",
            list(ID_COLUMNS)).fetchall()}


def files(store, run_id: str) -> set[str]:
    with duckdb.connect(str(store), read_only=True) as con:
        return {row[0] for row in con.execute("select name from run_files where run_id = ?", [run_id]).fetchall()}


def test_purge_removes_every_childs_row_of_old_runs_and_keeps_the_aggregates(store):
    """Both runs older than the limit: no row with a child or referral id, no flag on a child, no validation row
    and no child-level file is left; every other table keeps its rows; each run's record says what went."""
    run = dashboard_run()
    ids = (run.earlier_run_id, run.run_id)
    before = {run_id: counts(store, run_id) for run_id in ids}
    files_before = {run_id: files(store, run_id) for run_id in ids}
    people = child_tables(store)
    assert files_before[run.run_id] & CHILD_FILES  # the batch's run published them (its copy has no files)
    assert {"allocations", "baseline_allocations", "explanations", "fees", "stress_test"} <= people
    with RunStore(store) as s:
        purged = purge(s, "24m", as_of=date(2029, 1, 1))
    assert sorted(p["run_id"] for p in purged) == sorted(ids)
    for run_id in ids:
        after = counts(store, run_id)
        assert before[run_id]["allocations"] > 0 and before[run_id]["flags on children"] > 0
        gone = people | {"validation", "flags on children"}
        assert {name: after[name] for name in gone if name in after} == {name: 0 for name in gone if name in after}
        kept = {name: n for name, n in before[run_id].items() if name not in gone | {"flags"}}
        assert {name: after[name] for name in kept} == kept and sum(kept.values()) > 0
        assert after["flags"] == before[run_id]["flags"] - before[run_id]["flags on children"] > 0
        assert files(store, run_id) == files_before[run_id] - CHILD_FILES
        with RunStore(store, read_only=True) as s:
            record = s.run(run_id)["purged"]
        assert record["older_than"] == "24m"
        assert record["rows"] == {name: before[run_id]["flags on children" if name == "flags" else name]
                                  for name in record["rows"]}
        assert {name for name, n in record["rows"].items() if n} == {
            name for name in gone - {"flags on children"} if before[run_id].get(name)} | {"flags"}
    with RunStore(store) as s:
        assert purge(s, "24m", as_of=date(2029, 1, 1)) == []  # nothing left to purge


def test_the_diff_of_two_purged_runs_keeps_its_aggregates(store):
    """After purging both runs, the diff's headline, forecast drift and accuracy are what they were, its flags are
    the flags on settings and providers, and its children's table is empty."""
    run = dashboard_run()
    with RunStore(store, read_only=True) as s:
        whole = s.diff(run.earlier_run_id, run.run_id)
    with RunStore(store) as s:
        purge(s, "12m", as_of=date(2029, 1, 1))
        after = s.diff(run.earlier_run_id, run.run_id)
    for name in ("headline", "forecast_drift", "forecast_accuracy"):
        pd.testing.assert_frame_equal(after[name], whole[name])
    assert len(whole["children"]) > 0 and after["children"].empty
    market = whole["flags"][whole["flags"]["subject_type"].ne("child")].reset_index(drop=True)
    pd.testing.assert_frame_equal(after["flags"], market)


def test_young_runs_are_left_whole(store):
    """With the limit between the two months, only the earlier run is purged; the later keeps every row."""
    run = dashboard_run()
    young = counts(store, run.run_id)
    young_files = files(store, run.run_id)
    # 2026-09 ended 30 Sep, 2026-10 ended 31 Oct: 40 days before 5 December falls between them
    assert main(["purge", "--store", str(store), "--older-than", "40d", "--as-of", "2026-12-05"]) == 0
    assert counts(store, run.run_id) == young and files(store, run.run_id) == young_files
    assert counts(store, run.earlier_run_id)["allocations"] == 0
    with RunStore(store, read_only=True) as s:
        assert s.run(run.run_id)["purged"] is None
        assert s.run(run.earlier_run_id)["purged"]["older_than"] == "40d"


def test_a_retention_limit_is_months_or_days(store, capsys):
    """24m, 12m and 90d are read as months and days; anything else is refused, by the command with exit 2."""
    assert parse_age("24m") == pd.DateOffset(months=24) and parse_age("90d") == pd.DateOffset(days=90)
    for bad in ("2y", "0m", "m", "24"):
        with pytest.raises(ValueError, match="24m, 12m or 90d"):
            parse_age(bad)
    assert main(["purge", "--store", str(store), "--older-than", "2 years"]) == 2
    assert "24m, 12m or 90d" in capsys.readouterr().err
    with pytest.raises(ValueError):
        MonthlyParams.from_dict({"monthly": {"retention": "forever"}})


def test_the_monthly_batch_purges_old_runs_after_committing_its_own(store, tmp_path):
    """A store holding a run of January 2020: the batch's next commit (retention 24m, the TOML's value) purges it,
    keeps the two recent runs whole, and the retention value does not change the run id."""
    run = dashboard_run()
    with RunStore(store) as s:
        record = s.run(run.earlier_run_id)
        tables = {name: s.table(run.earlier_run_id, name) for name in record["tables"]}
        s.write_run(dict(record, run_id="old", month="2020-01"), tables)
    recent = {run_id: counts(store, run_id) for run_id in (run.run_id, run.earlier_run_id)}
    params = MonthlyParams.from_toml(FAST_PARAMS)
    assert params.retention == "24m"
    assert MonthlyParams.from_dict({"monthly": {"retention": "90d"}}).digest() == MonthlyParams().digest()
    done = run_monthly(EMBEDDED_REGION, out_dir=tmp_path, store_path=store, params=params)
    assert not done.reused
    assert counts(store, "old")["allocations"] == 0
    assert {run_id: counts(store, run_id) for run_id in recent} == recent
    assert counts(store, done.run_id)["allocations"] > 0
    with RunStore(store, read_only=True) as s:
        assert s.run("old")["purged"]["older_than"] == "24m" and s.run(done.run_id)["purged"] is None
