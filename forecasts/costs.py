"""What the forecast demand costs: weekly cost per Demand row, and weekly and annual projections per group.

Unit costs are at the prices of the forecast origin (the last month of data) and rise with annual inflation,
compounded monthly, from the first forecast month on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasts.params import CostParams

WEEKS_PER_YEAR = 365.25 / 7
COST_COLUMNS = ["la_code", "group", "year", "months", "unit_weekly_cost", "children", "weekly_cost", "annual_cost"]


def price_index(months: pd.Series, origin_month: pd.Timestamp, inflation: float) -> np.ndarray:
    """Price level of each month relative to the origin month."""
    months = pd.to_datetime(months)
    ahead = (months.dt.year - origin_month.year) * 12 + (months.dt.month - origin_month.month)
    return (1 + inflation) ** (ahead.to_numpy(float) / 12)


def unit_costs(demand: pd.DataFrame, costs: CostParams, origin_month: pd.Timestamp) -> np.ndarray:
    """Weekly unit cost (£) of each Demand row's placement group, in that month's prices."""
    pairs = demand[["la_code", "group"]].drop_duplicates()
    unit = pd.Series([costs.weekly(la, g) for la, g in pairs.itertuples(index=False)],
                     index=pd.MultiIndex.from_frame(pairs))
    base = unit.reindex(pd.MultiIndex.from_frame(demand[["la_code", "group"]])).to_numpy(float)
    return base * price_index(demand["month"], origin_month, costs.inflation)


def with_weekly_cost(demand: pd.DataFrame, costs: CostParams, origin_month: pd.Timestamp) -> pd.DataFrame:
    """The Demand table with `weekly_cost`: expected children times the inflated unit cost (£ a week)."""
    return demand.assign(weekly_cost=demand["mean"] * unit_costs(demand, costs, origin_month))


def cost_projection(demand: pd.DataFrame, costs: CostParams, origin_month: pd.Timestamp) -> pd.DataFrame:
    """Per council x group x forecast year (12-month blocks from the origin): average children, average weekly
    cost, and the year's cost (a part year is costed for its months only)."""
    frame = demand.assign(unit=unit_costs(demand, costs, origin_month), weekly=demand["weekly_cost"])
    months = pd.to_datetime(frame["month"])
    ahead = (months.dt.year - origin_month.year) * 12 + (months.dt.month - origin_month.month)
    frame["year"] = (ahead - 1) // 12 + 1
    month_total = frame.groupby(["la_code", "group", "year", "month"], as_index=False).agg(
        children=("mean", "sum"), weekly=("weekly", "sum"), unit=("unit", "mean"))
    out = month_total.groupby(["la_code", "group", "year"], as_index=False).agg(
        months=("month", "nunique"), unit_weekly_cost=("unit", "mean"), children=("children", "mean"),
        weekly_cost=("weekly", "mean"))
    out["annual_cost"] = out["weekly_cost"] * WEEKS_PER_YEAR * out["months"] / 12
    return out[COST_COLUMNS]
