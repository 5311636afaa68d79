"""What the strategy model plans against, as plain tables: demand per council x group x quarter (at the service
level, and along each simulated future), and each cell's supply today (the councils' own places, what the spot
market supplies, at what fee and how far from home).

The optimiser never imports the forecasts: it takes the Demand table or a long table of sample paths (path,
la_code, group, month, children), whoever made them, in the forecast's placement groups, and maps them onto the
kinds of home the strategy plans in (data.vocabulary: HOME_KINDS, HOME_KIND_OF_PLACEMENT_GROUP; settings by
HOME_KIND_OF_SETTING_TYPE). Kinship, placed with parents, adoption and other are not commissioned: left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.geo import haversine_km
from data.region import Region
from data.vocabulary import DOL_SETTING_TYPES, HOME_KIND_OF_PLACEMENT_GROUP, HOME_KIND_OF_SETTING_TYPE, HOME_KINDS
from optimiser.match.explain import needed_group
from optimiser.strategy.params import REGION_AREA, StrategyParams

MONTHS_PER_QUARTER = 3
CELL = ["la_code", "group"]
CELL_QUARTER = ["la_code", "group", "quarter"]


def quarter_labels(first_month: str | pd.Timestamp, horizon: int) -> pd.DataFrame:
    """Quarter numbers 1..horizon with their first month and a label such as 'Q1 Nov 2026-Jan 2027'."""
    start = pd.Timestamp(first_month)
    firsts = pd.date_range(start, periods=horizon, freq=pd.DateOffset(months=MONTHS_PER_QUARTER))
    lasts = firsts + pd.DateOffset(months=MONTHS_PER_QUARTER - 1)
    return pd.DataFrame({"quarter": np.arange(1, horizon + 1), "first_month": firsts.strftime("%Y-%m"),
                         "label": [f"Q{i} {a:%b %Y}-{b:%b %Y}" for i, (a, b) in enumerate(zip(firsts, lasts), 1)]})


def quarterly_paths(paths: pd.DataFrame, horizon: int, regional_groups: tuple[str, ...] = ()) -> pd.DataFrame:
    """Sample paths (path, la_code, group, month, children) as (path, la_code, group, quarter, children): the
    commissioned groups mapped to the strategy's, and each quarter's busiest month (places must hold the peak)."""
    months = np.sort(paths["month"].unique())
    if len(months) < horizon * MONTHS_PER_QUARTER:
        raise ValueError(f"the forecast covers {len(months)} months; a {horizon}-quarter plan needs "
                         f"{horizon * MONTHS_PER_QUARTER}")
    quarter = pd.Series(np.arange(len(months)) // MONTHS_PER_QUARTER + 1, index=months)
    frame = paths[paths["group"].isin(HOME_KIND_OF_PLACEMENT_GROUP)].assign(
        group=lambda d: d["group"].map(HOME_KIND_OF_PLACEMENT_GROUP), quarter=lambda d: d["month"].map(quarter))
    frame = frame[frame["quarter"] <= horizon]
    frame["la_code"] = area_codes(frame["la_code"], frame["group"], regional_groups)
    monthly = frame.groupby(["path", *CELL_QUARTER, "month"], as_index=False)["children"].sum()
    return monthly.groupby(["path", *CELL_QUARTER], as_index=False)["children"].max()


def demand_at(samples: pd.DataFrame, quantile: float) -> tuple[pd.DataFrame, np.ndarray]:
    """Per council x group x quarter: the mean and the `quantile` of demand across paths (a value some path
    reached, so at least that share of paths need no more), and the (path x row) matrix of every path."""
    wide = samples.pivot_table(index="path", columns=CELL_QUARTER, values="children", fill_value=0,
                               aggfunc="sum").sort_index(axis=1)
    matrix = wide.to_numpy(dtype=float)
    demand = wide.columns.to_frame(index=False)
    demand["mean"] = matrix.mean(axis=0)
    demand["at_quantile"] = np.quantile(matrix, quantile, axis=0, method="inverted_cdf")
    return demand, matrix


def demand_from_table(demand: pd.DataFrame, quantile: float, horizon: int,
                      regional_groups: tuple[str, ...] = ()) -> pd.DataFrame:
    """Without sample paths: the Demand table's quantiles interpolated to `quantile` (p50 to p90; held at p90
    above it), added over age bands and foster's two groups (which overstates the quantile of the total a little:
    a prudent service level), each quarter's busiest month."""
    weight = min(max((quantile - 0.5) / 0.4, 0.0), 1.0)
    table = demand[demand["group"].isin(HOME_KIND_OF_PLACEMENT_GROUP)].assign(
        group=lambda d: d["group"].map(HOME_KIND_OF_PLACEMENT_GROUP),
        at_quantile=lambda d: d["p50"] + weight * (d["p90"] - d["p50"]))
    months = np.sort(table["month"].unique())
    if len(months) < horizon * MONTHS_PER_QUARTER:
        raise ValueError(f"the Demand table covers {len(months)} months; a {horizon}-quarter plan needs "
                         f"{horizon * MONTHS_PER_QUARTER}")
    table["quarter"] = table["month"].map(pd.Series(np.arange(len(months)) // MONTHS_PER_QUARTER + 1, index=months))
    table["la_code"] = area_codes(table["la_code"], table["group"], regional_groups)
    monthly = table[table["quarter"] <= horizon].groupby([*CELL_QUARTER, "month"], as_index=False)[
        ["mean", "at_quantile"]].sum()
    return monthly.groupby(CELL_QUARTER, as_index=False)[["mean", "at_quantile"]].max()


def unmatched_by_group(region: Region, allocations: pd.DataFrame) -> pd.DataFrame:
    """The starting gap: children the match left without a home, per council x kind of home they need (la_code,
    group, children). A child whose referral names no suitable kind of home is left out."""
    unmatched = allocations.loc[allocations["status"].eq("unmatched"), "referral_id"]
    referrals = region.referrals[region.referrals["referral_id"].isin(unmatched)]
    frame = pd.DataFrame({"la_code": referrals["la_code"], "group": needed_group(referrals)})
    frame = frame[frame["group"].isin(HOME_KINDS)]
    return frame.groupby(CELL, as_index=False).size().rename(columns={"size": "children"})


def kind_of_settings(settings: pd.DataFrame) -> pd.Series:
    """The kind of home each setting is (HOME_KINDS): by its type, except that a children's home able to meet
    deprivation-of-liberty orders is planned as one ("dol"), apart from the other children's homes."""
    dol = settings["dol_capable"].astype(bool) & settings["setting_type"].isin(DOL_SETTING_TYPES)
    return settings["setting_type"].map(HOME_KIND_OF_SETTING_TYPE).mask(dol, "dol")


def placements_now(region: Region) -> pd.DataFrame:
    """Today's children in care in commissioned placements (children.csv), with their setting, group, fee and how
    far the setting is from home."""
    settings = region.settings.drop_duplicates("setting_id").set_index("setting_id")
    providers = region.providers.drop_duplicates("provider_id").set_index("provider_id")
    children = region.children[region.children["current_setting_id"].isin(settings.index)]
    where = settings.loc[children["current_setting_id"]]
    # a child on a deprivation-of-liberty order in a children's home is the DoL kind's; other children in a home
    # able to meet orders are the children's homes'
    kind = kind_of_settings(where).to_numpy(dtype=object)
    on_order = children["dol_order"].astype(bool).to_numpy()
    kind = np.where(np.isin(kind, ["childrens_home", "dol"]), np.where(on_order, "dol", "childrens_home"), kind)
    frame = pd.DataFrame({
        "la_code": children["la_code"].to_numpy(),
        "group": kind,
        "own": _own_place(where, providers, children["la_code"].to_numpy()),
        "fee": children["weekly_cost"].fillna(pd.Series(where["weekly_fee"].to_numpy(), index=children.index))
        .to_numpy(dtype=float),
        "km": haversine_km(children["home_lat"], children["home_lon"], where["lat"], where["lon"]),
        "active": where["registration_status"].eq("active").to_numpy()})
    return frame[frame["group"].notna()]


def _own_place(settings: pd.DataFrame, providers: pd.DataFrame, la_codes: np.ndarray) -> np.ndarray:
    """A place the council already has: run by the council itself (a local-authority provider whose id names the
    council, e.g. LA-E08000003) or a bed the RCC has block-contracted."""
    sector = settings["provider_id"].map(providers["sector"]).fillna("").to_numpy()
    own_council = np.array([la in pid for la, pid in zip(la_codes, settings["provider_id"])], dtype=bool)
    return (sector == "local_authority") & own_council | settings["block_contract"].to_numpy(dtype=bool)


def supply_cells(region: Region, current: pd.DataFrame, gap: pd.DataFrame, params: StrategyParams) -> pd.DataFrame:
    """Per council x group (or region x group for params.regional_groups), the supply the plan starts from.

    base_places: the council's children in places it already has (council-run, or beds already block-contracted)
    today, plus those places' vacancies; spot_places: its children in registered independent placements today,
    plus the headroom, less the children the match could not place (the gap); fees are what is paid today
    (medians; the region's median where a council has no such placement); spot_extra_km is how much further from
    home spot placements are than the councils' own, on today's placements.
    """
    councils = region.authorities["la_code"].tolist()
    grid = pd.MultiIndex.from_product([councils, HOME_KINDS], names=CELL).to_frame(index=False)
    settings = region.settings[region.settings["registration_status"].eq("active")]
    settings = settings.assign(group=kind_of_settings(settings))
    providers = region.providers.drop_duplicates("provider_id").set_index("provider_id")
    free = []
    for la in councils:
        mine = settings[_own_place(settings, providers, np.full(len(settings), la, dtype=object))
                        & (~settings["block_contract"].astype(bool) | settings["la_code"].eq(la)).to_numpy()]
        free.append(mine.groupby("group").agg(vacancies=("vacancies", "sum"), list_fee=("weekly_fee", "median"))
                    .reset_index().assign(la_code=la))
    placed = placements_now(region)
    own, bought = placed[placed["own"]], placed[~placed["own"] & placed["active"]]
    cells = (grid.merge(pd.concat(free, ignore_index=True), on=CELL, how="left")
             .merge(current.rename(columns={"children": "children_now"}), on=CELL, how="left")
             .merge(gap.rename(columns={"children": "gap"}), on=CELL, how="left")
             .merge(own.groupby(CELL).size().rename("own_now").reset_index(), on=CELL, how="left")
             .merge(bought.groupby(CELL).size().rename("spot_now").reset_index(), on=CELL, how="left"))
    counts = ["vacancies", "children_now", "gap", "own_now", "spot_now"]
    cells[counts] = cells[counts].astype(float).fillna(0.0)
    cells["base_places"] = cells["own_now"] + cells["vacancies"]
    spot_fee = _by_cell_with_fallback(cells, bought, "fee", "median", settings.groupby("group")["weekly_fee"].median())
    cells["base_weekly_cost"] = _by_cell_with_fallback(cells, own, "fee", "median", pd.Series(dtype=float)).fillna(
        cells["list_fee"]).fillna(spot_fee)
    # A kind of home the region buys nowhere has no fee to go on: price it as a placement found outside the
    # registered market (it only matters if such places appear, e.g. from options.csv).
    cells["base_weekly_cost"] = cells["base_weekly_cost"].fillna(params.unregistered_weekly_cost)
    cells["spot_weekly_cost"] = spot_fee.fillna(params.unregistered_weekly_cost)
    spot_km = _by_cell_with_fallback(cells, bought, "km", "mean", pd.Series(dtype=float))
    own_km = _by_cell_with_fallback(cells, own, "km", "mean", pd.Series(dtype=float))
    cells["spot_extra_km"] = (spot_km - own_km).clip(lower=0).fillna(0.0)
    cells = _regionalise(cells, params.regional_groups)
    cells["spot_places"] = (cells["spot_now"] * (1 + params.spot_market_headroom) - cells["gap"]).clip(lower=0)
    return cells[["la_code", "group", "children_now", "gap", "own_now", "base_places", "base_weekly_cost",
                  "spot_now", "spot_places", "spot_weekly_cost", "spot_extra_km"]]


def _regionalise(cells: pd.DataFrame, groups: tuple[str, ...]) -> pd.DataFrame:
    """Cells of the regionally planned groups added into one cell per group (fees and distances weighted by the
    children they describe)."""
    regional = cells["group"].isin(groups)
    if not regional.any():
        return cells
    counts = ["vacancies", "children_now", "gap", "own_now", "spot_now", "base_places"]

    def combine(rows: pd.DataFrame) -> pd.Series:
        out = rows[counts].sum()
        for column, weight in (("base_weekly_cost", "base_places"), ("spot_weekly_cost", "spot_now"),
                               ("spot_extra_km", "spot_now")):
            w = rows[weight].to_numpy(float)
            out[column] = float(np.average(rows[column], weights=w)) if w.sum() > 0 else float(rows[column].mean())
        return out

    merged = cells[regional].groupby("group").apply(combine, include_groups=False).reset_index()
    merged.insert(0, "la_code", REGION_AREA)
    return pd.concat([cells[~regional], merged], ignore_index=True)


def area_codes(la_codes: pd.Series, groups: pd.Series, regional_groups: tuple[str, ...]) -> pd.Series:
    """The planning area of each (council, group): the council, or the region for a regionally planned group."""
    return la_codes.where(~groups.isin(regional_groups), REGION_AREA)


def _by_cell_with_fallback(cells: pd.DataFrame, rows: pd.DataFrame, column: str, how: str,
                           last_resort: pd.Series) -> pd.Series:
    """A statistic per council x group, else the region's for the group, else `last_resort` for the group."""
    values = rows.dropna(subset=[column])
    per_cell = values.groupby(CELL)[column].agg(how)
    per_group = values.groupby("group")[column].agg(how)
    key = pd.MultiIndex.from_frame(cells[CELL])
    return (pd.Series(per_cell.reindex(key).to_numpy(), index=cells.index)
            .fillna(cells["group"].map(per_group)).fillna(cells["group"].map(last_resort)))


def current_from_region(region: Region) -> pd.DataFrame:
    """Children in care now per council x group from children.csv (when no forecast history is given)."""
    placed = placements_now(region)
    return placed.groupby(CELL, as_index=False).size().rename(columns={"size": "children"})


def in_strategy_groups(current: pd.DataFrame) -> pd.DataFrame:
    """Children per council x group, in the forecast's groups or the strategy's, added up in the strategy's."""
    mapping = {**HOME_KIND_OF_PLACEMENT_GROUP, **{g: g for g in HOME_KINDS}}
    frame = current[current["group"].isin(mapping)].assign(group=lambda d: d["group"].map(mapping))
    return frame.groupby(CELL, as_index=False)["children"].sum()
