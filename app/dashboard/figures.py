"""The month's key figures and their change since last month, from the runs' summaries (regional aggregates)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    delta: str | None  # change since the previous run, with its unit; None when there is no previous run
    lower_is_better: bool
    unchanged: bool  # the same as last month (no arrow, no colour)
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
    ("Weekly cost of the matched placements", "match.total_weekly_cost", "£{:,.0f} a week", "money", True),
    ("Mean distance from home", "match.mean_distance_km", "{:.1f} km", "{:+.1f} km", True),
    ("Children in unregistered settings", "unregistered.children", "{:,.0f} children", "{:+,.0f} children", True),
    ("Weekly spend on unregistered settings", "unregistered.weekly_spend", "£{:,.0f} a week", "money", True),
)


def key_figures(summary: dict, previous: dict | None) -> list[KeyFigure]:
    figures = []
    for label, path, fmt, delta_fmt, lower in FIGURES:
        value = _get(summary, path)
        if value is None:
            continue
        before = _get(previous, path)
        change = value - before if before is not None else None
        if change is None:
            delta = None
        elif delta_fmt == "money":
            delta = f"{'-' if change < 0 else '+'}£{abs(change):,.0f} a week"
        else:
            delta = delta_fmt.format(change)
        figures.append(KeyFigure(label, fmt.format(value), delta, lower, change is not None and abs(change) < 1e-9,
                                 f"summary.{path}"))
    return figures


def council_group_forecast(forecast, la_code: str, group: str):
    """Children per month for one council x group: the age bands added up. Adding the bands' p10s and p90s gives
    a band at least as wide as the true one (quantiles do not add), so it errs on the side of caution."""
    rows = forecast[(forecast["la_code"] == la_code) & (forecast["group"] == group)]
    return rows.groupby("month", as_index=False)[["mean", "p10", "p90", "weekly_cost"]].sum()


FORECAST_MODEL = "markov"  # the model rcc forecasts with; the others in backtest.csv are yardsticks


def backtest_for(backtest, la_code: str, group: str):
    """Per horizon, the accuracy of rcc's model for this series: MASE (below 1 beats 'same as a year ago'), the
    yardsticks' MASE, bias (share of the actual) and how often the actual fell inside the p10-p90 band (0.8 is
    right)."""
    rows = backtest[(backtest["la_code"] == la_code) & (backtest["group"] == group)]
    mase = rows.pivot_table(index="horizon", columns="model", values="mase")
    own = rows[rows["model"] == FORECAST_MODEL].set_index("horizon")
    out = pd.DataFrame({"horizon": mase.index, "mase": mase.get(FORECAST_MODEL),
                        "yardstick_mase": mase.drop(columns=FORECAST_MODEL, errors="ignore").min(axis=1),
                        "bias": own["bias"].reindex(mase.index), "coverage_80": own["coverage_80"].reindex(mase.index)})
    return out.reset_index(drop=True)


def referrals_by_council(allocations: pd.DataFrame) -> pd.DataFrame:
    """Per council: referrals, matched, unmatched and the weekly fees of the matches."""
    matched = allocations["status"].eq("matched")
    frame = allocations.assign(matched=matched, unmatched=~matched,
                               fees=allocations["weekly_fee"].where(matched, 0.0))
    out = frame.groupby("la_code").agg(referrals=("referral_id", "size"), matched=("matched", "sum"),
                                       unmatched=("unmatched", "sum"), weekly_fees=("fees", "sum"))
    return out.reset_index()


def yearly_series(history: pd.DataFrame, forecast: pd.DataFrame, la_code: str, group: str) -> pd.DataFrame:
    """One council x group's published years and forecast years as one frame for the yearly chart: year, value,
    p10, p90, kind (published | forecast), published (a DfE figure, not imputed), source (in words)."""
    past = history[(history["la_code"] == la_code) & (history["group"] == group)].sort_values("year")
    past = pd.DataFrame({"year": past["year"].astype(int), "value": past["value"].astype(float), "p10": float("nan"),
                         "p90": float("nan"), "kind": "published",
                         "published": past["published"].astype(str).str.lower().isin(["true", "1"])})
    past["source"] = past["published"].map({True: "published by the DfE",
                                             False: "not published: imputed from the year's total"})
    ahead = forecast[(forecast["la_code"] == la_code) & (forecast["group"] == group)].sort_values("year")
    ahead = pd.DataFrame({"year": ahead["year"].astype(int), "value": ahead["mean"].astype(float),
                          "p10": ahead["p10"].astype(float), "p90": ahead["p90"].astype(float), "kind": "forecast",
                          "published": False, "source": "rcc's yearly forecast"})
    if len(past) and len(ahead):
        # the forecast's line starts from the last published year, so the two read as one series
        joint = past.iloc[[-1]].assign(kind="forecast", p10=past["value"].iloc[-1], p90=past["value"].iloc[-1])
        ahead = pd.concat([joint, ahead], ignore_index=True)
    return pd.concat([past, ahead], ignore_index=True)


def yearly_accuracy_words(backtest: pd.DataFrame, la_code: str, group: str) -> str:
    """The yearly backtest of this council and group in a sentence a board member reads."""
    rows = backtest[(backtest["scope"] == la_code) & (backtest["group"] == group) & (backtest["model"] == "pooled")]
    naive = backtest[(backtest["scope"] == la_code) & (backtest["group"] == group) & (backtest["model"] == "naive")]
    one = rows[rows["horizon"] == 1]
    if one.empty:
        return "Too few published years to say how accurate the yearly forecast has been here."
    r = one.iloc[0]
    n = naive[naive["horizon"] == 1]
    versus = ""
    if len(n) and float(n.iloc[0]["error_p80"]) > 0:
        versus = (f" ('same as last year' was within ±{float(n.iloc[0]['error_p80']):.0f} as often)")
    return (f"Over the last {int(r['forecasts'])} years, this forecast one year ahead was within "
            f"±{float(r['error_p80']):.0f} children of the DfE's published figure 8 times in 10{versus}; the "
            f"p10-p90 band held the published figure {float(r['coverage']):.0%} of the time.")
