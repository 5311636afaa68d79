"""Stress test: if the largest provider group left the market, how many of the region's children would need a new
home, and how many could the region re-house?

The group's settings are removed; each of the region's children living in one gets a home search (kept if the
child already has one) for the same kind of placement as now; and the whole region is matched again, this
month's other referrals included, against the vacancies left. Assumptions, stated in the evidence: a child needs
the kind of placement they have now (foster carers for a fostered child; a children's home, or foster care, for
a child in a home); a child in a single-child home needs one again, with the same staffing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data.region import Region
from data.schema import TABLES
from data.vocabulary import SUPPORTED_MIN_AGE
from optimiser.flags.common import WEEKS_PER_YEAR, a_type, empty_flags, flag_frame, money, pct, plural, types_name
from optimiser.flags.params import StressParams
from optimiser.flags.unlawful import match_or_nothing
from optimiser.match.allocation import REASON_SUMMARY, MatchResult
from optimiser.match.params import MatchParams
from optimiser.match.stepdown import with_step_down_referrals

EXIT_PREFIX = "EXIT-"
DISPLACED_COLUMNS = ["child_id", "la_code", "age", "setting_id", "setting_type", "weekly_cost_before", "referral_id",
                     "status", "new_setting_id", "new_setting_type", "weekly_fee_after", "distance_km", "reason"]
# Suitability of (foster, residential, supported) placements for a displaced child, by the kind they live in now:
# the same kind only (a child under 16 in supported accommodation, who must not stay there, may go to either
# other kind).
SUITABILITY = {
    "foster_inhouse": ("preferred", "unsuitable", "unsuitable"),
    "foster_ifa": ("preferred", "unsuitable", "unsuitable"),
    "childrens_home": ("unsuitable", "preferred", "unsuitable"),
    "residential_special_school": ("unsuitable", "preferred", "unsuitable"),
    "secure_childrens_home": ("unsuitable", "preferred", "unsuitable"),
    "supported_accommodation": ("unsuitable", "unsuitable", "preferred"),
}


@dataclass(frozen=True)
class StressTest:
    owner: str  # a parent_group, or the provider_id of a company with none
    owner_name: str
    subject_type: str  # parent_group | provider
    companies: int
    settings: int
    places_in_region: int
    displaced: pd.DataFrame  # DISPLACED_COLUMNS: one row per child who would need a new home
    other_referrals: int
    other_matched_before: int
    other_matched_after: int
    result: MatchResult | None

    @property
    def rehoused(self) -> int:
        return int(self.displaced["status"].eq("matched").sum())

    def summary(self) -> dict:
        d = self.displaced
        return {"group": self.owner_name, "children_displaced": len(d), "rehoused": self.rehoused,
                "not_rehoused": len(d) - self.rehoused,
                "weekly_spend_before": round(float(d["weekly_cost_before"].sum()), 2),
                "weekly_spend_after": round(float(d["weekly_fee_after"].sum()), 2),
                "other_referrals": self.other_referrals, "other_matched_before": self.other_matched_before,
                "other_matched_after": self.other_matched_after}


def largest_owner(region: Region, placed: pd.DataFrame, params: StressParams) -> tuple[str, str]:
    """(owner, display name) of the group to remove: the one named in the parameters, else the largest
    independent owner by the region's children placed with it (or by places in the region)."""
    providers = region.providers.drop_duplicates("provider_id")
    group = providers["parent_group"].fillna("")
    owner = pd.Series(np.where(group.ne(""), group, providers["provider_id"]), index=providers["provider_id"])
    name = pd.Series(np.where(group.ne(""), group, providers["provider_name"]), index=providers["provider_id"])
    if params.group:
        if params.group not in set(owner):
            raise ValueError(f"stress.group {params.group!r} is neither a parent_group nor a provider_id of a "
                             "provider without one")
        return params.group, str(name[owner.eq(params.group)].iloc[0])
    independent = set(providers.loc[providers["sector"].ne("local_authority"), "provider_id"])
    if params.largest_by == "children":
        mine = placed[placed["provider_id"].isin(independent) & placed["registration_status"].eq("active")]
        sizes = mine.groupby("owner").size()
    else:
        s = region.settings[region.settings["provider_id"].isin(independent)
                            & region.settings["registration_status"].eq("active")
                            & region.settings["la_code"].isin(region.authorities["la_code"])]
        sizes = s.groupby(s["provider_id"].map(owner))["places"].sum()
    if sizes.empty:
        return "", ""
    top = sizes.sort_values(ascending=False, kind="stable")
    top = top[top.eq(top.iloc[0])].sort_index()
    return str(top.index[0]), str(name[owner.eq(top.index[0])].iloc[0])


