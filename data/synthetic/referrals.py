"""One month of home searches: children coming into care, children whose placement is ending, and every child
living in unregistered provision, who must move to a registered home.

Each referral gets a "tier" (foster, residential, supported or secure) that drives what homes suit it, its
needs, staffing ratio and risks. The mix is chosen so a regional match can place most children but not all:
the gap is complex teenagers, large sibling groups and secure beds, as councils report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.schema import NEEDS
from data.synthetic import facts, needs
from data.synthetic.days import SNAPSHOT
from data.synthetic.flows import entry_ages
from data.synthetic.places import KM_PER_DEGREE_LAT, scatter
from data.synthetic.sampling import pick, top_k

SIBLING_SHARE = 0.15  # referrals that belong to a sibling group, assumption
SIBLING_SIZES = (0.60, 0.28, 0.12)  # groups of 2, 3, 4
SECURE_SHARE = 0.01
AVOID_SHARE = 0.10
MAX_DISTANCE_SHARE = 0.20
KEEP_SCHOOL_SHARE = 0.30
CLOSE_TO_FAMILY_SHARE = 0.25
EMERGENCY = {"new": 0.22, "move": 0.08, "step_down": 0.05}
MOVER_WEIGHT = {"K2": 3.0, "S1": 0.5, "K1": 0.5, "K3": 1.5}  # placement type -> chance of a search this month
RESIDENTIAL_TIER = {"new": 0.25, "move": 0.8, "step_down": 1.0}  # share of 11+ referrals that need a home
SUITABILITY = ("preferred", "suitable", "unsuitable", "not_specified")
SUITABILITY_SHARES = {  # tier -> column -> shares of SUITABILITY, assumption
    "foster": {"foster": (1, 0, 0, 0), "residential": (0, 0.3, 0.6, 0.1), "supported": (0, 0.4, 0.3, 0.3)},
    "residential": {"foster": (0, 0.35, 0.5, 0.15), "residential": (0.7, 0.3, 0, 0),
                    "supported": (0, 0.4, 0.6, 0)},
    "supported": {"foster": (0, 0.5, 0.3, 0.2), "residential": (0, 0.25, 0.6, 0.15), "supported": (0.7, 0.3, 0, 0)},
    "secure": {"foster": (0, 0, 1, 0), "residential": (1, 0, 0, 0), "supported": (0, 0, 1, 0)},
    "sibling": {"foster": (0.9, 0.1, 0, 0), "residential": (0, 0, 1, 0), "supported": (0, 0, 1, 0)},
}
NEED_RATES = {  # for children new to care (movers keep their recorded needs), assumption
    "foster": {"emotional_behavioural": 0.4, "mental_health": 0.1, "learning_disability": 0.08,
               "physical_disability": 0.03, "complex_health": 0.02, "sensory_impairment": 0.02},
    "residential": {"emotional_behavioural": 0.9, "mental_health": 0.4, "learning_disability": 0.15,
                    "exploitation_risk": 0.3, "substance_misuse": 0.15, "complex_health": 0.03},
    "supported": {"emotional_behavioural": 0.3, "mental_health": 0.15, "exploitation_risk": 0.15,
                  "substance_misuse": 0.1, "parent_and_child": 0.03},
    "secure": {"emotional_behavioural": 1.0, "mental_health": 0.7, "exploitation_risk": 0.7, "substance_misuse": 0.5},
}
RATIO_SHARES = {"residential": (0.90, 0.08, 0.02), "step_down": (0.72, 0.20, 0.08), "secure": (0.3, 0.4, 0.3)}
RISK_SHARES = {"foster": (0.7, 0.25, 0.05), "residential": (0.3, 0.45, 0.25), "supported": (0.55, 0.35, 0.1),
               "secure": (0.0, 0.1, 0.9), "sibling": (0.8, 0.2, 0.0)}
ALONGSIDE = {"residential": (0.15, 0.05, 0.05, 0.05, 0.70), "other": (0.01, 0.03, 0.02, 0.02, 0.92)}
CHILD_COLUMNS = ["child_id", "la_code", "age", "sex", "family_lat", "family_lon", "current_setting_id", "source",
                 "uasc", "place"]


def referrals(rng: np.random.Generator, kids: pd.DataFrame, hosts: pd.DataFrame, next_child: int) -> pd.DataFrame:
    """The referrals table (schema columns, needs as need_* flags until written)."""
    members = hosts[hosts["role"].eq("member")].reset_index(drop=True)
    new_count = round(members["starts"].sum() / 12)
    movers = _movers(rng, kids, round(facts.REFERRAL_MOVES_PER_START * new_count))
    step_downs = _from_kids(kids[kids["unregistered"]], "step_down")
    in_sibling_groups = round(SIBLING_SHARE * (new_count + len(movers) + len(step_downs)))
    siblings, singles = _new_children(rng, members, new_count, in_sibling_groups, next_child)
    out = pd.concat([siblings, singles, movers, step_downs], ignore_index=True)
    out["tier"] = _tiers(rng, out)
    _suitabilities(rng, out)
    _needs(rng, out)
    _care(rng, out)
    _places(rng, out)
    out = out.sort_values(["needed_by", "la_code", "child_id"], kind="stable", ignore_index=True)
    out.insert(0, "referral_id", [f"R{i:06d}" for i in range(1, len(out) + 1)])
    return out


def _from_kids(chosen: pd.DataFrame, source: str) -> pd.DataFrame:
    out = chosen.rename(columns={"home_lat": "family_lat", "home_lon": "family_lon"})
    out = out.assign(sex=np.where(out["male"], "m", "f"), source=source, sibling_group="")
    return out[CHILD_COLUMNS + ["sibling_group"] + needs.COLUMNS].reset_index(drop=True)


def _movers(rng: np.random.Generator, kids: pd.DataFrame, n: int) -> pd.DataFrame:
    """Children whose current placement is ending: more often teenagers and children in homes."""
    placed = kids["current_setting_id"].ne("") & ~kids["unregistered"]
    by_age = np.where(kids["age"] >= 11, 1.5, 0.5)
    weight = kids["place"].map(MOVER_WEIGHT).to_numpy(dtype=float)
    weight = np.where(np.isnan(weight), by_age, weight) * placed.to_numpy()
    return _from_kids(kids.iloc[top_k(rng, weight, n)], "move")


def _new_children(rng: np.random.Generator, members: pd.DataFrame, n: int, in_sibling_groups: int,
                  next_child: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sibling groups, single children): the n children coming into care this month, with new child ids."""
    siblings = _sibling_groups(rng, members, in_sibling_groups, next_child)
    rest = max(n - len(siblings), 0)
    council = _councils_by_starts(rng, members, rest)
    uasc = rng.random(rest) < members.set_index("la_code").loc[council, "uasc_start_share"].to_numpy()
    ages = np.floor(entry_ages(rng, uasc)).astype(int)
    singles = _newcomers(rng, members, council, ages, uasc, next_child + len(siblings))
    singles["sibling_group"] = ""
    return siblings, singles


