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


def fee_outliers(rng: np.random.Generator, settings: pd.DataFrame, n_members: int) -> list[dict]:
    """A few registered homes in the region charging 3.5-4.5 times the median fee of homes like them (same
    staffing ratio, not single-child)."""
    low, high = facts.PLANTED_FEE_OUTLIERS
    n = int(rng.integers(low, high + 1)) * max(1, n_members // 40)
    peers = (settings["setting_type"].eq("childrens_home") & settings["registration_status"].eq("active")
             & settings["sector"].eq("private") & settings["max_ratio"].eq("standard") & ~settings["solo_only"])
    median = settings.loc[peers, "weekly_fee"].median()
    chosen = top_k(rng, (peers & settings["role"].eq("member")).to_numpy(float), n)
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
