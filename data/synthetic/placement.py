"""Who lives where: children into facility settings, unregistered provision built around the children found in
it, and each setting's occupancy and vacancies.

Each child first draws where their home should be (in their own council, elsewhere within 20 miles, or further)
from DfE's shares for their type of placement, scaled by their council's share placed outside; then takes a
free place in a setting of that kind, falling back to the next kind when none is free.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.geo import haversine_km
from data.synthetic import facts, needs
from data.synthetic.places import scatter
from data.synthetic.sampling import pick

FACILITY_TYPES = ("childrens_home", "residential_special_school", "secure_childrens_home", "supported_accommodation")
FALLBACK = {0: (0, 1, 2), 1: (1, 2, 0), 2: (2, 1, 0)}  # own council, near (within 20 miles), far
UNREGISTERED_SIZES = (0.6, 0.3, 0.1)  # children per unregistered setting, assumption
UNREGISTERED_FEE_MEDIAN = 13_000  # assumption, within facts.UNREGISTERED_FEE
UNREGISTERED_OWN_COUNCIL = 0.4  # assumption


def location_shares(kind: str, outside_share: np.ndarray) -> np.ndarray:
    """(own, near, far) probabilities per child for a placement type, scaled by the council's outside share."""
    own, near, far = facts.LOCATION_SHARES[kind]
    lean = np.asarray(outside_share) / facts.OUTSIDE_LA_SHARE
    out = np.clip((near + far) * lean, 0.02, 0.98)
    far = np.minimum(far * lean, out)
    return np.column_stack([1 - out, out - far, far])


def place(rng: np.random.Generator, kids: pd.DataFrame, settings: pd.DataFrame, outside_share: pd.Series) -> np.ndarray:
    """Row of `settings` each child lives in (-1: not in a facility); widens a setting's age range in the rare
    case it had to take a child outside it."""
    where = np.full(len(kids), -1)
    for kind in FACILITY_TYPES:
        rows = np.flatnonzero(kids["supply_type"].eq(kind).to_numpy() & ~kids["unregistered"].to_numpy())
        options = np.flatnonzero(settings["setting_type"].eq(kind).to_numpy()
                                 & settings["registration_status"].eq("active").to_numpy())
        shares = location_shares(kind, outside_share.loc[kids["la_code"].to_numpy()[rows]].to_numpy())
        where[rows], low, high = _fill(rng, kids.iloc[rows], settings.iloc[options], shares, options)
        settings.loc[options, "age_min"], settings.loc[options, "age_max"] = low, high
    return where


