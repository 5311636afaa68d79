"""Profit outliers: robust peer comparison, the CMA benchmark, parent groups, and the evidence figures."""

from __future__ import annotations

from datetime import date

import pytest

from optimiser.flags import FlagParams, find_flags
from optimiser.flags.params import StressParams, UnlawfulParams
from tests.builders import make_region, settings_rows

RUN_DATE = date(2026, 11, 22)
QUICK = FlagParams(unlawful=UnlawfulParams(propose_alternatives=False), stress=StressParams(run=False))
PEER_MARGINS = (0.02, 0.05, 0.08, 0.10, 0.12, 0.14, 0.16, 0.19, 0.22, 0.25)  # median 13%


def company(pid: str, margin: float, revenue: float = 1_000_000, group: str = "", sector: str = "private") -> dict:
    return {"provider_id": pid, "provider_name": f"{pid} Care Ltd", "sector": sector, "parent_group": group,
            "revenue": revenue, "operating_profit": revenue * margin, "financial_year_end": "2026-03-31"}


def profit_region(folder):
    providers = [company(f"P{i}", m) for i, m in enumerate(PEER_MARGINS)] + [
        company("HIGH", 0.45), company("FAIR", 0.20),
        company("BIG1", 0.28, group="Big Group"), company("BIG2", 0.28, group="Big Group"),
        company("SMALL1", 0.15, group="Small Group"), company("SMALL2", 0.18, group="Small Group"),
        company("TINY", 0.60, revenue=50_000),
        {"provider_id": "LA", "provider_name": "Manchester Council", "sector": "local_authority"}]
    settings = settings_rows(*({"provider_id": p["provider_id"]} for p in providers))
    high = next(s["setting_id"] for s in settings if s["provider_id"] == "HIGH")
    children = [{"child_id": "K1", "current_setting_id": high, "weekly_cost": 6000, "placement_start": "2026-01-05"}]
    return make_region(folder, settings=settings, children=children, referrals=[], providers=providers)


@pytest.fixture(scope="module")
def flags(tmp_path_factory):
    return find_flags(profit_region(tmp_path_factory.mktemp("profit")), QUICK, RUN_DATE)


def test_clear_outlier_is_flagged_and_ordinary_margins_are_not(flags):
    """45% among peers with a 13% median is flagged; 20% is not; a tiny company and a council are not judged."""
    flagged = flags.table[flags.table["flag"] == "profit_outlier"]
    assert flagged["subject_id"].tolist() == ["HIGH"]
    judged = set(flags.margins.loc[flags.margins["level"] == "company", "id"])
    assert "TINY" not in judged and "LA" not in judged and "FAIR" in judged


def test_peer_statistics_are_median_and_mad(flags):
    """The peer median is the median margin and the robust sd 1.4826 x the median absolute deviation."""
    high = flags.margins.set_index("id").loc["HIGH"]
    assert high["peer_group"] == "private providers mainly running children's homes"
    # the 16 private companies judged (all but the tiny one), HIGH and the groups' companies included
    assert high["peers"] == 16 and high["peer_median"] == pytest.approx(0.17)
    assert high["robust_sd"] == pytest.approx(1.4826 * 0.06)
    assert high["robust_z"] == pytest.approx(0.28 / (1.4826 * 0.06))


def test_profit_evidence_states_margin_peers_benchmark_and_spend(flags):
    """The evidence gives the margin, the £ profit and revenue, the peer median, the CMA's 22.6% and the spend."""
    evidence = flags.table.set_index("subject_id").at["HIGH", "evidence"]
    for words in ("margin of 45.0%", "£450,000 profit on £1,000,000 revenue", "median margin of 17.0%",
                  "28.0 points above it", "3.1 robust standard deviations",
                  "22.4 points above the 22.6% the CMA found", "1 child there now at £6,000 a week"):
        assert words in evidence, words


def test_parent_group_above_benchmark_is_flagged_though_no_company_is(flags):
    """Two companies at 28% are unremarkable alone, but their group is 5.4 points above the CMA benchmark."""
    groups = flags.table[flags.table["flag"] == "group_profit_outlier"]
    assert groups["subject_id"].tolist() == ["Big Group"]
    assert groups["subject_type"].tolist() == ["parent_group"]
    assert "2 companies, accounts added up" in groups["evidence"].iloc[0]
    assert "5.4 points above the 22.6%" in groups["evidence"].iloc[0]
    assert not flags.table["subject_id"].isin(["BIG1", "BIG2", "Small Group"]).any()
