"""Eligible (referral, setting) pairs and their costs, with the hard rules applied as vectorised filters.

Siblings who must live together are one *unit* (its size is the number of children); a single child is a unit
of one. The model chooses at most one setting per unit, so "siblings in one setting" holds by construction.

The filters run in a fixed order and the number of settings left after each is kept per referral. When a
child cannot be matched, the first rule that left no setting is the plain-English reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.geo import haversine_km
from data.region import Region
from data.schema import NEEDS, RATIOS, SUITABILITY_COLUMN_BY_SETTING_TYPE
from optimiser.params import MatchParams

NEED_BIT = {need: 1 << i for i, need in enumerate(NEEDS)}
RATIO_RANK = {ratio: i for i, ratio in enumerate(RATIOS)}
SUPPORTED_MIN_AGE = 16

# (code, what the rule requires, short summary of a child it leaves with no setting), in the order the filters
# are applied; the requirement completes "no setting with a vacancy ...".
RULES: tuple[tuple[str, str, str], ...] = (
    ("available", "is registered, active and not graded inadequate", "no registered setting with a vacancy"),
    ("setting_type", "is of a type the referral marks suitable", "no setting of a suitable type"),
    ("secure", "matches the child's secure need (secure homes only for children who need one)",
     "secure need not met"),
    ("age_range", "takes a child of this age", "no setting for the child's age"),
    ("needs", "meets all of the child's needs", "needs not met by any setting"),
    ("ratio", "can staff the ratio the child needs", "staffing ratio not available"),
    ("solo", "can give the child a home alone", "no empty setting for a child who must live alone"),
    ("distance", "is within the maximum distance", "nothing within the maximum distance"),
    ("sibling_group", "has room for the whole sibling group together", "no setting for the whole sibling group"),
)
RULE_TEXT = {code: requirement for code, requirement, _ in RULES}


@dataclass(frozen=True)
class Candidates:
    """What the matching model needs, as tables (one concept each)."""

    units: pd.DataFrame  # one row per unit: unit_id, size, solo, referral_ids (tuple)
    pairs: pd.DataFrame  # one row per eligible (unit, setting): unit_id, setting_id, cost, weight, capacity
    member_pairs: pd.DataFrame  # one row per (referral, setting) eligible for the child alone: cost terms, and
    #                             group_fits: the setting also has room for the child's whole sibling group
    survivors: pd.DataFrame  # referral_id x rule code: settings still eligible after each rule
    referrals: pd.DataFrame  # referrals with unit_id and the origin used for distance


def needs_mask(needs: pd.Series) -> np.ndarray:
    """Bitmask per row of a list-of-needs column, so "needs covered" is one vectorised AND."""
    return needs.map(lambda items: sum(NEED_BIT[n] for n in (items or ()))).to_numpy(dtype=np.int64)


def build_candidates(region: Region, params: MatchParams, chunk_pairs: int = 4_000_000) -> Candidates:
    """Screen every (referral, available setting) pair, a block of referrals at a time to bound memory."""
    referrals = _with_units_and_origin(region)
    # Setting-level rules first: the pair table only ever holds settings that could take someone.
    settings = region.settings[_available(region.settings, params)].reset_index(drop=True)
    r_arrays, s_arrays = _referral_arrays(referrals), _setting_arrays(settings)
    survivors = np.zeros((len(referrals), len(RULES)), dtype=np.int64)
    kept_ref, kept_set, kept_km, kept_fits = [], [], [], []
    step = max(1, chunk_pairs // max(len(settings), 1))
    for start in range(0, len(referrals), step):
        rows = np.arange(start, min(start + step, len(referrals)))
        ref_idx, set_idx = np.repeat(rows, len(settings)), np.tile(np.arange(len(settings)), len(rows))
        distance = haversine_km(r_arrays["lat"][ref_idx], r_arrays["lon"][ref_idx],
                                s_arrays["lat"][set_idx], s_arrays["lon"][set_idx])
        checks = _pair_checks(r_arrays, s_arrays, ref_idx, set_idx, distance, params)
        alive = np.ones(len(ref_idx), dtype=bool)
        for k, (code, _, _) in enumerate(RULES):
            if code == "sibling_group":
                # Kept per child even when the whole group does not fit: a split placement (today's practice
                # in the baseline) needs them. Units only ever use pairs where the whole group fits.
                eligible_alone = alive.copy()
            alive &= checks[code]
            survivors[:, k] += np.bincount(ref_idx[alive], minlength=len(referrals))
        kept_ref.append(ref_idx[eligible_alone])
        kept_set.append(set_idx[eligible_alone])
        kept_km.append(distance[eligible_alone])
        kept_fits.append(checks["sibling_group"][eligible_alone])
    survivors = pd.DataFrame(survivors, index=referrals["referral_id"], columns=[code for code, _, _ in RULES])

    ref_idx, set_idx = np.concatenate(kept_ref or [[]]).astype(int), np.concatenate(kept_set or [[]]).astype(int)
    distance = np.concatenate(kept_km or [[]])
    fits_group = np.concatenate(kept_fits or [[]]).astype(bool)
    member_pairs = pd.DataFrame({
        "referral_id": referrals["referral_id"].to_numpy()[ref_idx],
        "unit_id": referrals["unit_id"].to_numpy()[ref_idx],
        "setting_id": settings["setting_id"].to_numpy()[set_idx],
        "distance_km": distance,
        "fee_cost": settings["weekly_fee"].to_numpy(dtype=float)[set_idx],
        "distance_cost": params.cost_per_km * distance,
        "group_fits": fits_group,
    })
    member_pairs["fee_cost"] = member_pairs["fee_cost"].fillna(_typical_fee(settings, member_pairs["setting_id"]))
    member_pairs["cost"] = member_pairs["fee_cost"] + member_pairs["distance_cost"]

    units = _units(referrals)
    pairs = _unit_pairs(member_pairs, units, settings)
    return Candidates(units=units, pairs=pairs, member_pairs=member_pairs, survivors=survivors,
                      referrals=referrals)


def _referral_arrays(r: pd.DataFrame) -> dict[str, np.ndarray]:
    arrays = {
        "lat": r["origin_lat"].to_numpy(dtype=float), "lon": r["origin_lon"].to_numpy(dtype=float),
        "age": r["age"].to_numpy(dtype=float), "secure": r["secure_required"].to_numpy(dtype=bool),
        "needs": needs_mask(r["needs"]), "ratio": r["ratio"].map(RATIO_RANK).to_numpy(),
        "solo": r["cared_alongside"].eq("solo").to_numpy(), "size": r["unit_size"].to_numpy(),
        "max_km": r["max_distance_km"].to_numpy(dtype=float),
    }
    for column in set(SUITABILITY_COLUMN_BY_SETTING_TYPE.values()):
        arrays[column] = r[column].ne("unsuitable").to_numpy()
    return arrays


def _setting_arrays(s: pd.DataFrame) -> dict[str, np.ndarray]:
    return {
        "lat": s["lat"].to_numpy(dtype=float), "lon": s["lon"].to_numpy(dtype=float),
        "type": s["setting_type"].to_numpy(dtype=object),
        "age_min": s["age_min"].to_numpy(dtype=float), "age_max": s["age_max"].to_numpy(dtype=float),
        "needs": needs_mask(s["needs_met"]), "ratio": s["max_ratio"].map(RATIO_RANK).to_numpy(),
        "empty": (s["vacancies"] == s["places"]).to_numpy(dtype=bool),
        "vacancies": s["vacancies"].to_numpy(dtype=float), "solo_only": s["solo_only"].to_numpy(dtype=bool),
    }


def _pair_checks(r: dict, s: dict, ref_idx: np.ndarray, set_idx: np.ndarray, distance: np.ndarray,
                 params: MatchParams) -> dict[str, np.ndarray]:
    setting_type, age, size = s["type"][set_idx], r["age"][ref_idx], r["size"][ref_idx]
    max_km = r["max_km"][ref_idx]
    within = np.isnan(max_km) | (distance <= max_km)
    if params.max_distance_km > 0:
        within &= distance <= params.max_distance_km
    return {
        "available": np.ones(len(ref_idx), dtype=bool),
        "setting_type": _type_suitable(r, setting_type, ref_idx, age),
        "secure": r["secure"][ref_idx] == (setting_type == "secure_childrens_home"),
        "age_range": (s["age_min"][set_idx] <= age) & (age <= s["age_max"][set_idx]),
        "needs": (r["needs"][ref_idx] & ~s["needs"][set_idx]) == 0,
        "ratio": s["ratio"][set_idx] >= r["ratio"][ref_idx],
        # a child who must live alone needs a setting nobody lives in now
        "solo": ~r["solo"][ref_idx] | s["empty"][set_idx],
        "distance": within,
        "sibling_group": (s["vacancies"][set_idx] >= size) & ~((size > 1) & s["solo_only"][set_idx]),
    }


def _with_units_and_origin(region: Region) -> pd.DataFrame:
    """Each referral's unit (its sibling group, or itself) and the point distance is measured from."""
    r = region.referrals.reset_index(drop=True).copy()
    group = r["sibling_group"].fillna("")
    r["unit_id"] = np.where(group.ne(""), "sibling:" + group, "child:" + r["referral_id"])
    r["unit_size"] = r.groupby("unit_id")["referral_id"].transform("size")
    centroid = region.authorities.set_index("la_code")[["lat", "lon"]]
    has_family = r["family_lat"].notna() & r["family_lon"].notna()
    r["origin_lat"] = r["family_lat"].where(has_family, r["la_code"].map(centroid["lat"]))
    r["origin_lon"] = r["family_lon"].where(has_family, r["la_code"].map(centroid["lon"]))
    r["distance_from"] = np.where(has_family, "family home", "council centroid (no family location given)")
    return r


