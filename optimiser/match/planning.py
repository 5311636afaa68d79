"""Planning mode: the children a forecast expects over the next months, matched to the supply as it stands.

The evidence base of a sufficiency strategy is where, for whom, and from when the region will run out of homes.
Planning draws that future as referrals and puts them through the same match, under the same rules:

1. How many: per council x kind of home x age band x month, the children the forecast expects to need a new
   place (optimiser/match/demand.py `new_demand`: the rise in the mean stock, each child counted once).
2. Who: each expected child is drawn (seeded) from the region's own referrals of that kind of home and age band:
   their needs, sibling group, suitability, secure need, ratio, who they can live with, emergency or not. The
   drawn child keeps none of the real child's places (family, school, area to avoid) and is measured from their
   council's centroid; ids start with F- so they cannot be mistaken for real children.
3. Against what: the supply as it stands: today's referrals are matched first (as `rcc match` would), their
   placements come off the vacancies, and the cohort is matched to what is left. The cohort is matched as of the
   horizon's last month, so a child drawn for an earlier month has waited longer and is placed first: the gap
   shows from which month the supply runs out.

Kept simple on purpose: today's vacancies are the supply for the whole horizon (no new homes, none closing), and
the places children leaving care free up are in the forecast already, which counts the net rise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data.region import Region
from data.schema import TABLES
from optimiser.match.allocation import MatchResult, match_region
from optimiser.match.demand import band_ages, for_region, months_after, new_demand
from optimiser.match.explain import exploded_needs, needed_group
from optimiser.match.lookahead import HOLD_PROFILE

COHORT_PREFIX = "F-"
PLANNING_GAP_COLUMNS = ["la_code", "group", "need", "month", "children_drawn", "children_unmet"]
# A drawn child is someone new: these are a real child's own, never copied.
NOT_COPIED = {"family_lat": np.nan, "family_lon": np.nan, "school_lat": np.nan, "school_lon": np.nan,
              "keep_school": False, "avoid_lat": np.nan, "avoid_lon": np.nan, "avoid_radius_km": np.nan,
              "current_setting_id": ""}


@dataclass(frozen=True)
class Planning:
    expected: pd.DataFrame  # la_code, group, age_band, month, expected: children the forecast expects
    cohort: pd.DataFrame  # the drawn referrals (referrals schema) with group, age_band and month
    today: MatchResult  # today's referrals, matched first
    supply: Region  # what the cohort was matched in: today's placements off the vacancies, the cohort as referrals
    result: MatchResult  # the cohort's match
    allocations: pd.DataFrame  # the cohort's allocation table with group, age_band and month
    gap: pd.DataFrame  # PLANNING_GAP_COLUMNS


def draw_cohort(region: Region, expected: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Referrals for the children `expected` describes, drawn from the region's referrals (see the module notes).

    Each cell's count is its expected number rounded up or down at random (so the cohort's size is the expected
    total give or take chance). A drawn child in a sibling group brings the group's other children with them; the
    children beyond the cell's count are taken off the council's next cells of that kind of home, so sibling
    groups are drawn as often as the region's referrals have them and the cohort keeps its size.
    """
    rng = np.random.default_rng(seed)
    expected = expected.reset_index(drop=True)
    counts = np.floor(expected["expected"]).astype(int) + (rng.random(len(expected))
                                                          < expected["expected"] % 1).astype(int)
    referrals = region.referrals.assign(group=needed_group(region.referrals).to_numpy())
    referrals["unit"] = referrals["sibling_group"].where(referrals["sibling_group"].ne(""), referrals["referral_id"])
    siblings = referrals[referrals["sibling_group"].ne("")].groupby("sibling_group").groups
    first_age, last_age = band_ages(expected["age_band"])
    children, next_group, owed = [], 0, {}
    for cell in np.flatnonzero(counts.to_numpy()):
        la_code, group, age_band, month = expected.loc[cell, ["la_code", "group", "age_band", "month"]]
        lo, hi = first_age[cell], last_age[cell]
        of_group = referrals[referrals["group"].eq(group)]
        pool = of_group[of_group["age"].between(lo, hi)]
        # one row per sibling group, so a group is drawn as often as a single child and the share of children
        # drawn with siblings is the region's
        pool = (pool if len(pool) else of_group).drop_duplicates("unit")
        remaining = int(counts[cell]) - owed.pop((la_code, group), 0)
        while remaining > 0:
            if pool.empty:
                members = [_generic(group, int(rng.integers(lo, hi + 1)))]
            else:
                template = pool.iloc[int(rng.integers(len(pool)))]
                family = siblings.get(template["sibling_group"], [])
                members = [template.to_dict()]
                if len(family) > 1:
                    members = [referrals.loc[i].to_dict() for i in family]
            sibling_group = ""
            if len(members) > 1:
                next_group += 1
                sibling_group = f"{COHORT_PREFIX}G{next_group:04d}"
            for member in members:
                age = member["age"] if len(members) > 1 else int(np.clip(member["age"], lo, hi))
                children.append({**member, **NOT_COPIED, "la_code": la_code, "age": age, "needed_by": month,
                                 "sibling_group": sibling_group, "group": group, "age_band": age_band,
                                 "month": month})
            remaining -= len(members)
        if remaining < 0:
            owed[(la_code, group)] = -remaining
    columns = [*TABLES["referrals"].column_names, "group", "age_band", "month"]  # the template's unit is dropped
    cohort = pd.DataFrame(children, columns=columns)
    # a column no template had (a generic child's DoL order, say) takes its schema default, never a blank
    cohort = pd.concat([TABLES["referrals"].with_defaults(cohort), cohort[["group", "age_band", "month"]]], axis=1)
    number = pd.Series([f"{i:05d}" for i in range(1, len(cohort) + 1)], dtype=object)
    cohort["referral_id"] = COHORT_PREFIX + "R" + number
    cohort["child_id"] = COHORT_PREFIX + "C" + number
    cohort["month"] = pd.to_datetime(cohort["month"])
    return cohort.astype(region.referrals.dtypes.to_dict(), errors="ignore")


