"""The month's key figures and their change since last month, from the runs' summaries (regional aggregates)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.reports.readable import money_short


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    delta: str | None  # change since the previous run, with its unit; None when there is no previous run
    lower_is_better: bool
    unchanged: bool  # the same as last month (no arrow, no colour)
    source: str  # which summary field it comes from, so a board member's question can be traced
    exact: str = ""  # the value in full where the shown one is rounded (£7.29m)


def _get(summary: dict | None, path: str):
    value = summary or {}
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


FIGURES = (
    # label, summary path, format ("money": £ a week, millions short), delta format, lower is better
    ("Children in care", "children_in_care", "{:,.0f} children", "{:+,.0f} children", False),
    ("Expected in 12 months", "forecast_12_months.mean", "{:,.0f} children", "{:+,.0f} children", False),
    ("Referrals needing a home", "match.referrals", "{:,.0f} referrals", "{:+,.0f} referrals", False),
    ("Matched by the regional plan", "match.matched", "{:,.0f} children", "{:+,.0f} children", False),
    ("Left unmatched", "match.unmatched", "{:,.0f} children", "{:+,.0f} children", True),
    ("Weekly cost of the matched placements", "match.total_weekly_cost", "money", "money", True),
    ("Mean distance from home", "match.mean_distance_km", "{:.1f} km", "{:+.1f} km", True),
    ("Children in unregistered settings", "unregistered.children", "{:,.0f} children", "{:+,.0f} children", True),
    ("Weekly spend on unregistered settings", "unregistered.weekly_spend", "money", "money", True),
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
            delta = f"{'+' if change >= 0 else ''}{money_short(change)} a week"
        else:
            delta = delta_fmt.format(change)
        shown = f"{money_short(value)} a week" if fmt == "money" else fmt.format(value)
        figures.append(KeyFigure(label, shown, delta, lower, change is not None and abs(change) < 1e-9,
                                 f"summary.{path}", f"£{value:,.0f} a week" if fmt == "money" else ""))
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


def council_group_history(stocks: pd.DataFrame, la_code: str, group: str) -> pd.DataFrame:
    """Children in care per month for one council x group as the history counted them (the age bands added up):
    month, children. The fan chart draws it before the forecast starts."""
    rows = stocks[(stocks["la_code"] == la_code) & (stocks["group"] == group)]
    out = rows.groupby("month", as_index=False)["stock"].sum().rename(columns={"stock": "children"})
    return out.assign(month=pd.to_datetime(out["month"].astype(str))).sort_values("month", ignore_index=True)


def _counted(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def forecast_accuracy_words(forecasts: pd.DataFrame, la_code: str, group: str) -> list[str]:
    """The monthly backtest of this council and group in sentences a board member reads, one per horizon: within
    how many children of what happened rcc's forecasts from past months were 8 times in 10 (the smallest whole
    number of children that held at least 80% of them), and how often the p10-p90 band held the actual."""
    rows = forecasts[(forecasts["la_code"] == la_code) & (forecasts["group"] == group)
                     & (forecasts["model"] == FORECAST_MODEL)].dropna(subset=["actual"])
    words = []
    for horizon, at in rows.groupby("horizon"):
        errors = (at["forecast"] - at["actual"]).abs().to_numpy()
        # the smallest error that 80% of the forecasts are at or below (no interpolation), in whole children
        within = int(np.ceil(np.quantile(errors, 0.8, method="inverted_cdf")))
        held = int((errors <= within).sum())
        inside = int(((at["actual"] >= at["p10"]) & (at["actual"] <= at["p90"])).sum())
        origins = pd.to_datetime(at["origin"].astype(str))
        first, last = f"{origins.min():%B %Y}", f"{origins.max():%B %Y}"
        made = f"made in {first}" if first == last else f"made from {first} to {last}"
        words.append(f"{_counted(int(horizon), 'month')} ahead: of the {_counted(len(at), 'forecast')} {made}, {held} "
                     f"{'was' if held == 1 else 'were'} within ±{_counted(within, 'child', 'children')} of what "
                     f"happened, and the p10-p90 band held what happened in {inside} of them.")
    return words


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


# --- the strategy --------------------------------------------------------------------------------------------

# The plan by source and its actions in words (PLAN_SOURCES, strategy_plan_sources, action_sentences) are shaped
# once in app/reports/strategy_tables.py, for the Strategy page and the board pack alike.

def strategy_demand_line(balance: pd.DataFrame, la_code: str, group: str) -> pd.DataFrame:
    """One cell's demand per quarter: at the service level and in the mean future, after the step-downs."""
    cell = balance[(balance["la_code"] == la_code) & (balance["group"] == group)].sort_values("quarter")
    shift = cell["step_down_shift"]
    return pd.concat([
        pd.DataFrame({"quarter": cell["quarter"], "quarter_label": cell["quarter_label"],
                      "line": "demand at the service level", "children": cell["demand_at_service_level"] + shift}),
        pd.DataFrame({"quarter": cell["quarter"], "quarter_label": cell["quarter_label"],
                      "line": "demand, mean", "children": cell["demand_mean"] + shift})], ignore_index=True)