def _fill(rng: np.random.Generator, kids: pd.DataFrame, options: pd.DataFrame, shares: np.ndarray,
          option_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Children one by one (in random order) into free places; a setting takes a child just outside its age range
    (and widens the range) only when no setting of the type has a place for that age."""
    free = options["places"].to_numpy().copy()
    lat, lon, la = options["lat"].to_numpy(), options["lon"].to_numpy(), options["la_code"].to_numpy()
    age_min, age_max = options["age_min"].to_numpy().copy(), options["age_max"].to_numpy().copy()
    home_lat, home_lon = kids["home_lat"].to_numpy(), kids["home_lon"].to_numpy()
    age, council, any_age = kids["age"].to_numpy(), kids["la_code"].to_numpy(), kids["under_16_supported"].to_numpy()
    wanted = (rng.random(len(kids))[:, None] > np.cumsum(shares, axis=1)).sum(axis=1)
    out = np.full(len(kids), -1)
    for i in rng.permutation(len(kids)):
        distance = haversine_km(home_lat[i], home_lon[i], lat, lon)
        kinds = np.select([la == council[i], distance <= facts.TWENTY_MILES_KM], [0, 1], 2)
        fits = (free > 0) & (((age_min <= age[i]) & (age_max >= age[i])) | any_age[i])
        if not fits.any():
            fits = free > 0
        chosen = _nearest_kind(rng, fits, kinds, free, int(wanted[i]))
        if chosen < 0:
            raise RuntimeError(f"no free {options['setting_type'].iloc[0]} place for a child; supply is too small")
        free[chosen] -= 1
        if not any_age[i]:
            age_min[chosen], age_max[chosen] = min(age_min[chosen], age[i]), max(age_max[chosen], age[i])
        out[i] = option_rows[chosen]
    return out, age_min, age_max


def _nearest_kind(rng: np.random.Generator, fits: np.ndarray, kinds: np.ndarray, free: np.ndarray,
                  wanted: int) -> int:
    """A setting of the wanted kind (own council, near, far), else the next kind, in proportion to free places."""
    for kind in FALLBACK[wanted]:
        pool = np.flatnonzero(fits & (kinds == kind))
        if pool.size:
            return int(rng.choice(pool, p=free[pool] / free[pool].sum()))
    return -1


def unregistered(rng: np.random.Generator, kids: pd.DataFrame, hosts: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Unregistered settings holding the children planted as living in one, and which setting each child is in."""
    order, setting_of = _share_out(rng, kids, np.flatnonzero(kids["unregistered"].to_numpy()))
    n = int(setting_of.max()) + 1 if order.size else 0
    first = order[np.searchsorted(setting_of, np.arange(n))]
    nearby = hosts[hosts["role"].isin(["member", "near"])]
    own = rng.random(n) < UNREGISTERED_OWN_COUNCIL
    la = np.where(own, kids["la_code"].to_numpy()[first], rng.choice(nearby["la_code"].to_numpy(), n))
    centre = hosts.set_index("la_code").loc[la]
    supported = kids["place"].to_numpy()[first] == "K3"
    lat, lon = scatter(rng, centre["lat"], centre["lon"], centre["spread_km"])
    out = pd.DataFrame({"la_code": la, "role": centre["role"].to_numpy(), "lat": lat, "lon": lon,
                        "setting_type": np.where(supported, "supported_accommodation", "childrens_home"),
                        "registration_status": "unregistered", "sector": "private", "owner_la": "",
                        "places": np.bincount(setting_of, minlength=n), "age_min": np.where(supported, 16, 0),
                        "age_max": 17, "ofsted_grade": "not_inspected", "block_contract": False,
                        "max_ratio": pick(rng, ("1:1", "2:1"), (0.5, 0.5), n), "setting_name": ""})
    out["solo_only"] = out["places"].eq(1)
    fee = UNREGISTERED_FEE_MEDIAN * np.exp(rng.normal(0.0, 0.3, n))
    out["weekly_fee"] = np.clip(fee, facts.UNREGISTERED_FEE[0], None)
    out[needs.COLUMNS] = False
    where = np.full(len(kids), -1)
    where[order] = setting_of
    return out, where


def _share_out(rng: np.random.Generator, kids: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Children (rows) in order, and the setting number each shares, never mixing placement types."""
    order, setting_of, used = [], [], 0
    for code in np.unique(kids["place"].to_numpy()[rows]):
        these = rows[kids["place"].to_numpy()[rows] == code]
        sizes = pick(rng, (1, 2, 3), UNREGISTERED_SIZES, these.size).astype(int)
        numbers = np.repeat(np.arange(sizes.size), sizes)[: these.size]
        order.append(these)
        setting_of.append(numbers + used)
        used += int(numbers.max()) + 1
    if not order:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    return np.concatenate(order), np.concatenate(setting_of)


def occupancy(rng: np.random.Generator, settings: pd.DataFrame, listed: np.ndarray) -> np.ndarray:
    """Children living in each setting: those listed, plus children from elsewhere (other regions, Wales,
    Scotland, short breaks) up to a typical occupancy for the setting type. Only active settings take anyone."""
    places = settings["places"].to_numpy()
    target = settings["setting_type"].map(facts.SETTING_OCCUPANCY).fillna(facts.HOME_OCCUPANCY).to_numpy()
    drawn = rng.binomial(places, rng.beta(target * 8, (1 - target) * 8))
    active = settings["registration_status"].eq("active").to_numpy()
    return np.where(active, np.clip(np.maximum(drawn, listed), 0, places), listed)
