"""Foster households, one row each, built around the children they care for now, plus some between placements.

In-house carers are approved by the child's own council (provider sector local_authority); the others belong
to independent fostering agencies, assigned in providers.py. A household's places are its approval: the
children there now plus, often, a spare place that is only sometimes offered (DfE: 60% of approved places
are filled).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.geo import haversine_km
from data.synthetic import facts, needs
from data.synthetic.placement import location_shares
from data.synthetic.places import scatter
from data.synthetic.sampling import pick

FOSTER_TYPES = ("foster_inhouse", "foster_ifa")
CHILDREN_PER_HOUSEHOLD = (0.72, 0.22, 0.06)  # 1, 2, 3 children, assumption
NEAR_KM = (3.0, 28.0)  # centroids of councils "elsewhere within 20 miles"
FAR_KM = (40.0, 250.0)
LOCAL_SPREAD_KM = 4.0
EMPTY_PLACES = (0.45, 0.40, 0.15)  # 1-3 places, assumption
EMPTY_NEAR = 0.2
NEED_RATES = {"emotional_behavioural": 0.75, "mental_health": 0.15, "learning_disability": 0.10,
              "physical_disability": 0.05, "complex_health": 0.03, "sensory_impairment": 0.02,
              "exploitation_risk": 0.10, "substance_misuse": 0.05, "parent_and_child": 0.05, "uasc": 0.10}
AGE_APPROVALS = ((0, 17), (0, 11), (5, 17), (11, 17))


def households(rng: np.random.Generator, kids: pd.DataFrame, hosts: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Foster households (setting rows, with working sector/owner_la/need_* columns) and the row each child lives
    in (-1: not fostered)."""
    gaps = _council_gaps(hosts)
    frames, where, offset = [], np.full(len(kids), -1), 0
    for kind in FOSTER_TYPES:
        rows = np.flatnonzero(kids["supply_type"].eq(kind).to_numpy())
        homes, home_of = _occupied(rng, kids.iloc[rows], kind, hosts, gaps)
        where[rows] = home_of + offset
        offset += len(homes)
        frames.append(homes)
    frames.append(_empty(rng, pd.concat(frames, ignore_index=True), hosts, gaps))
    out = pd.concat(frames, ignore_index=True)
    out["lat"], out["lon"] = scatter(rng, out.pop("centre_lat"), out.pop("centre_lon"), out.pop("spread_km"))
    return out, where


def _council_gaps(hosts: pd.DataFrame) -> pd.DataFrame:
    lat, lon = hosts["lat"].to_numpy(), hosts["lon"].to_numpy()
    gaps = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    return pd.DataFrame(gaps, index=hosts["la_code"], columns=hosts["la_code"])


def _occupied(rng, kids: pd.DataFrame, kind: str, hosts: pd.DataFrame, gaps: pd.DataFrame):
    """Households for the children fostered now (1-3 children from one council each), and each child's household."""
    council = kids["la_code"].to_numpy()
    outside = hosts.set_index("la_code")["outside_share"].reindex(council).to_numpy()
    wanted = (rng.random(len(kids))[:, None] > np.cumsum(location_shares(kind, outside), axis=1)).sum(axis=1)
    home_of, first = _households_of(rng, council, wanted)
    homes = _located(rng, council[first], wanted[first], hosts, gaps)
    occupants = np.bincount(home_of, minlength=len(homes))
    extra = pick(rng, (0, 1, 2), facts.FOSTER_EXTRA_PLACES, len(homes)).astype(int)
    homes["places"] = np.minimum(occupants + extra, np.maximum(occupants, 3))
    spare = homes["places"].to_numpy() - occupants
    homes["vacancies"] = np.where(rng.random(len(homes)) < facts.FOSTER_SPARE_OFFERED, spare, 0)
    homes["occupied"] = occupants
    _describe(rng, homes, kind, council[first])
    youngest, oldest = np.full(len(homes), 99), np.zeros(len(homes), dtype=int)
    np.minimum.at(youngest, home_of, kids["age"].to_numpy())
    np.maximum.at(oldest, home_of, kids["age"].to_numpy())
    _approve_ages(rng, homes, youngest, oldest)
    met = homes[needs.COLUMNS].to_numpy()
    np.logical_or.at(met, home_of, kids[needs.COLUMNS].to_numpy())
    homes[needs.COLUMNS] = met
    return homes, home_of


