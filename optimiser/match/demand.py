"""The forecasts' Demand table as the matching reads it (forecast.csv, or the DataFrame `forecasts` returns).

The optimiser never imports `forecasts`: it takes the table as a plain DataFrame, whoever made it. The table gives,
per council x placement group x age band x month, the mean and p10 / p50 / p90 of the children in care at the
end of the month (a stock, not a flow). What the matching needs from it is how many *more* children each council
will need a home of each kind for, so everything here is a rise in the stock summed over age bands: ageing moves
children between bands of a group every month, and summing over the bands cancels it.

A rise in the stock is the net demand on today's vacancies: children who enter care or move group take places,
and children who leave free places that later runs will see as vacancies.

The forecast's placement groups are read as the kinds of home a referral asks for (HOME_KIND_OF_PLACEMENT_GROUP,
as explain.needed_group names them): in-house and agency fostering are one need, since which of the two a child
ends up in is the search's outcome; kinship, living with parents, adoption and "other" are not homes an RCC
commissions, and are left out.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.vocabulary import HOME_KIND_OF_PLACEMENT_GROUP

DEMAND_COLUMNS = ("la_code", "group", "age_band", "month", "mean", "p10", "p50", "p90")
STOCK_COLUMNS = ("mean", "p10", "p50", "p90")
AGE_BAND_PATTERN = r"^(\d+)-(\d+)$"  # whole years, upper bound excluded: "10-16" is 10 to 15


def check_demand(demand: pd.DataFrame, source: str = "the forecast") -> pd.DataFrame:
    """The Demand table with months as dates, or a ValueError naming every missing column or bad row."""
    missing = [c for c in DEMAND_COLUMNS if c not in demand.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}; a Demand table (forecast.csv from "
                         f"`rcc forecast`) has {', '.join(DEMAND_COLUMNS)}")
    table = demand[list(DEMAND_COLUMNS)].copy()
    problems = []
    table["month"] = pd.to_datetime(table["month"], errors="coerce", format="mixed")
    for column in ("month", *STOCK_COLUMNS):
        if column != "month":
            table[column] = pd.to_numeric(table[column], errors="coerce")
        bad = table[column].isna() | (table[column] < 0 if column != "month" else False)
        for row in np.flatnonzero(bad.to_numpy())[:5]:
            # row numbers as a spreadsheet shows them: the header is row 1
            problems.append(f"row {row + 2}, column {column}: {demand[column].iloc[row]!r} is not a "
                            + ("date" if column == "month" else "number of children (0 or more)"))
    for row in np.flatnonzero(~table["age_band"].astype(str).str.fullmatch(AGE_BAND_PATTERN[1:-1]).to_numpy())[:5]:
        problems.append(f"row {row + 2}, column age_band: {demand['age_band'].iloc[row]!r} is not an age band "
                        "such as 10-16")
    if problems:
        raise ValueError(f"{source}: " + "; ".join(problems))
    if table.empty:
        raise ValueError(f"{source}: the Demand table has no rows")
    return table


def for_region(demand: pd.DataFrame, la_codes: list[str]) -> pd.DataFrame:
    """The forecast's rows for the region's councils; a ValueError when it has none (a forecast of another region)."""
    rows = demand[demand["la_code"].isin(la_codes)]
    if rows.empty:
        found = ", ".join(sorted(demand["la_code"].astype(str).unique())[:5])
        raise ValueError(f"the forecast is for councils {found}, none of which is in this region's authorities.csv "
                         f"({', '.join(sorted(la_codes)[:5])}...): forecast this region with `rcc forecast`")
    return rows


def read_demand(path: Path) -> pd.DataFrame:
    """forecast.csv (as `rcc forecast` writes it), checked."""
    try:
        frame = pd.read_csv(path, dtype={"la_code": str, "group": str, "age_band": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{path}: cannot read the forecast: {exc}") from exc
    return check_demand(frame, str(path))


def run_month(months: pd.Series, run_date: date) -> pd.Timestamp:
    """The forecast month the run falls in (the first month, if the run comes before the forecast starts)."""
    first = months.min()
    month = pd.Timestamp(run_date).to_period("M").to_timestamp()
    if month > months.max():
        raise ValueError(f"the forecast ends in {months.max():%B %Y}, before the run date {run_date:%Y-%m-%d}: "
                         "forecast again from the latest data")
    return max(month, first)


def group_stock(demand: pd.DataFrame, column: str) -> pd.DataFrame:
    """Children in care per council x kind of home x month, summed over age bands: la_code, group,
    month, children."""
    table = demand[demand["group"].isin(list(HOME_KIND_OF_PLACEMENT_GROUP))]
    table = table.assign(group=table["group"].map(HOME_KIND_OF_PLACEMENT_GROUP))
    return table.groupby(["la_code", "group", "month"], as_index=False)[column].sum().rename(
        columns={column: "children"})


def band_stock(demand: pd.DataFrame, months: list[pd.Timestamp] | None = None) -> pd.DataFrame:
    """Mean children in care per council x kind of home x month x age band (in-house and agency fostering added
    together): la_code, group, month, age_band, mean."""
    table = demand[demand["group"].isin(list(HOME_KIND_OF_PLACEMENT_GROUP))]
    if months is not None:
        table = table[table["month"].isin(months)]
    return table.assign(group=table["group"].map(HOME_KIND_OF_PLACEMENT_GROUP)).groupby(
        ["la_code", "group", "month", "age_band"], as_index=False)["mean"].sum()


def months_after(demand: pd.DataFrame, run_date: date, count: int, purpose: str) -> list[pd.Timestamp]:
    """The run's month and the `count` months after it, all of which the forecast must cover."""
    start = run_month(demand["month"], run_date)
    months = [start + pd.DateOffset(months=k) for k in range(count + 1)]
    missing = [m for m in months if m not in set(demand["month"])]
    if missing:
        covered = len([m for m in months if m in set(demand["month"])]) - 1
        raise ValueError(f"{purpose} needs the forecast for {count} month(s) after {start:%B %Y}, but it covers "
                         f"{max(covered, 0)}: forecast with a longer --horizon")
    return months


