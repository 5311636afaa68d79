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

# (code, what the rule requires) in the order the filters are applied; the text completes
# "no setting with a vacancy ...".
RULES: tuple[tuple[str, str], ...] = (
    ("available", "is registered, active and not graded inadequate"),
    ("setting_type", "is of a type the referral marks suitable"),
    ("secure", "matches the child's secure need (secure homes only for children who need one)"),
    ("age_range", "takes a child of this age"),
    ("needs", "meets all of the child's needs"),
    ("ratio", "can staff the ratio the child needs"),
    ("solo", "can give the child a home alone"),
    ("distance", "is within the maximum distance"),
    ("sibling_group", "has room for the whole sibling group together"),
)
RULE_TEXT = dict(RULES)


@dataclass(frozen=True)
class Candidates:
    """What the matching model needs, as tables (one concept each)."""

    units: pd.DataFrame  # one row per unit: unit_id, size, solo, referral_ids (tuple)
    pairs: pd.DataFrame  # one row per eligible (unit, setting): unit_id, setting_id, cost, weight, capacity
    member_pairs: pd.DataFrame  # one row per eligible (referral, setting): the audited cost terms per child
    survivors: pd.DataFrame  # referral_id x rule code: settings still eligible after each rule
    referrals: pd.DataFrame  # referrals with unit_id and the origin used for distance


def needs_mask(needs: pd.Series) -> np.ndarray:
    """Bitmask per row of a list-of-needs column, so "needs covered" is one vectorised AND."""
    return needs.map(lambda items: sum(NEED_BIT[n] for n in (items or ()))).to_numpy(dtype=np.int64)


def build_candidates(region: Region, params: MatchParams) -> Candidates:
    referrals = _with_units_and_origin(region)
    # Setting-level rules first: the pair table only ever holds settings that could take someone.
    settings = region.settings[_available(region.settings, params)].reset_index(drop=True)
    ref_idx, set_idx = np.meshgrid(np.arange(len(referrals)), np.arange(len(settings)), indexing="ij")
    ref_idx, set_idx = ref_idx.ravel(), set_idx.ravel()
    r, s = referrals, settings

    setting_type = s["setting_type"].to_numpy()[set_idx]
    age = r["age"].to_numpy(dtype=float)[ref_idx]
    distance = haversine_km(r["origin_lat"].to_numpy()[ref_idx], r["origin_lon"].to_numpy()[ref_idx],
                            s["lat"].to_numpy()[set_idx], s["lon"].to_numpy()[set_idx])
    sizes = r["unit_size"].to_numpy()[ref_idx]
    vacancies = s["vacancies"].to_numpy(dtype=float)[set_idx]

    checks = {
        "available": np.ones(len(ref_idx), dtype=bool),
        "setting_type": _type_suitable(r, setting_type, ref_idx, age),
        "secure": r["secure_required"].to_numpy(dtype=bool)[ref_idx] == (setting_type == "secure_childrens_home"),
        "age_range": (s["age_min"].to_numpy(dtype=float)[set_idx] <= age)
        & (age <= s["age_max"].to_numpy(dtype=float)[set_idx]),
        "needs": (needs_mask(r["needs"])[ref_idx] & ~needs_mask(s["needs_met"])[set_idx]) == 0,
        "ratio": s["max_ratio"].map(RATIO_RANK).to_numpy()[set_idx] >= r["ratio"].map(RATIO_RANK).to_numpy()[ref_idx],
        "solo": _solo_ok(r, s, ref_idx, set_idx),
        "distance": _within_distance(r, distance, ref_idx, params),
        "sibling_group": (vacancies >= sizes) & ~((sizes > 1) & s["solo_only"].to_numpy(dtype=bool)[set_idx]),
    }
    alive = np.ones(len(ref_idx), dtype=bool)
    survivors = {}
    for code, _ in RULES:
        alive &= checks[code]
        survivors[code] = np.bincount(ref_idx[alive], minlength=len(r))
    survivors = pd.DataFrame(survivors, index=r["referral_id"])

    fee = s["weekly_fee"].to_numpy(dtype=float)[set_idx]
    member_pairs = pd.DataFrame({
        "referral_id": r["referral_id"].to_numpy()[ref_idx],
        "unit_id": r["unit_id"].to_numpy()[ref_idx],
        "setting_id": s["setting_id"].to_numpy()[set_idx],
        "distance_km": distance,
        "fee_cost": fee,
        "distance_cost": params.cost_per_km * distance,
    })[alive].reset_index(drop=True)
    member_pairs["fee_cost"] = member_pairs["fee_cost"].fillna(_typical_fee(s, member_pairs["setting_id"]))
    member_pairs["cost"] = member_pairs["fee_cost"] + member_pairs["distance_cost"]

    units = _units(referrals)
    pairs = _unit_pairs(member_pairs, units, s)
    return Candidates(units=units, pairs=pairs, member_pairs=member_pairs, survivors=survivors,
                      referrals=referrals)


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


def _type_suitable(r: pd.DataFrame, setting_type: np.ndarray, ref_idx: np.ndarray, age: np.ndarray) -> np.ndarray:
    """`unsuitable` never; supported accommodation never for under-16s (unlawful since September 2021)."""
    ok = np.zeros(len(ref_idx), dtype=bool)
    for stype, column in SUITABILITY_COLUMN_BY_SETTING_TYPE.items():
        here = setting_type == stype
        ok[here] = r[column].to_numpy()[ref_idx[here]] != "unsuitable"
    ok &= ~((setting_type == "supported_accommodation") & (age < SUPPORTED_MIN_AGE))
    return ok


def _solo_ok(r: pd.DataFrame, s: pd.DataFrame, ref_idx: np.ndarray, set_idx: np.ndarray) -> np.ndarray:
    """A child who must live alone needs a setting nobody lives in now."""
    solo = r["cared_alongside"].eq("solo").to_numpy()[ref_idx]
    empty = (s["vacancies"] == s["places"]).to_numpy(dtype=bool)[set_idx]
    return ~solo | empty


def _within_distance(r: pd.DataFrame, distance: np.ndarray, ref_idx: np.ndarray, params: MatchParams) -> np.ndarray:
    own_cap = r["max_distance_km"].to_numpy(dtype=float)[ref_idx]
    ok = np.isnan(own_cap) | (distance <= own_cap)
    if params.max_distance_km > 0:
        ok &= distance <= params.max_distance_km
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
    grouped = member_pairs.groupby(["unit_id", "setting_id"], sort=True)
    pairs = grouped.agg(members=("referral_id", "size"), cost=("cost", "sum")).reset_index()
    pairs = pairs.merge(units[["unit_id", "size", "solo"]], on="unit_id")
    pairs = pairs[pairs["members"] == pairs["size"]].drop(columns="members")
    setting = s.set_index("setting_id")
    pairs["capacity"] = pairs["setting_id"].map(setting["vacancies"]).astype(int)
    whole = pairs["solo"] | pairs["setting_id"].map(setting["solo_only"]).astype(bool)
    pairs["weight"] = np.where(whole, pairs["capacity"], pairs["size"])
    return pairs.reset_index(drop=True)
