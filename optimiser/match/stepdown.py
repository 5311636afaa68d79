"""Step-down referrals: every child living somewhere unlawful gets a home search, whether or not a council
has raised one yet.

Unlawful here means a setting that is unregistered, or whose registration is cancelled, resigned or suspended,
a setting id rcc does not know (possibly unregistered provision), or supported accommodation for a child under
16. Children in registered placements are never moved by rcc; these children must be.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from data.region import Region
from data.schema import TABLES
from data.vocabulary import SUPPORTED_MIN_AGE

UNLAWFUL_STATUSES = ("unregistered", "cancelled", "resigned", "suspended")
STEP_DOWN_PREFIX = "STEPDOWN-"


def children_needing_step_down(region: Region) -> pd.DataFrame:
    """Children whose current home is unlawful, with why (child_id, la_code, current_setting_id, why)."""
    children = region.children
    settings = region.settings.set_index("setting_id")
    current = children["current_setting_id"].fillna("")
    status = current.map(settings["registration_status"])
    setting_type = current.map(settings["setting_type"])
    why = pd.Series("", index=children.index)
    why = why.mask(current.ne("") & status.isna(), "setting not known to rcc or Ofsted (possibly unregistered)")
    why = why.mask(status.isin(UNLAWFUL_STATUSES), "setting is " + status.fillna(""))
    why = why.mask(setting_type.eq("supported_accommodation") & (children["age"] < SUPPORTED_MIN_AGE).fillna(False),
                   "under 16 in supported accommodation")
    flagged = children[why.ne("")].assign(why=why[why.ne("")])
    return flagged[["child_id", "la_code", "current_setting_id", "why"]].reset_index(drop=True)


def step_down_referrals(region: Region, run_date: date) -> pd.DataFrame:
    """Referrals (in the referrals schema) for children needing step-down who have no open referral yet."""
    flagged = children_needing_step_down(region)
    flagged = flagged[~flagged["child_id"].isin(set(region.referrals["child_id"]))]
    return referrals_for_children(region.children.set_index("child_id").loc[flagged["child_id"]].reset_index(),
                                  run_date, STEP_DOWN_PREFIX)


def referrals_for_children(children: pd.DataFrame, run_date: date, prefix: str) -> pd.DataFrame:
    """A home search (in the referrals schema, id `prefix` + child id) for each child in care, from what the
    children table says of them: needed now, anywhere suitable, keeping any deprivation-of-liberty order."""
    adult_enough = children["age"].fillna(0).to_numpy() >= SUPPORTED_MIN_AGE
    rows = pd.DataFrame({
        "referral_id": prefix + children["child_id"],
        "child_id": children["child_id"], "la_code": children["la_code"], "age": children["age"],
        "sex": children["sex"], "needed_by": pd.Timestamp(run_date), "emergency": False, "sibling_group": "",
        "family_lat": children["home_lat"], "family_lon": children["home_lon"], "close_to_family": False,
        "keep_school": False, "foster_suitability": "suitable", "residential_suitability": "suitable",
        "supported_suitability": np.where(adult_enough, "suitable", "unsuitable"), "secure_order": False,
        # a child on a deprivation-of-liberty order keeps it, and its conditions, in the home searched for
        "dol_order": children["dol_order"].astype(bool), "dol_conditions": children["dol_conditions"],
        "dol_review_date": children["dol_review_date"],
        "needs": children["needs"], "cared_alongside": "no_preference", "ratio": "standard",
        "risk_to_self": "none", "risk_to_others": "none", "current_setting_id": children["current_setting_id"],
    })
    return TABLES["referrals"].with_defaults(rows)


def with_step_down_referrals(region: Region, run_date: date) -> tuple[Region, pd.DataFrame]:
    """The region with a step-down referral added for each child who needs one, and those referrals."""
    added = step_down_referrals(region, run_date)
    if added.empty:
        return region, added
    referrals = pd.concat([region.referrals, added.astype(region.referrals.dtypes.to_dict(), errors="ignore")],
                          ignore_index=True)
    return region.replace(referrals=referrals), added