def stock_rise(demand: pd.DataFrame, run_date: date, column: str) -> pd.DataFrame:
    """The rise in children in care per council x kind of home from the run's month to the next, in `column`
    (mean, or a quantile: p90 is the forecast's high end, so its rise covers a month busier than expected):
    la_code, group, month, next_month, now, next, rise (never below 0)."""
    this, following = months_after(demand, run_date, 1, "The look-ahead")
    stock = group_stock(demand, column).set_index(["la_code", "group", "month"])["children"]
    now = stock.xs(this, level="month")
    later = stock.xs(following, level="month").reindex(now.index, fill_value=0.0)
    table = pd.DataFrame({"month": this, "next_month": following, "now": now, "next": later}).reset_index()
    table["rise"] = (table["next"] - table["now"]).clip(lower=0.0)
    return table


def new_demand(demand: pd.DataFrame, run_date: date, horizon: int) -> pd.DataFrame:
    """Expected children needing a new place per council x kind of home x age band x month over the `horizon`
    months after the run's month: la_code, group, age_band, month, expected.

    Per council and group it is the rise in the mean stock above the run's month, counted once: a month adds
    what takes the rise past its highest so far (so a dip and recovery do not draw the same children twice),
    and a fall adds nobody. Each month's children are split over age bands as that month's stock is.
    """
    months = months_after(demand, run_date, horizon, "Planning")
    stock = group_stock(demand, "mean")
    stock = stock[stock["month"].isin(months)].pivot_table(index=["la_code", "group"], columns="month",
                                                            values="children", fill_value=0.0)[months]
    rise = stock.sub(stock[months[0]], axis=0).clip(lower=0.0).cummax(axis=1)
    added = rise.diff(axis=1).iloc[:, 1:].stack().rename("added").reset_index()
    bands = band_stock(demand, months[1:])
    bands["share"] = bands["mean"] / bands.groupby(["la_code", "group", "month"])["mean"].transform("sum")
    table = added.merge(bands, on=["la_code", "group", "month"])
    table["expected"] = table["added"] * table["share"].fillna(0.0)
    table = table[table["expected"] > 0]
    return table[["la_code", "group", "age_band", "month", "expected"]].sort_values(
        ["month", "la_code", "group", "age_band"]).reset_index(drop=True)


def band_ages(age_band: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """First and last whole year of each age band label ("10-16" is 10 to 15)."""
    parts = age_band.astype(str).str.extract(AGE_BAND_PATTERN).astype(int)
    return parts[0].to_numpy(), parts[1].to_numpy() - 1
