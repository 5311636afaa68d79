"""Validation as the jobs will judge the region: the loader's checks (every table and cell, the councils, the
plausibility of a month) and the checks the forecast makes of the SSDA903 history (episodes before a child's
birth, overlaps, same-day starts), so "no problems found" means the forecast and the match will take it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from data.load import read_region
from data.problems import ValidationError, combined
from data.region import Region
from data.ssda903.rules import prefer_rules
from forecasts.prepare import prepare


def validate(source: str | Path, today: date | None = None) -> tuple[Region | None, pd.DataFrame]:
    """(the region, or None when there is an error, and every problem found)."""
    region, issues = read_region(source, today=today)
    if region is None or region.episodes.empty or region.header.empty:
        return region, issues
    try:
        history = prepare(region).issues
    except ValidationError as refused:
        history = refused.issues
    issues = prefer_rules(combined([issues, history]))
    return (None if (issues["severity"] == "error").any() else region.replace(issues=issues)), issues