def exit_referrals(region: Region, children: pd.DataFrame, run_date: date) -> pd.DataFrame:
    """Referrals (referrals schema) for displaced children, `children` being their placements rows."""
    kids = region.children.set_index("child_id").loc[children["child_id"]].reset_index()
    kinds = children["setting_type"].map(SUITABILITY).to_numpy()
    foster, residential, supported = (np.array([k[i] for k in kinds], dtype=object) for i in range(3))
    young = kids["age"].astype(float).fillna(0).to_numpy() < SUPPORTED_MIN_AGE
    unlawful_now = young & (supported != "unsuitable")
    foster = np.where(unlawful_now, "suitable", foster)
    residential = np.where(unlawful_now, "suitable", residential)
    supported = np.where(young, "unsuitable", supported)
    solo = children["solo_only"].fillna(False).astype(bool).to_numpy()
    rows = pd.DataFrame({
        "referral_id": EXIT_PREFIX + kids["child_id"], "child_id": kids["child_id"], "la_code": kids["la_code"],
        "age": kids["age"], "sex": kids["sex"], "needed_by": pd.Timestamp(run_date), "emergency": False,
        "sibling_group": "", "family_lat": kids["home_lat"], "family_lon": kids["home_lon"],
        "close_to_family": False, "keep_school": False, "foster_suitability": foster,
        "residential_suitability": residential, "supported_suitability": supported,
        # a child on a deprivation-of-liberty order keeps it; a child in a secure home needs one again
        "secure_order": children["setting_type"].eq("secure_childrens_home").to_numpy()
        & ~kids["dol_order"].astype(bool).to_numpy(),
        "dol_order": kids["dol_order"].astype(bool).to_numpy(), "dol_conditions": kids["dol_conditions"],
        "dol_review_date": kids["dol_review_date"], "needs": kids["needs"],
        "cared_alongside": np.where(solo, "solo", "no_preference"),
        "ratio": np.where(solo, children["max_ratio"].fillna("standard"), "standard"),
        "risk_to_self": "none", "risk_to_others": "none", "current_setting_id": kids["current_setting_id"],
    })
    return TABLES["referrals"].with_defaults(rows)


@dataclass(frozen=True)
class Exit:
    """What the region faces if some providers leave: the children who would need a new home and where the
    regional match could put them, and what the exit does to this month's other referrals."""
    displaced: pd.DataFrame  # DISPLACED_COLUMNS
    settings: int
    places_in_region: int
    other_referrals: int
    other_matched_before: int
    other_matched_after: int
    result: MatchResult | None


def owner_companies(region: Region, owner: str) -> set[str]:
    """The provider ids an owner (a parent_group, or the provider_id of a company with none) stands for."""
    providers = region.providers.drop_duplicates("provider_id")
    group = providers["parent_group"].fillna("")
    return set(providers.loc[group.eq(owner) | (group.eq("") & providers["provider_id"].eq(owner)), "provider_id"])


def providers_exit(region: Region, placed: pd.DataFrame, leaving: set[str], match_params: MatchParams,
                   run_date: date, base_allocations: pd.DataFrame | None = None) -> Exit:
    """Remove the settings of the providers `leaving`, give each of the region's children living in one a home
    search (kept if the child already has one) and match the whole region again against the vacancies left.
    `base_allocations` is the ordinary match of the same month (with step-down referrals) for comparison; made
    here when not given. The stress test, the derived difficult-to-replace designation and the profit cap's exits
    all ask this one question."""
    removed = region.settings["provider_id"].isin(leaving)
    displaced = placed[placed["provider_id"].isin(leaving)].reset_index(drop=True)
    with_steps, _ = with_step_down_referrals(region, run_date)
    if base_allocations is None:
        base_allocations, _ = match_or_nothing(with_steps, match_params, run_date)
    searching = set(with_steps.referrals["child_id"])
    new = exit_referrals(region, displaced[~displaced["child_id"].isin(searching)], run_date)
    referrals = pd.concat([with_steps.referrals, new.astype(with_steps.referrals.dtypes.to_dict(), errors="ignore")],
                          ignore_index=True) if len(new) else with_steps.referrals
    stressed = with_steps.replace(settings=region.settings[~removed].reset_index(drop=True), referrals=referrals)
    allocations, result = match_or_nothing(stressed, match_params, run_date)
    alloc = allocations.drop_duplicates("child_id").set_index("child_id")
    out = displaced[["child_id", "la_code", "age", "setting_id", "setting_type"]].copy()
    out["weekly_cost_before"] = displaced["weekly_cost"].to_numpy()
    got = alloc.reindex(out["child_id"])
    out["referral_id"] = got["referral_id"].to_numpy()
    out["status"] = got["status"].fillna("unmatched").to_numpy()
    out["new_setting_id"] = got["setting_id"].to_numpy()
    out["new_setting_type"] = got["setting_type"].to_numpy()
    out["weekly_fee_after"] = got["weekly_fee"].to_numpy()
    out["distance_km"] = got["distance_km"].to_numpy()
    out["reason"] = got["reason_code"].fillna("").map(lambda c: REASON_SUMMARY.get(c, c)).to_numpy()
    displaced_ids = set(out["child_id"])
    before = base_allocations[~base_allocations["child_id"].isin(displaced_ids)]
    after = allocations[allocations["referral_id"].isin(before["referral_id"])]
    in_region = region.settings["la_code"].isin(region.authorities["la_code"]) & removed
    return Exit(displaced=out[DISPLACED_COLUMNS], settings=int(removed.sum()),
                places_in_region=int(region.settings.loc[in_region, "places"].sum()), other_referrals=len(before),
                other_matched_before=int(before["status"].eq("matched").sum()),
                other_matched_after=int(after["status"].eq("matched").sum()), result=result)


