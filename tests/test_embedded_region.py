"""The embedded Greater Manchester region, end to end: loads clean, matches soundly, beats today's practice."""

from __future__ import annotations

from datetime import date

import pytest

from app.jobs.match import run_match
from data import EMBEDDED_REGION
from data.load import read_region
from optimiser.match.verify import verify_allocation

EMBEDDED = EMBEDDED_REGION


@pytest.fixture(scope="module")
def run():
    return run_match(EMBEDDED)


def test_embedded_region_loads_with_no_errors_and_only_planted_flags():
    """The committed region passes validation; its only findings are the planted under-16s in supported homes."""
    region, issues = read_region(EMBEDDED, today=date(2026, 11, 22))
    assert region is not None
    assert set(issues["severity"]) <= {"flag"}
    assert issues["rule"].str.contains("under 16").all()


def test_embedded_match_is_sound_and_explained(run):
    """Most referrals are matched, none breaks a hard rule, and every unmatched child has a reason."""
    allocations = run.result.allocations
    assert verify_allocation(run.region, allocations).empty
    assert run.summary["matched"] / run.summary["referrals"] >= 0.8
    unmatched = allocations[allocations["status"] == "unmatched"]
    assert (unmatched["reason"].str.len() > 20).all()
    assert run.result.status == "optimal"


def test_regional_match_costs_less_than_each_council_alone(run):
    """On the same referrals the regional optimum places at least as many children for less a week."""
    comparison = run.comparison
    assert comparison.at["total_weekly_cost", "regional"] < comparison.at["total_weekly_cost", "la_by_la"]
    assert comparison.at["matched", "regional"] >= comparison.at["matched", "la_by_la"]
    assert comparison.at["hard_rule_violations", "regional"] == 0
