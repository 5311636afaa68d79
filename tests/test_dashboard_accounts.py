"""The Matching page's council accounts on a real monthly run: an officer sees their own council's account, a
commissioner every council's."""

from __future__ import annotations

import pytest

from app.dashboard.auth import User
from tests.dashboard_run import dashboard_on_session_run, open_page
from tests.test_dashboard import COMMISSIONER, OFFICER

BOLTON = OFFICER.la_code


@pytest.fixture(scope="module", autouse=True)
def run_store():
    with dashboard_on_session_run() as run:
        yield run


@pytest.mark.parametrize(("user", "councils"), [(COMMISSIONER, 10), (OFFICER, 1)], ids=["commissioner", "officer"])
def test_matching_page_shows_each_council_its_account(user: User, councils: int, run_store):
    """The accounts table on the Matching page has every council's row for a commissioner and only Bolton's for
    Bolton's officer, read from the run's council_accounts table."""
    at = open_page(user, "matching")
    subheaders = [s.value for s in at.subheader]
    assert "Each council's account: the regional plan against searching alone" in subheaders
    from app.reports.strategy_tables import ACCOUNT_HEADINGS

    # the accounts' own headings pick the table out (the locks and vetoes are drawn below it)
    table = next(d.value for d in at.dataframe if list(d.value.columns) == list(ACCOUNT_HEADINGS.values()))
    assert len(table) == councils
    if user is OFFICER:
        assert table["council"].tolist() == ["Bolton"]
