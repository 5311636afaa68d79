"""The run store on its own, on DuckDB and on PostgreSQL (tests/conftest.py): tables that change shape between
versions or months, and what it refuses."""

from __future__ import annotations

import pandas as pd
import pytest

from app.history.store import RunStore, StoreError


def record(run_id: str, month: str) -> dict:
    return {"run_id": run_id, "month": month, "region": "r", "status": "ok", "summary": {"n": 1}, "stages": {}}


def test_a_column_added_by_a_later_run_keeps_earlier_runs_readable(store_location):
    """A table gaining a column (a newer rcc) is widened; the earlier run reads back without it, unchanged."""
    with RunStore(store_location) as store:
        store.write_run(record("a", "2026-09"), {"flags": pd.DataFrame({"flag": ["x"], "severity": ["high"]})})
        store.write_run(record("b", "2026-10"), {"flags": pd.DataFrame({"flag": ["y"], "severity": ["low"],
                                                                        "evidence": ["why"]})})
        assert store.table("a", "flags").to_dict("records") == [{"flag": "x", "severity": "high", "evidence": None}]
        assert store.table("b", "flags")["evidence"].tolist() == ["why"]


def test_a_text_column_empty_one_month_takes_text_the_next(store_location):
    """A column with no values in the first run is stored as text, so a later run's text goes in."""
    with RunStore(store_location) as store:
        store.write_run(record("a", "2026-09"), {"gap": pd.DataFrame({"need": [None, None], "children": [1, 2]})})
        store.write_run(record("b", "2026-10"), {"gap": pd.DataFrame({"need": ["autism"], "children": [3]})})
        assert store.table("b", "gap")["need"].tolist() == ["autism"]
        assert store.tables("a") == ["gap"]


def test_the_store_refuses_a_repeated_run_and_unknown_tables(store_location, tmp_path):
    """A run id can be written once; only the pipeline's table names become tables."""
    with RunStore(store_location) as store:
        store.write_run(record("a", "2026-09"), {})
        with pytest.raises(StoreError, match="already in"):
            store.write_run(record("a", "2026-09"), {})
        with pytest.raises(StoreError, match="not a result table"):
            store.write_run(record("b", "2026-09"), {"drop table runs": pd.DataFrame()})
        assert list(store.runs()["run_id"]) == ["a"]
    with pytest.raises(StoreError, match="no run store here yet"):
        RunStore(tmp_path / "missing.duckdb", read_only=True)


def test_audit_events_go_in_one_row_each_and_read_back_by_user(store_location):
    """Each record_event is one row (counted by plain SQL); audit(who) returns that user's own only."""
    from datetime import datetime

    from tests.store_backends import count

    with RunStore(store_location) as store:
        for who, action in (("bolton", "sign_in"), ("commissioner", "view"), ("bolton", "download")):
            store.record_event({"happened_at": datetime(2026, 12, 1, 9), "who": who, "action": action,
                                "detail": "x"})
        assert sorted(store.audit("bolton")["action"]) == ["download", "sign_in"]
        assert len(store.audit()) == 3
        with pytest.raises(StoreError, match="not an audit column"):
            store.record_event({"password": "no"})
    assert count(store_location, "select count(*) from audit") == 3
    assert count(store_location, "select count(*) from audit where who = :who", who="bolton") == 2


def test_purging_a_run_removes_its_childrens_rows_only(store_location):
    """purge_children removes the run's rows of child-level tables and its flags on children, keeps its other flags
    and its aggregates and every row of the other run, and records what it removed."""
    from datetime import datetime

    from tests.store_backends import count

    tables = {"allocations": pd.DataFrame({"referral_id": ["R1", "R2"], "child_id": ["C1", "C2"]}),
              "flags": pd.DataFrame({"flag": ["a", "b", "c"], "subject_type": ["child", "setting", "child"],
                                     "subject_id": ["C1", "S1", "C2"]}),
              "gap": pd.DataFrame({"children": [4]})}
    with RunStore(store_location) as store:
        store.write_run(record("old", "2020-01"), tables, {"allocations.csv": b"C1", "gap.csv": b"4"})
        store.write_run(record("new", "2026-10"), tables, {"allocations.csv": b"C1", "gap.csv": b"4"})
        purged = store.purge_children("old", datetime(2026, 12, 3), "24m")
        assert purged["rows"] == {"allocations": 2, "flags": 2} and purged["files"] == ["allocations.csv"]
        assert store.run("old")["purged"]["older_than"] == "24m" and store.run("new")["purged"] is None
        assert list(store.files("old")) == ["gap.csv"]
    assert count(store_location, "select count(*) from allocations where run_id = 'old'") == 0
    assert count(store_location, "select count(*) from allocations where run_id = 'new'") == 2
    assert count(store_location, "select count(*) from flags where run_id = 'old'") == 1
    assert count(store_location, "select count(*) from flags where run_id = 'new'") == 3
    assert count(store_location, "select count(*) from gap") == 2
