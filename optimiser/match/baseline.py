"""Today's practice, as a counterfactual: each council searches alone, first come first served.

Referrals are taken in order of the date the home is needed (emergencies first on a day). Each council takes
its own in-house foster place if one is eligible, else the nearest eligible vacancy within what it normally pays
for that kind of setting, else, when it must, the nearest eligible vacancy at any price (a spot purchase).
Siblings are kept together when one setting has room, and split across settings when it has not (as councils
do under pressure), which the regional model never does. The same hard rules apply as in the regional model
(the same candidate pairs), so the comparison is about coordination, not about cutting corners.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.geo import TWENTY_MILES_KM
from data.region import Region
from optimiser.match.allocation import weekly_spend
from optimiser.match.candidates import Candidates

# A council "can afford" up to this multiple of the median fee it sees for a type of setting.
AFFORDABLE_MULTIPLE = 1.25
# Why a child is left without a place under today's practice (the allocation table's text for a shortage).
SHORTAGE_BASELINE = "other councils' children had already taken those places when this council searched"


def la_by_la_baseline(region: Region, candidates: Candidates) -> pd.DataFrame:
    """Setting per referral (referral_id, setting_id or NaN, sibling_split) under today's practice."""
    referrals = candidates.referrals.copy()
    referrals["_order"] = list(zip(referrals["needed_by"], ~referrals["emergency"].astype(bool),
                                   referrals["referral_id"]))
    settings = region.settings.set_index("setting_id")
    providers = region.providers.set_index("provider_id")
    pairs = candidates.member_pairs.merge(
        settings[["setting_type", "provider_id", "la_code"]].rename(columns={"la_code": "setting_la"}),
        left_on="setting_id", right_index=True)
    pairs = pairs.merge(referrals[["referral_id", "la_code"]], on="referral_id")
    pairs["in_house"] = (pairs["setting_type"].eq("foster_inhouse")
                         & pairs["provider_id"].map(providers["sector"]).eq("local_authority")
                         & pairs["setting_la"].eq(pairs["la_code"]))
    typical = pairs.groupby("setting_type")["fee_cost"].median() * AFFORDABLE_MULTIPLE
    pairs["affordable"] = pairs["fee_cost"] <= pairs["setting_type"].map(typical)
    # in-house first, then affordable, then nearest: one sort key, so each search is a lookup
    pairs = pairs.sort_values(["referral_id", "in_house", "affordable", "distance_km"],
                              ascending=[True, False, False, True])
    options = {rid: group["setting_id"].tolist() for rid, group in pairs.groupby("referral_id", sort=False)}
    remaining = settings["vacancies"].fillna(0).astype(int).to_dict()  # not known: offered to no child

    vacancies = dict(remaining)
    solo_only = settings["solo_only"].to_dict()
    solo = set(referrals.loc[referrals["cared_alongside"].eq("solo"), "referral_id"])

    def take(setting_id: str, children: int, alone: bool) -> None:
        # a child who must live alone, or a single-child home, uses the whole setting
        remaining[setting_id] = 0 if alone or solo_only[setting_id] else remaining[setting_id] - children

    def usable(setting_id: str, rid: str) -> bool:
        untouched = remaining[setting_id] == vacancies[setting_id]
        return remaining[setting_id] > 0 and (rid not in solo or untouched)

    chosen: dict[str, str] = {}
    split: set[str] = set()
    for _, members in referrals.sort_values("_order").groupby("unit_id", sort=False):
        ids = members.sort_values("_order")["referral_id"].tolist()
        together = _first_common(ids, options, remaining, vacancies, solo, solo_only)
        if together is not None:
            take(together, len(ids), alone=bool(solo & set(ids)))
            chosen.update({rid: together for rid in ids})
            continue
        for rid in ids:
            place = next((s for s in options.get(rid, []) if usable(s, rid)), None)
            if place is not None:
                take(place, 1, alone=rid in solo)
                chosen[rid] = place
        if len(ids) > 1:
            split.update(ids)
    out = referrals[["referral_id"]].copy()
    out["setting_id"] = out["referral_id"].map(chosen)
    out["sibling_split"] = out["referral_id"].isin(split)
    return out


def _first_common(ids: list[str], options: dict[str, list[str]], remaining: dict[str, int],
                  vacancies: dict[str, int], solo: set[str], solo_only: dict[str, bool]) -> str | None:
    """The first setting, in the first child's order of preference, that can take every member together."""
    others = [set(options.get(rid, [])) for rid in ids[1:]]
    needs_empty = bool(solo & set(ids))
    for setting_id in options.get(ids[0], []):
        if (remaining[setting_id] >= len(ids) and all(setting_id in o for o in others)
                and not (len(ids) > 1 and solo_only[setting_id])
                and not (needs_empty and remaining[setting_id] != vacancies[setting_id])):
            return setting_id
    return None


def compare_outcomes(regional: pd.DataFrame, baseline: pd.DataFrame, violations: dict[str, int]) -> pd.DataFrame:
    """Regional optimum vs today's practice on the same referrals, one row per measure."""
    rows = []
    for name, alloc in (("regional", regional), ("la_by_la", baseline)):
        matched = alloc[alloc["status"] == "matched"]
        groups = alloc.loc[alloc["sibling_group"].ne(""), ["sibling_group", "status", "setting_id"]]
        per_group = groups.assign(where=groups["setting_id"].fillna("-")).groupby("sibling_group")["where"].nunique()
        rows.append({
            "approach": name,
            "referrals": len(alloc),
            "matched": len(matched),
            "unmatched": int((alloc["status"] == "unmatched").sum()),
            "total_weekly_cost": weekly_spend(alloc),
            "mean_distance_km": float(matched["distance_km"].mean()) if len(matched) else np.nan,
            "share_over_20_miles": float((matched["distance_km"] > TWENTY_MILES_KM).mean()) if len(matched) else np.nan,
            "family_settings": int(matched["setting_type"].isin(["foster_inhouse", "foster_ifa"]).sum()),
            "sibling_splits": int((per_group > 1).sum()),
            "hard_rule_violations": violations[name],
        })
    return pd.DataFrame(rows).set_index("approach").T