def _councils_by_starts(rng: np.random.Generator, members: pd.DataFrame, n: int) -> np.ndarray:
    share = members["starts"].to_numpy() / members["starts"].sum()
    return members["la_code"].to_numpy()[rng.choice(len(members), size=n, p=share)]


def _sibling_groups(rng: np.random.Generator, members: pd.DataFrame, n: int, first_id: int) -> pd.DataFrame:
    """Brothers and sisters coming into care together: groups of 2-4 from one home, eldest 3-13, 1-3 years apart."""
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(pick(rng, (2, 3, 4), SIBLING_SIZES, 1)[0]))
    group = np.repeat(np.arange(len(sizes)), sizes)
    gaps = np.concatenate([np.r_[0, rng.integers(1, 4, size - 1)] for size in sizes] or [np.zeros(0, int)])
    eldest = rng.integers(3, 14, len(sizes))
    age = np.maximum(eldest[group] - _within_group_cumsum(gaps, group), 0)
    council = _councils_by_starts(rng, members, len(sizes))[group]
    siblings = _newcomers(rng, members, council, age, np.zeros(group.size, bool), first_id)
    siblings["sibling_group"] = [f"SG{g + 1:04d}" for g in group]
    home = siblings.groupby("sibling_group")[["family_lat", "family_lon"]].transform("first")
    siblings[["family_lat", "family_lon"]] = home.to_numpy()
    return siblings


