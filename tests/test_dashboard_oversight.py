"""The Market page's market-oversight section on a real monthly run of the embedded region."""

from __future__ import annotations

import pytest

from app.history.store import RunStore
from tests.dashboard_run import open_page
from tests.test_dashboard import COMMISSIONER, OFFICER, run_store  # noqa: F401  (the module's fixture)


@pytest.mark.parametrize("user", [COMMISSIONER, OFFICER], ids=["commissioner", "council_officer"])
def test_the_section_counts_the_runs_oversight_flags_and_caps_profits(run_store, user):  # noqa: F811
    """The four counts are the run's flags of each kind, and the profit cap's figures are shown for the default
    10% cap."""
    with RunStore(run_store.store, read_only=True) as store:
        flags = store.table(run_store.run_id, "flags")
    at = open_page(user, "market")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Top market risks"] == f"{int((flags['flag'] == 'top_market_risk').sum()):,}"
    assert metrics["Difficult to replace"] == \
        f"{int((flags['flag'] == 'difficult_to_replace_derived').sum()):,} owners"
    assert metrics["Saving to the region"].startswith("£") and "Children who would need a new home" in metrics
