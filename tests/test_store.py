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