def _within_group_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running total of values within each (consecutive) group."""
    total = np.cumsum(values)
    starts = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    return total - np.repeat(total[starts] - values[starts], np.diff(np.r_[starts, values.size]))


def _newcomers(rng, members: pd.DataFrame, council: np.ndarray, age: np.ndarray, uasc: np.ndarray,
               first_id: int) -> pd.DataFrame:
    centre = members.set_index("la_code").loc[council]
    lat, lon = scatter(rng, centre["lat"], centre["lon"], centre["spread_km"])
    male = rng.random(council.size) < np.where(uasc, facts.UASC_MALE_SHARE, facts.NON_UASC_MALE_SHARE)
    return pd.DataFrame({"child_id": [f"C{first_id + i:07d}" for i in range(council.size)], "la_code": council,
                         "age": age.astype(int), "sex": np.where(male, "m", "f"), "family_lat": lat,
                         "family_lon": lon, "current_setting_id": "", "source": "new", "uasc": uasc, "place": ""})


def _tiers(rng: np.random.Generator, out: pd.DataFrame) -> np.ndarray:
    age, source = out["age"].to_numpy(), out["source"].to_numpy()
    residential = (age >= 11) & (rng.random(len(out)) < pd.Series(source).map(RESIDENTIAL_TIER).to_numpy())
    likes_supported = out["uasc"].to_numpy() | (out["place"].to_numpy() == "K3") | (rng.random(len(out)) < 0.4)
    supported = (age >= 16) & likes_supported
    tier = np.select([out["sibling_group"].ne("").to_numpy(), supported & ~(source == "step_down"), residential],
                     ["sibling", "supported", "residential"], "foster")
    secure = top_k(rng, np.where((age >= 12) & (tier == "residential"), 1.0, 0.0), round(SECURE_SHARE * len(out)))
    tier[secure] = "secure"
    return tier


def _suitabilities(rng: np.random.Generator, out: pd.DataFrame) -> None:
    tier, age = out["tier"].to_numpy(), out["age"].to_numpy()
    for column in ("foster", "residential", "supported"):
        values = np.empty(len(out), dtype=object)
        for name, table in SUITABILITY_SHARES.items():
            rows = np.flatnonzero(tier == name)
            values[rows] = pick(rng, SUITABILITY, table[column], rows.size)
        out[f"{column}_suitability"] = values
    out.loc[age < 16, "supported_suitability"] = "unsuitable"
    young = (age < 10) & (tier == "foster")
    out.loc[young, "residential_suitability"] = "unsuitable"
    out["secure_order"] = tier == "secure"


def _needs(rng: np.random.Generator, out: pd.DataFrame) -> None:
    """New children get needs by tier; children already in care keep the needs on their record."""
    new = out["source"].eq("new").to_numpy()
    tier = np.where(out["tier"].isin(["sibling"]), "foster", out["tier"])
    flags = np.zeros((len(out), len(NEEDS)), dtype=bool)
    for name, rates in NEED_RATES.items():
        rows = np.flatnonzero(new & (tier == name))
        flags[rows] = needs.draw(rng, rows.size, rates).to_numpy()
    known = np.nan_to_num(out[needs.COLUMNS].to_numpy(dtype=float)) > 0
    flags = np.where(new[:, None], flags, known)
    flags[:, NEEDS.index("uasc")] |= out["uasc"].to_numpy(dtype=bool)
    flags[out["age"].to_numpy() < 11, NEEDS.index("exploitation_risk")] = False
    out[needs.COLUMNS] = flags


def _care(rng: np.random.Generator, out: pd.DataFrame) -> None:
    """Who the child can live with, staffing ratio and risks."""
    tier, n = out["tier"].to_numpy(), len(out)
    residential = np.isin(tier, ["residential", "secure"])
    alongside = ("solo", "with_others", "older_only", "younger_only", "no_preference")
    out["cared_alongside"] = np.where(residential, pick(rng, alongside, ALONGSIDE["residential"], n),
                                      pick(rng, alongside, ALONGSIDE["other"], n))
    ratios = ("standard", "1:1", "2:1")
    step_down = out["source"].eq("step_down").to_numpy()
    out["ratio"] = np.select([tier == "secure", step_down & residential, residential],
                             [pick(rng, ratios, RATIO_SHARES["secure"], n),
                              pick(rng, ratios, RATIO_SHARES["step_down"], n),
                              pick(rng, ratios, RATIO_SHARES["residential"], n)], "standard")
    risk = ("none", "low", "high")
    for column in ("risk_to_self", "risk_to_others"):
        values = np.empty(n, dtype=object)
        for name, shares in RISK_SHARES.items():
            rows = np.flatnonzero(tier == name)
            values[rows] = pick(rng, risk, shares, rows.size)
        out[column] = values
    out["emergency"] = rng.random(n) < out["source"].map(EMERGENCY).to_numpy()
    days = np.where(out["emergency"], rng.integers(0, 2, n), rng.integers(1, 31, n))
    out["needed_by"] = SNAPSHOT + days


def _places(rng: np.random.Generator, out: pd.DataFrame) -> None:
    """Family, school and avoid points, and how far from family the child may live."""
    n, age = len(out), out["age"].to_numpy()
    lat, lon = out["family_lat"].to_numpy(), out["family_lon"].to_numpy()
    school_age = (age >= 5) & (age <= 16)
    out["keep_school"] = school_age & (rng.random(n) < KEEP_SCHOOL_SHARE * n / max(school_age.sum(), 1))
    school_lat, school_lon = scatter(rng, lat, lon, 2.0)
    out["school_lat"] = np.where(out["keep_school"], school_lat, np.nan)
    out["school_lon"] = np.where(out["keep_school"], school_lon, np.nan)
    out["close_to_family"] = rng.random(n) < CLOSE_TO_FAMILY_SHARE
    exploited = out["need_exploitation_risk"].to_numpy() & (age >= 12)
    avoid = np.zeros(n, dtype=bool)
    avoid[top_k(rng, np.where(exploited, 1.0, 0.05 * (age >= 12)), round(AVOID_SHARE * n))] = True
    bearing, reach = rng.uniform(0, 2 * np.pi, n), rng.uniform(2, 8, n)
    out["avoid_lat"] = np.where(avoid, lat + reach * np.cos(bearing) / KM_PER_DEGREE_LAT, np.nan)
    out["avoid_lon"] = np.where(avoid, lon + reach * np.sin(bearing) / (KM_PER_DEGREE_LAT * np.cos(np.radians(lat))),
                                np.nan)
    out["avoid_radius_km"] = np.where(avoid, np.round(rng.uniform(5, 15, n)), np.nan)
    limited = rng.random(n) < MAX_DISTANCE_SHARE
    out["max_distance_km"] = np.where(limited, 5.0 * rng.integers(6, 21, n), np.nan)
    _share_within_sibling_groups(out, ["close_to_family", "max_distance_km", "emergency", "needed_by"])


def _share_within_sibling_groups(out: pd.DataFrame, columns: list[str]) -> None:
    """Siblings are placed together, so they share one search's constraints and date."""
    grouped = out["sibling_group"].ne("")
    for column in columns:
        out.loc[grouped, column] = out[grouped].groupby("sibling_group")[column].transform("first")