def _households_of(rng: np.random.Generator, council: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Household number of each child (children sharing a council and a wanted distance share households) and
    the first child of each household."""
    order = np.lexsort((rng.random(council.size), wanted, council))
    sizes = pick(rng, (1, 2, 3), CHILDREN_PER_HOUSEHOLD, council.size).astype(int)
    same = np.r_[False, (council[order][1:] == council[order][:-1]) & (wanted[order][1:] == wanted[order][:-1])]
    numbers = _household_numbers(same, sizes)
    home_of = np.empty(council.size, dtype=int)
    home_of[order] = numbers
    first = order[np.r_[0, np.flatnonzero(np.diff(numbers)) + 1]] if council.size else order
    return home_of, first


def _household_numbers(same_group_as_previous: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Consecutive household numbers for sorted children: a new household when the group changes or the
    current household has reached its drawn size."""
    number = np.zeros(sizes.size, dtype=int)
    current, filled = 0, 0
    for i in range(sizes.size):
        if i and (not same_group_as_previous[i] or filled >= sizes[current]):
            current, filled = current + 1, 0
        number[i] = current
        filled += 1
    return number


def _located(rng, council: np.ndarray, wanted: np.ndarray, hosts: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """Host council for each household: the child's own, one nearby, or one further away."""
    host = council.copy()
    codes = gaps.columns.to_numpy()
    weight = hosts.set_index("la_code")["population_k"].reindex(codes).to_numpy()
    moving = wanted > 0
    pairs = pd.DataFrame({"council": council[moving], "wanted": wanted[moving]}).drop_duplicates()
    for origin, distance_band in pairs.itertuples(index=False):
        low, high = NEAR_KM if distance_band == 1 else FAR_KM
        gap = gaps.loc[origin].to_numpy()
        pool = np.flatnonzero((gap > low) & (gap < high))
        these = np.flatnonzero(moving & (council == origin) & (wanted == distance_band))
        if pool.size:
            host[these] = codes[rng.choice(pool, size=these.size, p=weight[pool] / weight[pool].sum())]
    centre = hosts.set_index("la_code").loc[host]
    local = np.where(host == council, np.minimum(centre["spread_km"], LOCAL_SPREAD_KM), centre["spread_km"])
    return pd.DataFrame({"la_code": host, "role": centre["role"].to_numpy(), "centre_lat": centre["lat"].to_numpy(),
                         "centre_lon": centre["lon"].to_numpy(), "spread_km": local})


def _describe(rng, homes: pd.DataFrame, kind: str, council: np.ndarray) -> None:
    n = len(homes)
    homes["setting_type"] = kind
    homes["registration_status"] = "active"
    homes["sector"] = "local_authority" if kind == "foster_inhouse" else ""
    homes["owner_la"] = council if kind == "foster_inhouse" else ""
    homes["solo_only"] = homes["places"].eq(1) & (rng.random(n) < 0.1)
    homes["max_ratio"] = pick(rng, ("standard", "1:1"), (0.95, 0.05), n)
    homes["block_contract"] = False
    homes["setting_name"] = ""
    homes["ofsted_grade"] = "not_inspected"
    homes["weekly_fee"] = rng.uniform(*facts.INHOUSE_FEE, n) if kind == "foster_inhouse" else np.nan
    homes[needs.COLUMNS] = needs.draw(rng, n, NEED_RATES).to_numpy()


def _approve_ages(rng, homes: pd.DataFrame, youngest: np.ndarray, oldest: np.ndarray) -> None:
    """An approval range that covers the children living there now."""
    choice = np.asarray(AGE_APPROVALS)[rng.integers(0, len(AGE_APPROVALS), len(homes))]
    homes["age_min"] = np.minimum(choice[:, 0], youngest)
    homes["age_max"] = np.maximum(choice[:, 1], np.where(oldest > 0, oldest, 0))


def _empty(rng, occupied: pd.DataFrame, hosts: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """Households between placements: all their places free, mostly in the council that approved them."""
    members = hosts.loc[hosts["role"].eq("member"), "la_code"].to_numpy()
    per_council = occupied["owner_la"].where(occupied["owner_la"].ne(""), occupied["la_code"]).value_counts()
    counts = np.round(per_council.reindex(members).fillna(0).to_numpy() * facts.FOSTER_EMPTY_HOUSEHOLDS).astype(int)
    council = np.repeat(members, counts)
    wanted = np.where(rng.random(council.size) < EMPTY_NEAR, 1, 0)
    homes = _located(rng, council, wanted, hosts, gaps)
    homes["places"] = pick(rng, (1, 2, 3), EMPTY_PLACES, len(homes)).astype(int)
    homes["vacancies"] = homes["places"]
    homes["occupied"] = 0
    kinds = np.where(rng.random(len(homes)) < facts.FOSTER_OWN_LA_SHARE, *FOSTER_TYPES)
    parts = []
    for kind in FOSTER_TYPES:
        part = homes[kinds == kind].copy()
        _describe(rng, part, kind, council[kinds == kind])
        _approve_ages(rng, part, np.full(len(part), 99), np.zeros(len(part), dtype=int))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