def _available(s: pd.DataFrame, params: MatchParams) -> np.ndarray:
    ok = s["registration_status"].eq("active") & (s["vacancies"] > 0)
    if params.exclude_inadequate:
        ok &= s["ofsted_grade"].ne("inadequate")
    return ok.to_numpy(dtype=bool)


def _type_suitable(r: dict, setting_type: np.ndarray, ref_idx: np.ndarray, age: np.ndarray) -> np.ndarray:
    """`unsuitable` never; supported accommodation never for under-16s (unlawful since September 2021)."""
    ok = np.zeros(len(ref_idx), dtype=bool)
    for stype, column in SUITABILITY_COLUMN_BY_SETTING_TYPE.items():
        here = setting_type == stype
        ok[here] = r[column][ref_idx[here]]
    ok &= ~((setting_type == "supported_accommodation") & (age < SUPPORTED_MIN_AGE))
    return ok


def _typical_fee(s: pd.DataFrame, setting_ids: pd.Series) -> pd.Series:
    """A setting with no fee on file is costed at the median fee of its type, so it is neither free nor barred."""
    median_by_type = s.groupby("setting_type")["weekly_fee"].median()
    setting_type = setting_ids.map(s.set_index("setting_id")["setting_type"])
    return setting_type.map(median_by_type).fillna(0.0)


