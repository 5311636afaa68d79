"""The deprivation-of-liberty (DoL) cohort as a demand line of its own ("dol" in the Demand table).

Children on DoL orders live mostly in children's homes (SSDA903 K2) and, too often, in unregistered provision; the
chain forecasts them with the group they are in. Their line is carved out of those groups: per council and group,
the share of the group's children who were on an order at the forecast origin is the share of every forecast row,
sample path and count of that council and group that is the DoL cohort's (and the rest stays with the group). A
constant share is a plain, prudent assumption: the count of children deprived of liberty rose thirteen-fold from
2017/18 to 2022/23 (FACTS.md), so a share held flat does not extrapolate that rise, and says so.

Who was on an order at the origin: the DoLO table of the SSDA903 return where the region has it (region.dol_orders:
CHILD, DOB, DOLO_START, DOLO_END, read by the 903 import), joined to the child's spell open at the origin; else
children.csv's dol_order, each child in the group of their setting (or SSDA903 PLACE code). The secure-order
cohort is the "secure" group already (K1: secure children's homes), forecast by the chain itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.region import Region
from data.vocabulary import DOL_GROUP, PLACEMENT_GROUP_OF_PLACE, PLACEMENT_GROUP_OF_SETTING_TYPE, PLACEMENT_GROUPS

SHARE_COLUMNS = ["la_code", "group", "children", "stock", "share"]


def on_orders_at_origin(region: Region, spells: pd.DataFrame, as_of: pd.Timestamp) -> tuple[pd.DataFrame, str]:
    """(la_code, group) per child on a DoL order at `as_of`, and where that was read from."""
    orders = getattr(region, "dol_orders", None)
    if orders is not None and len(orders):
        start, end = pd.to_datetime(orders["DOLO_START"]), pd.to_datetime(orders["DOLO_END"])
        open_orders = orders.loc[(start <= as_of) & (end.isna() | (end > as_of)), "CHILD"].astype(str).unique()
        open_spells = spells[(spells["start"] <= as_of) & (spells["end"].isna() | (spells["end"] > as_of))]
        at = open_spells[open_spells["child"].astype(str).isin(open_orders)].drop_duplicates("child")
        return at[["la_code", "group"]].reset_index(drop=True), "the DoLO table"
    children = region.children[region.children["dol_order"].astype(bool)]
    settings = region.settings.drop_duplicates("setting_id").set_index("setting_id")
    by_setting = children["current_setting_id"].map(settings["setting_type"]).map(PLACEMENT_GROUP_OF_SETTING_TYPE)
    group = by_setting.fillna(children["place"].map(PLACEMENT_GROUP_OF_PLACE)).fillna("other")
    return pd.DataFrame({"la_code": children["la_code"].to_numpy(), "group": group.to_numpy()}), "children.csv"


def dol_shares(on_orders: pd.DataFrame, la_codes, stock_now: np.ndarray) -> pd.DataFrame:
    """Per council x group with children on orders: how many, the group's stock at the origin (`stock_now[c, g]`,
    councils in `la_codes` order) and the share (capped at 1; none where the history has nobody to carve from)."""
    counts = on_orders.groupby(["la_code", "group"]).size().rename("children").reset_index()
    council = {la: c for c, la in enumerate(la_codes)}
    group = {g: i for i, g in enumerate(PLACEMENT_GROUPS)}
    counts = counts[counts["la_code"].isin(council) & counts["group"].isin(group)].reset_index(drop=True)
    counts["stock"] = [float(stock_now[council[la], group[g]]) for la, g in zip(counts["la_code"], counts["group"])]
    counts["share"] = np.where(counts["stock"] > 0, np.minimum(counts["children"] / counts["stock"].where(
        counts["stock"] > 0, 1.0), 1.0), 0.0)
    return counts[counts["share"] > 0][SHARE_COLUMNS].reset_index(drop=True)


def with_dol_line(frame: pd.DataFrame, shares: pd.DataFrame, values: list[str]) -> pd.DataFrame:
    """`frame` (rows keyed by la_code, group and any other key columns) with each council and group's DoL share of
    its `values` moved to rows of group "dol" (added up over the groups they came from): totals are unchanged."""
    if shares.empty or frame.empty:
        return frame
    share = frame[["la_code", "group"]].merge(shares[["la_code", "group", "share"]], how="left",
                                              on=["la_code", "group"])["share"].fillna(0.0).to_numpy()
    carved = share > 0
    keys = [c for c in frame.columns if c not in values and c != "group"]
    dol = frame.loc[carved].copy()
    dol[values] = dol[values].to_numpy(float) * share[carved, None]
    dol = dol.groupby(keys, as_index=False, sort=False)[values].sum().assign(group=DOL_GROUP)
    rest = frame.copy()
    rest[values] = rest[values].to_numpy(float) * (1 - share)[:, None]
    return pd.concat([rest, dol[frame.columns]], ignore_index=True)
