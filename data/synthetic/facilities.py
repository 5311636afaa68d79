"""Children's homes, residential special schools, secure children's homes and supported accommodation.

The region's own councils get Ofsted's count of homes and places; councils around it get homes too, because
half of a region's children in homes live more than 20 miles away. Other types are sized from the children
who live in them, with room for the children from elsewhere who share them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.geo import haversine_km
from data.synthetic import facts, needs
from data.synthetic.places import SECURE_HOMES, councils, scatter
from data.synthetic.sampling import pick, top_k, whole_shares

AGE_RANGES = {"childrens_home": (((8, 17), 0.35), ((10, 17), 0.30), ((12, 17), 0.20), ((5, 17), 0.08),
                                 ((13, 17), 0.05), ((0, 17), 0.02)),
              "residential_special_school": (((8, 18), 0.5), ((11, 18), 0.4), ((5, 18), 0.1)),
              "secure_childrens_home": (((10, 17), 1.0),),
              "supported_accommodation": (((16, 17), 1.0),)}
NEED_RATES = {  # assumption, except the homes' figures from Ofsted named in facts.HOME_NEED_SHARES
    "childrens_home": {**facts.HOME_NEED_SHARES, "mental_health": 0.55, "learning_disability": 0.30,
                       "physical_disability": 0.08, "exploitation_risk": 0.50, "substance_misuse": 0.35,
                       "uasc": 0.10},
    "residential_special_school": {"emotional_behavioural": 0.8, "learning_disability": 1.0, "mental_health": 0.3,
                                   "physical_disability": 0.5, "sensory_impairment": 0.4, "complex_health": 0.4},
    "secure_childrens_home": {"emotional_behavioural": 1.0, "mental_health": 1.0, "learning_disability": 0.6,
                              "exploitation_risk": 1.0, "substance_misuse": 1.0, "complex_health": 0.3,
                              "physical_disability": 0.3, "sensory_impairment": 0.3},
    "supported_accommodation": {"emotional_behavioural": 0.5, "mental_health": 0.2, "learning_disability": 0.08,
                                "exploitation_risk": 0.2, "substance_misuse": 0.2, "parent_and_child": 0.06,
                                "uasc": 0.45},
}
RATIO_SHARES = {  # (standard, 1:1, 2:1, 3:1), assumption
    "childrens_home": (0.50, 0.38, 0.11, 0.01), "solo": (0.0, 0.55, 0.38, 0.07),
    "residential_special_school": (0.3, 0.5, 0.2, 0.0), "secure_childrens_home": (0.0, 0.0, 1.0, 0.0),
    "supported_accommodation": (0.85, 0.15, 0.0, 0.0)}
SECTOR_SHARES = {"residential_special_school": (0.0, 0.5, 0.5), "supported_accommodation": (0.05, 0.70, 0.25)}
STATUS_SHARES = {"childrens_home": (0.955, 0.01, 0.025, 0.005, 0.005),
                 "supported_accommodation": (0.93, 0.02, 0.05, 0.0, 0.0)}
STATUSES = ("active", "suspended", "applied", "resigned", "cancelled")
SUPPORTED_SIZES = (0.40, 0.15, 0.15, 0.15, 0.08, 0.07)  # 1-6 places, assumption
SUPPORTED_PLACES_PER_CHILD = {"member": 1.25, "near": 0.3, "far": 0.1}  # assumption
SCHOOL_PLACES = (8, 30)  # assumption
PUPILS_PER_SCHOOL = 6  # a region's looked-after pupils per residential special school, assumption
SOLO_SHARE_OF_ONE_PLACE = 0.75  # assumption
NOT_INSPECTED = {"childrens_home": 0.05, "supported_accommodation": 0.70}  # assumption: new registrations
BLOCK_CONTRACT_SHARE = 0.04  # assumption
RING_WEIGHT = {"member": 1.0, "near": 1.0, "far": 0.5}
SECURE_OUTSIDE_REGION = 2
HOME_WORDS = ("Oak", "Willow", "Beech", "Rowan", "Hazel", "Maple", "Cedar", "Elm", "Holly", "Ash", "Laurel",
              "Meadow", "Brook", "Heather", "Fern", "Juniper", "Larch", "Alder", "Birch", "Poplar")
HOME_SUFFIXES = ("House", "Lodge", "Cottage", "View", "Court", "Place")


def build(rng: np.random.Generator, region: str, hosts: pd.DataFrame, kids: pd.DataFrame) -> pd.DataFrame:
    """Every facility setting, one row each, with a working `sector` and `owner_la` (council running it, for
    council-run settings) and need_* columns."""
    parts = [_homes(rng, region, hosts), _schools(rng, hosts, kids), _secure(rng, hosts),
             _supported(rng, hosts, kids)]
    out = pd.concat(parts, ignore_index=True)
    out["lat"], out["lon"] = scatter(rng, out["centre_lat"], out["centre_lon"], out["spread_km"])
    out["owner_la"] = np.where(out["sector"].eq("local_authority"), out["la_code"], "")
    return out.drop(columns=["centre_lat", "centre_lon", "spread_km"])


def _at_councils(hosts: pd.DataFrame, counts: np.ndarray) -> pd.DataFrame:
    """One row per setting, placed at its host council (centre and spread)."""
    rows = hosts.loc[np.repeat(hosts.index.to_numpy(), counts)]
    return pd.DataFrame({"la_code": rows["la_code"].to_numpy(), "role": rows["role"].to_numpy(),
                         "centre_lat": rows["lat"].to_numpy(), "centre_lon": rows["lon"].to_numpy(),
                         "spread_km": rows["spread_km"].to_numpy()})


def _spread_counts(rng: np.random.Generator, weights: np.ndarray, total: int) -> np.ndarray:
    """Share `total` settings among councils, in proportion to weights with some local variation."""
    return whole_shares(weights * np.exp(rng.normal(0.0, 0.25, weights.size)), total)


def _homes(rng: np.random.Generator, region: str, hosts: pd.DataFrame) -> pd.DataFrame:
    members = hosts["role"].eq("member").to_numpy()
    homes, places = facts.REGION_HOMES.get(region, (facts.ENGLAND_HOMES, facts.ENGLAND_HOME_PLACES))
    north_west = np.where(hosts["region9"].eq("NW"), facts.NORTH_WEST_HOME_SHARE / facts.NORTH_WEST_CLA_SHARE,
                          (1 - facts.NORTH_WEST_HOME_SHARE) / (1 - facts.NORTH_WEST_CLA_SHARE))
    counts = np.zeros(len(hosts), dtype=int)
    counts[members] = _spread_counts(rng, (hosts["cla"] * north_west).to_numpy()[members], homes)
    ring = ~members
    if ring.any():
        ring_weight = (hosts["population_k"] * hosts["role"].map(RING_WEIGHT)).to_numpy()[ring]
        counts[ring] = _spread_counts(rng, ring_weight, round(facts.RING_HOMES_PER_REGION_HOME * homes))
    out = _at_councils(hosts, counts)
    out["setting_type"] = "childrens_home"
    in_region = out["role"].eq("member").to_numpy()
    out["places"] = 0
    out.loc[in_region, "places"] = _sizes(rng, int(in_region.sum()), facts.HOME_SIZE_SHARES, places)
    out.loc[~in_region, "places"] = _sizes(rng, int((~in_region).sum()), facts.HOME_SIZE_SHARES)
    out["sector"] = _home_sectors(rng, out["places"].to_numpy())
    out["solo_only"] = (out["places"] == 1) & (rng.random(len(out)) < SOLO_SHARE_OF_ONE_PLACE)
    _describe(rng, out, "childrens_home")
    out["block_contract"] = (in_region & out["sector"].eq("private") & out["registration_status"].eq("active")
                             & (rng.random(len(out)) < BLOCK_CONTRACT_SHARE))
    out["weekly_fee"] = _home_fees(rng, out)
    return out


def _sizes(rng: np.random.Generator, n: int, shares, total: int | None = None) -> np.ndarray:
    """Places per setting (1..len(shares)); nudged one place at a time to add up to `total` when given."""
    sizes = rng.choice(np.arange(1, len(shares) + 1), size=n, p=np.asarray(shares) / np.sum(shares))
    while total is not None and sizes.sum() != total:
        step = 1 if sizes.sum() < total else -1
        room = np.flatnonzero((sizes + step >= 1) & (sizes + step <= len(shares)))
        chosen = rng.choice(room, size=min(room.size, abs(total - sizes.sum())), replace=False)
        sizes[chosen] += step
    return sizes


def _home_sectors(rng: np.random.Generator, places: np.ndarray) -> np.ndarray:
    """Mostly private; council homes tend to be the larger ones (Ofsted: LA 5.0 places, private 3.6)."""
    n = places.size
    sector = np.full(n, "private", dtype=object)
    counts = whole_shares([facts.PRIVATE_HOME_SHARE, facts.LA_HOME_SHARE,
                           1 - facts.PRIVATE_HOME_SHARE - facts.LA_HOME_SHARE], n)
    council = top_k(rng, places.astype(float) ** 2, counts[1])
    sector[council] = "local_authority"
    voluntary = top_k(rng, (sector == "private").astype(float), counts[2])
    sector[voluntary] = "voluntary"
    return sector


def _describe(rng: np.random.Generator, out: pd.DataFrame, kind: str) -> None:
    """Ages taken, needs met, staffing ratio, registration, Ofsted grade and name, by setting type."""
    n = len(out)
    ranges, shares = zip(*AGE_RANGES[kind])
    out["age_min"], out["age_max"] = np.asarray(ranges)[rng.choice(len(ranges), size=n, p=shares)].T
    if "solo_only" not in out:
        out["solo_only"] = False
    ratio = pick(rng, ("standard", "1:1", "2:1", "3:1"), RATIO_SHARES[kind], n)
    solo_ratio = pick(rng, ("standard", "1:1", "2:1", "3:1"), RATIO_SHARES["solo"], n)
    out["max_ratio"] = np.where(out["solo_only"], solo_ratio, ratio)
    out["registration_status"] = pick(rng, STATUSES, STATUS_SHARES.get(kind, (1, 0, 0, 0, 0)), n)
    grade = pick(rng, tuple(facts.OFSTED_GRADE_SHARES), tuple(facts.OFSTED_GRADE_SHARES.values()), n)
    new = (rng.random(n) < NOT_INSPECTED.get(kind, 0.0)) | out["registration_status"].eq("applied").to_numpy()
    out["ofsted_grade"] = np.where(new, "not_inspected", grade)
    flags = needs.draw(rng, n, NEED_RATES[kind], breadth_sd=1.0 if kind == "childrens_home" else 0.5)
    out[needs.COLUMNS] = flags.to_numpy()
    out["block_contract"] = False
    out["setting_name"] = (pick(rng, HOME_WORDS, np.ones(len(HOME_WORDS)), n) + " "
                           + pick(rng, HOME_SUFFIXES, np.ones(len(HOME_SUFFIXES)), n))


def _home_fees(rng: np.random.Generator, homes: pd.DataFrame) -> np.ndarray:
    """Lognormal fees averaging the NAO's £6,100 a week, higher for council homes (PSSRU), solo homes and
    higher staffing ratios (assumption)."""
    ratio = homes["max_ratio"].map({"standard": 1.0, "1:1": 1.1, "2:1": 1.35, "3:1": 1.6}).to_numpy()
    lift = ratio * np.where(homes["solo_only"], 1.5, 1.0) * np.where(
        homes["sector"].eq("local_authority"), facts.LA_HOME_FEE_RATIO, 1.0)
    noise = np.exp(rng.normal(-facts.HOME_FEE_SIGMA ** 2 / 2, facts.HOME_FEE_SIGMA, len(homes)))
    return facts.HOME_FEE_MEAN * lift / lift.mean() * noise


def _schools(rng: np.random.Generator, hosts: pd.DataFrame, kids: pd.DataFrame) -> pd.DataFrame:
    pupils = int(kids["place"].eq("S1").sum())
    members = hosts["role"].eq("member").to_numpy()
    counts = np.zeros(len(hosts), dtype=int)
    schools = max(3, round(pupils / PUPILS_PER_SCHOOL))
    counts[members] = _spread_counts(rng, hosts["population_k"].to_numpy()[members], schools)
    if (~members).any():
        counts[~members] = _spread_counts(rng, hosts["population_k"].to_numpy()[~members], 3)
    out = _at_councils(hosts, counts)
    out["setting_type"] = "residential_special_school"
    out["places"] = rng.integers(SCHOOL_PLACES[0], SCHOOL_PLACES[1] + 1, len(out))
    out["sector"] = pick(rng, ("local_authority", "private", "voluntary"),
                         SECTOR_SHARES["residential_special_school"], len(out))
    _describe(rng, out, "residential_special_school")
    out["setting_name"] = out["setting_name"].str.split().str[0] + " School"
    out["weekly_fee"] = facts.SCHOOL_FEE_MEDIAN * np.exp(rng.normal(0.0, 0.3, len(out)))
    return out


def _secure(rng: np.random.Generator, hosts: pd.DataFrame) -> pd.DataFrame:
    """England's secure children's homes in the region, and the nearest few outside it."""
    homes = pd.DataFrame(SECURE_HOMES, columns=["la_code", "places"]).merge(councils(), on="la_code")
    members = hosts.loc[hosts["role"].eq("member")]
    inside = homes["la_code"].isin(members["la_code"]).to_numpy()
    gap = haversine_km(homes["lat"], homes["lon"], members["lat"].mean(), members["lon"].mean())
    outside = np.flatnonzero(~inside)[np.argsort(gap[~inside], kind="stable")[:SECURE_OUTSIDE_REGION]]
    chosen = homes.iloc[np.concatenate([np.flatnonzero(inside), outside])]
    out = pd.DataFrame({"la_code": chosen["la_code"].to_numpy(),
                        "role": np.where(chosen["la_code"].isin(members["la_code"]), "member", "far"),
                        "centre_lat": chosen["lat"].to_numpy(), "centre_lon": chosen["lon"].to_numpy(),
                        "spread_km": chosen["spread_km"].to_numpy() / 3, "places": chosen["places"].to_numpy(),
                        "setting_type": "secure_childrens_home", "sector": "local_authority"})
    _describe(rng, out, "secure_childrens_home")
    out["setting_name"] = chosen["la_name"].to_numpy() + " Secure Unit"
    out["weekly_fee"] = rng.uniform(*facts.SECURE_FEE, len(out))
    return out


def _supported(rng: np.random.Generator, hosts: pd.DataFrame, kids: pd.DataFrame) -> pd.DataFrame:
    young_people = int(kids["place"].eq("K3").sum())
    mean_size = np.dot(np.arange(1, 7), SUPPORTED_SIZES) / np.sum(SUPPORTED_SIZES)
    counts = np.zeros(len(hosts), dtype=int)
    for role, per_child in SUPPORTED_PLACES_PER_CHILD.items():
        where = hosts["role"].eq(role).to_numpy()
        if where.any():
            total = round(young_people * per_child / mean_size)
            counts[where] = _spread_counts(rng, hosts["population_k"].to_numpy()[where], total)
    out = _at_councils(hosts, counts)
    out["setting_type"] = "supported_accommodation"
    out["places"] = _sizes(rng, len(out), SUPPORTED_SIZES)
    out["sector"] = pick(rng, ("local_authority", "private", "voluntary"),
                         SECTOR_SHARES["supported_accommodation"], len(out))
    _describe(rng, out, "supported_accommodation")
    out["setting_name"] = out["setting_name"].str.replace(r" \w+$", " Flats", regex=True)
    single = out["places"].eq(1).to_numpy()
    out["weekly_fee"] = np.where(single, rng.uniform(2_000, facts.SUPPORTED_FEE[1], len(out)),
                                 rng.uniform(facts.SUPPORTED_FEE[0], 2_500, len(out)))
    return out