def _units(referrals: pd.DataFrame) -> pd.DataFrame:
    return referrals.groupby("unit_id", sort=True).agg(
        size=("referral_id", "size"),
        solo=("cared_alongside", lambda c: bool(c.eq("solo").any())),
        referral_ids=("referral_id", lambda ids: tuple(sorted(ids))),
    ).reset_index()


def _unit_pairs(member_pairs: pd.DataFrame, units: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    """A unit may go to a setting only if every member may; its cost is the members' costs added up.

    `weight` is what the pair uses of the setting's `capacity` (its vacancies): the unit's size, or the whole
    setting when the unit must live alone or the setting is a single-child home.
    """
    grouped = member_pairs[member_pairs["group_fits"]].groupby(["unit_id", "setting_id"], sort=True)
    pairs = grouped.agg(members=("referral_id", "size"), cost=("cost", "sum")).reset_index()
    pairs = pairs.merge(units[["unit_id", "size", "solo"]], on="unit_id")
    pairs = pairs[pairs["members"] == pairs["size"]].drop(columns="members")
    setting = s.set_index("setting_id")
    pairs["capacity"] = pairs["setting_id"].map(setting["vacancies"]).astype(int)
    whole = pairs["solo"] | pairs["setting_id"].map(setting["solo_only"]).astype(bool)
    pairs["weight"] = np.where(whole, pairs["capacity"], pairs["size"])
    return pairs.reset_index(drop=True)
