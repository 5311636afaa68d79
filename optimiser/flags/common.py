"""What every flag module shares: the flags table's shape, plain-English formatting, and the placements table.

Evidence is written for a commissioner, not a programmer: money as £ with thousands separators, margins as
percentages, setting types and councils by name.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from data.region import Region
from data.vocabulary import SETTING_TYPE_LABELS

FLAG_COLUMNS = ["flag", "subject_type", "subject_id", "severity", "evidence", "action"]
SEVERITIES = ("high", "medium", "low")
WEEKS_PER_YEAR = 52


def flag_frame(flag: str, subject_type: str, subject_id, severity, evidence, action) -> pd.DataFrame:
    """Rows of the flags table (all arguments but the first two may be lists of equal length)."""
    frame = pd.DataFrame({"subject_id": list(subject_id) if not isinstance(subject_id, str) else [subject_id]})
    frame.insert(0, "subject_type", subject_type)
    frame.insert(0, "flag", flag)
    for name, value in (("severity", severity), ("evidence", evidence), ("action", action)):
        frame[name] = list(value) if not isinstance(value, str) else value
    return frame[FLAG_COLUMNS]


def empty_flags() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FLAG_COLUMNS})


def money(value: float) -> str:
    """£12,345 (whole pounds); "an unknown amount" for a missing figure."""
    if value is None or pd.isna(value):
        return "an unknown amount"
    return f"-£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"


def pct(fraction: float, decimals: int = 1) -> str:
    return "unknown" if pd.isna(fraction) else f"{fraction * 100:.{decimals}f}%"


def points(fraction: float) -> str:
    """A difference of two percentages, in percentage points."""
    return f"{abs(fraction) * 100:.1f} points"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def type_name(setting_type: str) -> str:
    return SETTING_TYPE_LABELS.get(setting_type, str(setting_type).replace("_", " "))


def a_type(setting_type: str) -> str:
    """With its article: "a children's home", "an agency foster household", "supported accommodation"."""
    name = type_name(setting_type)
    if name.endswith("accommodation"):
        return name
    return ("an " if name[0] in "aeiou" else "a ") + name


def types_name(setting_type: str) -> str:
    """The plural: "children's homes", "supported accommodation"."""
    name = type_name(setting_type)
    return name if name.endswith("accommodation") else name + "s"


def aged(age) -> str:
    return "age unknown" if age is None or pd.isna(age) else f"aged {int(age)}"


def needs_text(needs) -> str:
    items = [n.replace("_", " ") for n in (needs or ())]
    return ", ".join(items) if items else "no recorded needs"


def council_names(region: Region) -> pd.Series:
    return region.authorities.set_index("la_code")["la_name"]


def council(region: Region, la_code: str) -> str:
    """The council's name where the region knows it, else its code marked as outside the region."""
    names = council_names(region)
    if la_code in names.index:
        return str(names[la_code])
    return "an unknown place" if la_code is None or pd.isna(la_code) else f"{la_code} (outside the region)"


def owners(providers: pd.DataFrame) -> pd.DataFrame:
    """Provider -> owner (its parent group where given, else itself) and the owner's display name."""
    group = providers["parent_group"].fillna("").astype(str)
    return pd.DataFrame({"owner": np.where(group.ne(""), group, providers["provider_id"]),
                         "owner_name": np.where(group.ne(""), group, providers["provider_name"])},
                        index=providers["provider_id"].to_numpy())


def placements(region: Region, run_date: date) -> pd.DataFrame:
    """One row per child of the region living in a setting (known or not): where, with whom, for how much.

    `weekly_cost` is what the council pays (children.weekly_cost), else the setting's list fee; `known` is False
    for a setting id that is in no settings table; `days` is how long the child has been there on `run_date`.
    """
    children = region.children
    placed = children[children["current_setting_id"].fillna("").ne("")]
    settings = region.settings.drop_duplicates("setting_id").set_index("setting_id")
    providers = region.providers.drop_duplicates("provider_id").set_index("provider_id")
    setting = placed["current_setting_id"]
    out = pd.DataFrame({
        "child_id": placed["child_id"].to_numpy(), "la_code": placed["la_code"].to_numpy(),
        "age": placed["age"].to_numpy(), "needs": placed["needs"].to_numpy(),
        "setting_id": setting.to_numpy(), "known": setting.isin(settings.index).to_numpy(),
    })
    for column in ("provider_id", "setting_type", "registration_status", "max_ratio", "solo_only", "weekly_fee",
                   "ofsted_grade"):
        out[column] = setting.map(settings[column]).to_numpy()
    out["setting_la_code"] = setting.map(settings["la_code"]).to_numpy()
    out["sector"] = out["provider_id"].map(providers["sector"])
    owner = owners(region.providers.drop_duplicates("provider_id"))
    out["owner"] = out["provider_id"].map(owner["owner"])
    out["owner_name"] = out["provider_id"].map(owner["owner_name"])
    out["provider_name"] = out["provider_id"].map(providers["provider_name"])
    cost = placed["weekly_cost"].astype(float).to_numpy()
    out["weekly_cost"] = np.where(np.isnan(cost), out["weekly_fee"].astype(float), cost)
    start = pd.to_datetime(placed["placement_start"]).to_numpy()
    out["days"] = (pd.Timestamp(run_date) - pd.DatetimeIndex(start)).days.to_numpy(dtype=float)
    out["placement_start"] = start
    return out


def exposure(placed: pd.DataFrame, key: str) -> pd.DataFrame:
    """Children and weekly spend of the region per value of `key` (provider_id, owner, setting_id)."""
    grouped = placed.groupby(key)
    return pd.DataFrame({"children": grouped.size(), "weekly_spend": grouped["weekly_cost"].sum()})


def exposure_text(children: int, weekly: float) -> str:
    if not children:
        return "The region has no children there now."
    return (f"The region has {plural(int(children), 'child', 'children')} there now at {money(weekly)} a week "
            f"({money(weekly * WEEKS_PER_YEAR)} a year).")
