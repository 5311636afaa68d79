"""Fixtures every test file may use."""

from __future__ import annotations

import pytest

from tests.store_backends import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def store_location(request, tmp_path):
    """Where a test's run store is: each test using it runs once on DuckDB and once on PostgreSQL."""
    return tmp_path / "runs.duckdb" if request.param == "duckdb" else fresh_database()