def stress_test(region: Region, placed: pd.DataFrame, params: StressParams, match_params: MatchParams,
                run_date: date, base_allocations: pd.DataFrame | None = None) -> StressTest | None:
    """Remove the largest group's settings, re-match, and count who could be re-housed."""
    owner, owner_name = largest_owner(region, placed, params)
    if not owner:
        return None
    theirs = owner_companies(region, owner)
    gone = providers_exit(region, placed, theirs, match_params, run_date, base_allocations)
    is_group = region.providers["parent_group"].fillna("").eq(owner).any()
    return StressTest(owner=owner, owner_name=owner_name, subject_type="parent_group" if is_group else "provider",
                      companies=len(theirs), settings=gone.settings, places_in_region=gone.places_in_region,
                      displaced=gone.displaced, other_referrals=gone.other_referrals,
                      other_matched_before=gone.other_matched_before, other_matched_after=gone.other_matched_after,
                      result=gone.result)


def stress_flags(test: StressTest | None) -> pd.DataFrame:
    """One provider_exit_stress row for the group tested."""
    if test is None:
        return empty_flags()
    d = test.displaced
    n, rehoused = len(d), test.rehoused
    kinds = d["setting_type"].value_counts()
    mix = ", ".join(f"{int(c):,} in {types_name(t)}" if c > 1 else f"1 in {a_type(t)}" for t, c in kinds.items())
    failed = d[d["status"].ne("matched")]["reason"].value_counts()
    why = "; ".join(f"{int(c):,} {reason}" for reason, c in failed.items())
    before, after = d["weekly_cost_before"].sum(), d.loc[d["status"].eq("matched"), "weekly_fee_after"].sum()
    moved_before = d.loc[d["status"].eq("matched"), "weekly_cost_before"].sum()
    evidence = (
        f"If {test.owner_name} ({plural(test.companies, 'company', 'companies')}, "
        f"{plural(test.settings, 'setting')}, {plural(test.places_in_region, 'place')} in the region) left the market, "
        f"{plural(n, 'child', 'children')} of the region living in its settings would need a new home ({mix}), "
        f"costing {money(before)} a week now ({money(before * WEEKS_PER_YEAR)} a year). Re-matched with this month's "
        f"{plural(test.other_referrals, 'other referral')} against the vacancies left, the region could re-house "
        f"{rehoused:,} of them ({pct(rehoused / n if n else 1.0, 0)})"
        + (f"; {n - rehoused:,} could not be placed ({why})." if n > rehoused else ".")
        + (f" Those re-housed would cost {money(after)} a week against {money(moved_before)} now." if rehoused else "")
        + f" This month's other referrals: {test.other_matched_before:,} matched before the exit, "
        f"{test.other_matched_after:,} after. (Each child is assumed to need the same kind of placement as now; a "
        "child in a single-child home needs one again, at the same staffing.)")
    severity = "high" if n > rehoused else ("medium" if n else "low")
    action = (f"Ask {test.owner_name} for its contingency plan; agree with neighbouring regions where the "
              f"{n - rehoused:,} children who could not be re-housed would go; commission the missing places "
              "(see stress_test.csv for each child).") if n > rehoused else (
        f"Keep the region's spare capacity: today it could absorb {test.owner_name}'s exit, but only by using "
        "vacancies other children may need.")
    return flag_frame("provider_exit_stress", test.subject_type, [test.owner], severity, evidence, action)
