"""The month's key figures and their change since last month, from the runs' summaries (regional aggregates)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    delta: str | None  # change since the previous run, with its unit; None when there is no previous run
    lower_is_better: bool
    source: str  # which summary field it comes from, so a board member's question can be traced


def _get(summary: dict | None, path: str):
    value = summary or {}
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


FIGURES = (
    # label, summary path, format, delta format, lower is better
    ("Children in care", "children_in_care", "{:,.0f} children", "{:+,.0f} children", False),
    ("Expected in 12 months", "forecast_12_months.mean", "{:,.0f} children", "{:+,.0f} children", False),
    ("Referrals needing a home", "match.referrals", "{:,.0f} referrals", "{:+,.0f} referrals", False),
    ("Matched by the regional plan", "match.matched", "{:,.0f} children", "{:+,.0f} children", False),
    ("Left unmatched", "match.unmatched", "{:,.0f} children", "{:+,.0f} children", True),
    ("Weekly cost of the matched placements", "match.total_weekly_cost", "£{:,.0f} a week", "£{:+,.0f} a week", True),
    ("Mean distance from home", "match.mean_distance_km", "{:.1f} km", "{:+.1f} km", True),
    ("Children in unregistered settings", "unregistered.children", "{:,.0f} children", "{:+,.0f} children", True),
    ("Weekly spend on unregistered settings", "unregistered.weekly_spend", "£{:,.0f} a week", "£{:+,.0f} a week",
     True),
)


def key_figures(summary: dict, previous: dict | None) -> list[KeyFigure]:
    figures = []
    for label, path, fmt, delta_fmt, lower in FIGURES:
        value = _get(summary, path)
        if value is None:
            continue
        before = _get(previous, path)
        delta = delta_fmt.format(value - before) if before is not None else None
        figures.append(KeyFigure(label, fmt.format(value), delta, lower, f"summary.{path}"))
    return figures


def council_group_forecast(forecast, la_code: str, group: str):
    """Children per month for one council x group: the age bands added up. Adding the bands' p10s and p90s gives
    a band at least as wide as the true one (quantiles do not add), so it errs on the side of caution."""
    rows = forecast[(forecast["la_code"] == la_code) & (forecast["group"] == group)]
    return rows.groupby("month", as_index=False)[["mean", "p10", "p90", "weekly_cost"]].sum()


def backtest_for(backtest, la_code: str, group: str):
    """Accuracy of each model for this series at each horizon: MASE (below 1 beats 'same as a year ago'), bias
    (share of the actual) and how often the actual fell inside the p10-p90 band (0.8 is right)."""
    rows = backtest[(backtest["la_code"] == la_code) & (backtest["group"] == group)]
    return rows[["model", "horizon", "mase", "bias", "coverage_80"]].sort_values(["horizon", "model"])
