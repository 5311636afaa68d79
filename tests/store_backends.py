"""The run store's two backends for tests: a DuckDB file in the test's folder, and a database of its own on the real
PostgreSQL server `.ci/with-postgres` starts (RCC_TEST_POSTGRES; `make test` starts one when it is not set)."""

from __future__ import annotations

import itertools
import os
import re

import duckdb
import pytest
import sqlalchemy as sa

BACKENDS = ("duckdb", "postgresql")
_numbers = itertools.count()


def server_url() -> str:
    url = os.environ.get("RCC_TEST_POSTGRES")
    if not url:
        pytest.fail("RCC_TEST_POSTGRES is not set: run the tests under .ci/with-postgres (make test does), which "
                    "starts a PostgreSQL server for them")
    return url


def fresh_database() -> str:
    """A new, empty database on the test server: its URL."""
    url = sa.make_url(server_url()).set(drivername="postgresql+psycopg")
    name = f"rcc_test_{os.getpid()}_{next(_numbers)}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    engine.dispose()
    return url.set(database=name, drivername="postgresql").render_as_string(hide_password=False)


def count(location, statement: str, **values) -> int:
    """A count by plain SQL on either backend, outside the store's own code."""
    if str(location).startswith("postgresql"):
        engine = sa.create_engine(sa.make_url(str(location)).set(drivername="postgresql+psycopg"),
                                  poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            found = conn.execute(sa.text(statement), values).scalar()
        engine.dispose()
        return int(found)
    with duckdb.connect(str(location), read_only=True) as con:
        names = re.findall(r":(\w+)", statement)
        return int(con.execute(re.sub(r":\w+", "?", statement), [values[n] for n in names]).fetchone()[0])
