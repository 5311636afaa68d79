"""Fixtures every test file may use, and how the suite is shared between pytest-xdist's workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import dashboard_run
from tests.store_backends import BACKENDS, fresh_database

# Modules that must not run beside each other on two workers: the real-browser tests each drive a chromium and serve
# the dashboard on a port picked free a moment before it is bound (two at once could pick the same), and write the
# same screenshots folder.
SHARED_GROUPS = {"test_browser": "browser", "test_browser_public": "browser", "test_browser_sso": "browser"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    """Under `--dist loadgroup` each test module runs whole on one worker, so a module-scoped fixture (a monthly
    run, a solved match) is made once, as in a run without xdist, rather than once on each worker its tests land
    on."""
    if not config.pluginmanager.hasplugin("xdist") or not config.getoption("loadgroup", False):
        return
    for item in items:
        if not any(item.iter_markers("xdist_group")):
            module = Path(item.path).stem
            item.add_marker(pytest.mark.xdist_group(SHARED_GROUPS.get(module, module)))


@pytest.fixture(params=BACKENDS)
def store_location(request, tmp_path):
    """Where a test's run store is: each test using it runs once on DuckDB and once on PostgreSQL."""
    return tmp_path / "runs.duckdb" if request.param == "duckdb" else fresh_database()


@pytest.fixture(scope="session", autouse=True)
def _session_tmp(tmp_path_factory):
    """tests/dashboard_run.py makes its monthly run under the session's temporary folder, which pytest clears."""
    dashboard_run.SESSION_TMP[:] = [tmp_path_factory]