def plan_costs(comparison: pd.DataFrame, plan: str) -> pd.DataFrame:
    """The plan's cash cost over the horizon against doing nothing's, line by line (£): cost line, plan, £."""
    from app.reports.strategy_tables import COST_LINES
    from optimiser.strategy import PLAN_NAMES

    table = comparison.set_index("cost")
    lines = [k for k in COST_LINES if k != "cash" and k in table.index]
    rows = [{"cost line": COST_LINES[k], "plan": PLAN_NAMES[name].split(" (")[0], "pounds": float(table.at[k, name])}
            for name in ("do_nothing", plan) for k in lines if name in table.columns]
    return pd.DataFrame(rows, columns=["cost line", "plan", "pounds"])


def plan_risk(risk: pd.DataFrame, plan: str, names: dict[str, str]) -> pd.DataFrame:
    """Per council x kind of home, the plan's and doing nothing's chance of a shortfall in the worst quarter and
    expected child-weeks without a suitable home."""
    from app.reports.readable import council_name
    from data.vocabulary import HOME_KIND_LABELS
    from optimiser.strategy import PLAN_NAMES

    rows = []
    for name in ("do_nothing", plan):
        if f"{name}_shortfall_probability" not in risk.columns:
            continue
        rows.append(pd.DataFrame({
            "area": risk["la_code"].map(lambda c: council_name(c, names)),
            "kind of home": risk["group"].map(lambda g: HOME_KIND_LABELS.get(g, g)),
            "plan": PLAN_NAMES[name].split(" (")[0], "chance": risk[f"{name}_shortfall_probability"].astype(float),
            "child_weeks": risk[f"{name}_shortfall_child_weeks"].astype(float)}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["area", "kind of home", "plan", "chance", "child_weeks"])


# --- the Overview: is the region coping? --------------------------------------------------------------------

COUNCIL_MEASURES = {  # column -> what the map's colour says
    "unmatched": "children the match left without a home",
    "matched_over_20_miles": "children matched to a home over 20 miles away",
    "placed_over_20_miles": "children in care living over 20 miles from home",
}


def council_measures(allocations: pd.DataFrame, placed: pd.DataFrame) -> pd.DataFrame:
    """Per council: unmatched children, matches over 20 miles from home, and children in care placed over 20 miles
    from home (the DfE's distance), from the rows the user may see."""
    from data.geo import TWENTY_MILES_KM

    matched = allocations["status"].eq("matched")
    far = matched & allocations["distance_km"].astype(float).gt(TWENTY_MILES_KM)
    out = pd.DataFrame({
        "unmatched": (~matched).groupby(allocations["la_code"]).sum(),
        "matched_over_20_miles": far.groupby(allocations["la_code"]).sum()})
    away = placed["distance_km"].astype(float).gt(TWENTY_MILES_KM).groupby(placed["la_code"]).sum()
    out = out.join(away.rename("placed_over_20_miles"), how="outer").fillna(0).astype(int)
    return out.rename_axis("la_code").reset_index()


TREND_FIGURES = {"children_in_care": "children in care", "match.unmatched": "children left unmatched",
                 "unregistered.children": "children in unregistered settings"}


def run_trend(runs: pd.DataFrame, summaries: dict[str, dict]) -> pd.DataFrame:
    """The key figures month by month over the run history (the latest run of each month): month, figure, value."""
    latest = runs.sort_values("started_at").drop_duplicates("month", keep="last").sort_values("month")
    rows = []
    for run in latest.itertuples():
        for path, label in TREND_FIGURES.items():
            value = _get(summaries.get(run.run_id), path)
            if value is not None:
                rows.append({"month": run.month, "figure": label, "value": float(value)})
    return pd.DataFrame(rows, columns=["month", "figure", "value"])


def group_shares(supply: pd.DataFrame, group: str, largest: int = 12) -> pd.DataFrame:
    """Provider groups' shares of the registered places of one placement group in the region's councils (owner,
    places, share), the largest first and the rest as one row."""
    from data.vocabulary import PLACEMENT_GROUP_OF_SETTING_TYPE

    rows = supply[supply["setting_type"].map(PLACEMENT_GROUP_OF_SETTING_TYPE).eq(group)
                  & supply["registration_status"].eq("active")]
    places = rows.groupby("owner")["places"].sum().sort_values(ascending=False)
    total = float(places.sum())
    top = places.head(largest)
    out = pd.DataFrame({"owner": top.index, "places": top.to_numpy(float)})
    if len(places) > largest:
        out.loc[len(out)] = [f"{len(places) - largest} other owners", float(places.iloc[largest:].sum())]
    out["share"] = out["places"] / total if total else 0.0
    return out


# --- matching -------------------------------------------------------------------------------------------------

def placement_flows(allocations: pd.DataFrame, centroids: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Matched children counted from the council responsible for them to the council their home is in, each end
    at a council's centre (never a home's own place): la_from, la_to, children, and the four coordinates. Also how
    many matched children go to homes in councils outside the region (no centre to draw them at)."""
    matched = allocations[allocations["status"].eq("matched")]
    flows = matched.groupby(["la_code", "setting_la_code"]).size().rename("children").reset_index()
    at = centroids.set_index("la_code")
    inside = flows["setting_la_code"].isin(at.index) & flows["la_code"].isin(at.index)
    outside = int(flows.loc[~inside, "children"].sum())
    flows = flows[inside].rename(columns={"la_code": "la_from", "setting_la_code": "la_to"})
    flows = flows.assign(lat=flows["la_from"].map(at["lat"]), lon=flows["la_from"].map(at["lon"]),
                         lat2=flows["la_to"].map(at["lat"]), lon2=flows["la_to"].map(at["lon"]),
                         name_from=flows["la_from"].map(at["la_name"]), name_to=flows["la_to"].map(at["la_name"]))
    return flows.reset_index(drop=True), outside


def plan_against_alone(allocations: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Per council: children matched, placed over 20 miles, and the weekly fees, under the regional plan and with
    each council searching alone (today's practice on the same referrals): council, measure, approach, value."""
    from data.geo import TWENTY_MILES_KM

    rows = []
    for approach, frame in (("regional plan", allocations), ("each council alone", baseline)):
        matched = frame["status"].eq("matched")
        per = pd.DataFrame({
            "children matched": matched.groupby(frame["la_code"]).sum(),
            "placed over 20 miles": (matched & frame["distance_km"].astype(float).gt(TWENTY_MILES_KM)).groupby(
                frame["la_code"]).sum(),
            "fees (£ a week)": frame["weekly_fee"].astype(float).where(matched, 0.0).groupby(frame["la_code"]).sum()})
        long = per.rename_axis("la_code").reset_index().melt("la_code", var_name="measure", value_name="value")
        rows.append(long.assign(approach=approach))
    return pd.concat(rows, ignore_index=True)