def _generic(group: str, age: int) -> dict:
    """A child for a kind of home none of the region's referrals asks for: that kind of home, nothing else."""
    child = {"sex": "other", "emergency": False, "close_to_family": False, "foster_suitability": "unsuitable",
             "residential_suitability": "unsuitable", "supported_suitability": "unsuitable",
             "secure_order": False, "needs": (), "cared_alongside": "no_preference", "ratio": "standard",
             "risk_to_self": "none", "risk_to_others": "none", "max_distance_km": np.nan, "age": age}
    return child | HOLD_PROFILE[group]


def supply_after(region: Region, allocations: pd.DataFrame) -> Region:
    """The region after an allocation: its placements off the settings' vacancies, the children placed living
    there (for who later children can live alongside), and no referrals."""
    placed = allocations[allocations["status"].eq("matched")]
    taken = placed.groupby("setting_id").size()
    settings = region.settings.copy()
    settings["vacancies"] -= settings["setting_id"].map(taken).fillna(0).astype(settings["vacancies"].dtype)
    referrals = region.referrals.set_index("referral_id").loc[placed["referral_id"]]
    residents = pd.DataFrame({"child_id": referrals["child_id"].to_numpy(), "la_code": referrals["la_code"].to_numpy(),
                              "age": referrals["age"].to_numpy(), "sex": referrals["sex"].to_numpy(),
                              "current_setting_id": placed["setting_id"].to_numpy(),
                              "needs": referrals["needs"].to_numpy(), "uasc": False})
    residents = TABLES["children"].with_defaults(residents).reindex(columns=region.children.columns).astype(
        region.children.dtypes.to_dict(), errors="ignore")
    children = pd.concat([region.children, residents], ignore_index=True) if len(residents) else region.children
    return region.replace(settings=settings, children=children, referrals=region.referrals.iloc[:0])


def plan(region: Region, demand: pd.DataFrame, horizon: int, params, run_date: date, seed: int = 0) -> Planning:
    """Draw the cohort the forecast expects over `horizon` months and match it to the supply left after today's
    referrals (`region` as `rcc match` would match it, step-down referrals included)."""
    if horizon < 1:
        raise ValueError(f"the planning horizon must be at least 1 month (got {horizon})")
    demand = for_region(demand, region.la_codes)
    expected = new_demand(demand, run_date, horizon)
    cohort = draw_cohort(region, expected, seed)
    today = match_region(region, params, run_date)
    supply = supply_after(region, today.allocations)
    supply = supply.replace(referrals=cohort[TABLES["referrals"].column_names].reset_index(drop=True))
    last_month = months_after(demand, run_date, horizon, "Planning")[-1]
    # matched as of the horizon's end: children drawn for earlier months have waited longer and come first
    result = match_region(supply, params, last_month.date())
    allocations = result.allocations.merge(cohort[["referral_id", "group", "age_band", "month"]], on="referral_id")
    allocations["month"] = allocations["month"].dt.strftime("%Y-%m")
    return Planning(expected=expected, cohort=cohort, today=today, supply=supply, result=result,
                    allocations=allocations, gap=planning_gap(allocations, cohort))


def planning_gap(allocations: pd.DataFrame, cohort: pd.DataFrame) -> pd.DataFrame:
    """Per council x kind of home x need x month: children drawn and children the supply could not take.

    Columns: la_code; group (foster | childrens_home | secure | supported, as in gap.csv); need (a child with two
    needs counts under each, one with none under "none recorded"); month (YYYY-MM the children need a place
    from); children_drawn; children_unmet. Sum over months for the whole horizon.
    """
    frame = allocations[["referral_id", "la_code", "group", "month", "status"]].merge(
        cohort[["referral_id", "needs"]], on="referral_id")
    frame = exploded_needs(frame).assign(unmet=lambda f: f["status"].eq("unmatched"))
    gap = frame.groupby(["la_code", "group", "need", "month"], as_index=False).agg(
        children_drawn=("referral_id", "size"), children_unmet=("unmet", "sum"))
    gap["children_unmet"] = gap["children_unmet"].astype(int)
    return gap.sort_values(["month", "la_code", "group", "need"])[PLANNING_GAP_COLUMNS].reset_index(drop=True)
