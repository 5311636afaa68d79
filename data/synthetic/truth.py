"""The planted anomalies (synthetic_truth.csv): what a flags feature should find, for measuring its recall.

Nothing in rcc may read this table to decide anything; it exists only so tests can score the flags.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.synthetic import facts
from data.synthetic.sampling import top_k

COLUMNS = ["kind", "subject_type", "subject_id", "detail"]


def rows(kind: str, subject_type: str, ids, details) -> list[dict]:
    return [{"kind": kind, "subject_type": subject_type, "subject_id": i, "detail": d} for i, d in zip(ids, details)]


def table(parts: list[list[dict]]) -> pd.DataFrame:
    flat = [row for part in parts for row in part]
    return pd.DataFrame(flat, columns=COLUMNS).sort_values(["kind", "subject_id"], kind="stable",
                                                           ignore_index=True)


def fee_outliers(rng: np.random.Generator, settings: pd.DataFrame, n_members: int,
                 residents: np.ndarray) -> list[dict]:
    """A few registered homes in the region, each with at least one of the region's children (`residents`: the
    region's children per settings row), charging 3.5-4.5 times the median fee of homes like them (same staffing
    ratio, not single-child)."""
    low, high = facts.PLANTED_FEE_OUTLIERS
    n = int(rng.integers(low, high + 1)) * max(1, n_members // 40)
    peers = (settings["setting_type"].eq("childrens_home") & settings["registration_status"].eq("active")
             & settings["sector"].eq("private") & settings["max_ratio"].eq("standard") & ~settings["solo_only"])
    median = settings.loc[peers, "weekly_fee"].median()
    chosen = top_k(rng, (peers & settings["role"].eq("member") & (residents > 0)).to_numpy(float), n)
    fee = median * rng.uniform(3.5, 4.5, chosen.size)
    settings.iloc[chosen, settings.columns.get_loc("weekly_fee")] = fee
    return rows("fee_outlier", "setting", settings["setting_id"].to_numpy()[chosen],
                [f"£{f:,.0f} a week, {f / median:.1f} times similar homes" for f in fee])


def unregistered_settings(settings: pd.DataFrame) -> list[dict]:
    found = settings[settings["registration_status"].eq("unregistered")]
    return rows("unregistered_setting", "setting", found["setting_id"],
                [f"{p} child(ren) at £{f:,.0f} a week" for p, f in zip(found["places"], found["weekly_fee"])])


def children(kids: pd.DataFrame) -> list[dict]:
    unregistered = kids[kids["unregistered"]]
    young = kids[kids["under_16_supported"]]
    return (rows("child_in_unregistered_setting", "child", unregistered["child_id"], unregistered["current_setting_id"])
            + rows("under_16_in_supported", "child", young["child_id"],
                   [f"aged {a} in {s}" for a, s in zip(young["age"], young["current_setting_id"])]))


def fee_outlier_placements(kids: pd.DataFrame, settings: pd.DataFrame, row: np.ndarray,
                           outlier_settings: list[dict]) -> list[dict]:
    """The region's children living in the planted fee-outlier homes: each such placement is a fee outlier."""
    planted = {r["subject_id"] for r in outlier_settings}
    home = np.where(row >= 0, settings["setting_id"].to_numpy()[np.maximum(row, 0)], "")
    found = kids[np.isin(home, list(planted))]
    return rows("fee_outlier_placement", "child", found["child_id"],
                [f"in {s}, which charges far more than similar homes" for s in found["current_setting_id"]])


def placement_premiums(rng: np.random.Generator, kids: pd.DataFrame, settings: pd.DataFrame, row: np.ndarray,
                       n_members: int, exclude: list[dict]) -> list[dict]:
    """A few single placements in ordinary independent children's homes for which the council pays 3-4 times the
    home's fee (a spot purchase at a premium); changes those children's weekly_cost."""
    low, high = facts.PLANTED_PREMIUM_PLACEMENTS
    n = int(rng.integers(low, high + 1)) * max(1, n_members // 40)
    placed = row >= 0
    at = np.maximum(row, 0)
    skip = {r["subject_id"] for r in exclude}
    eligible = (placed & settings["setting_type"].eq("childrens_home").to_numpy()[at]
                & settings["registration_status"].eq("active").to_numpy()[at]
                & settings["sector"].isin(["private", "voluntary"]).to_numpy()[at]
                & ~kids["child_id"].isin(skip).to_numpy() & kids["weekly_cost"].notna().to_numpy())
    chosen = top_k(rng, eligible.astype(float), n)
    factor = rng.uniform(*facts.PLANTED_PREMIUM, chosen.size)
    column = kids.columns.get_loc("weekly_cost")
    kids.iloc[chosen, column] = kids["weekly_cost"].to_numpy()[chosen] * factor
    return rows("fee_outlier_placement", "child", kids["child_id"].to_numpy()[chosen],
                [f"council pays {f:.1f} times the home's fee" for f in factor])


def secure_need_outside_registered_home(searches: pd.DataFrame, settings: pd.DataFrame) -> list[dict]:
    """Children whose referral says they need a secure placement and who live now in a setting that is neither a
    secure children's home nor a registered children's home or residential school (found, not planted)."""
    status = settings.set_index("setting_id")["registration_status"]
    kind = settings.set_index("setting_id")["setting_type"]
    current = searches["current_setting_id"].fillna("")
    registered_home = (current.map(status).eq("active")
                       & current.map(kind).isin(["secure_childrens_home", "childrens_home",
                                                 "residential_special_school"]))
    found = searches[searches["secure_order"].astype(bool) & current.ne("") & ~registered_home]
    return rows("secure_need_outside_registered_home", "child", found["child_id"],
                [f"needs a secure placement, lives in {s}" for s in found["current_setting_id"]])
