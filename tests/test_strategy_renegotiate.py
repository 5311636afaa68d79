"""The strategy's providers to renegotiate with: the market oversight findings join the profit and fee ones."""

from __future__ import annotations

import pandas as pd

from optimiser.strategy.renegotiate import providers_to_renegotiate
from tests.builders import make_region, settings_rows


def flag(kind: str, subject_type: str, subject: str) -> dict:
    return {"flag": kind, "subject_type": subject_type, "subject_id": subject, "severity": "high",
            "evidence": f"{kind} evidence", "action": ""}


def test_oversight_findings_are_listed_with_their_care(tmp_path):
    """Group G (two companies) is the top market risk: both listed high, with a contingency plan in the action.
    F is only fragile: medium, told not to push its fees too low. P has a profit flag and weak group grades: medium,
    the quality terms added. N, with no flag, is not listed."""
    providers = [{"provider_id": p, "provider_name": f"{p} Ltd", "sector": "private", "parent_group": g}
                 for p, g in (("G1", "G"), ("G2", "G"), ("F", ""), ("P", ""), ("N", ""))]
    region = make_region(tmp_path, settings=settings_rows({"provider_id": "G1"}), referrals=[],
                         providers=providers)
    flags = pd.DataFrame([flag("top_market_risk", "parent_group", "G"),
                          flag("financial_fragility", "parent_group", "G"),
                          flag("financial_fragility", "provider", "F"), flag("profit_outlier", "provider", "P"),
                          flag("group_quality", "provider", "P")])
    actions = pd.DataFrame({"kind": pd.Series(dtype=str), "provider_id": pd.Series(dtype=str),
                            "places": pd.Series(dtype=int)})
    table = providers_to_renegotiate(region, flags, actions).set_index("provider_id")
    assert sorted(table.index) == ["F", "G1", "G2", "P"]
    assert table["priority"].to_dict() == {"G1": "high", "G2": "high", "F": "medium", "P": "medium"}
    assert table.loc["G1", "oversight"] == "top_market_risk; financial_fragility"
    assert "contingency plan" in table.loc["G2", "action"]
    assert "do not push its fees below" in table.loc["F", "action"]
    assert table.loc["P", "action"].startswith("Review spot prices") and "improvement plan" in table.loc["P", "action"]
    assert "group_quality evidence" in table.loc["P", "evidence"]
