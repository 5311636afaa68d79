"""Eligible (referral, setting) pairs and their costs, with the hard rules applied as vectorised filters.

Siblings who must live together are one *unit* (its size is the number of children); a single child is a unit
of one. The model chooses at most one setting per unit, so "siblings in one setting" holds by construction.

The filters run in a fixed order and the number of settings left after each is kept per referral. When a
child cannot be matched, the first rule that left no setting is the plain-English reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numba
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from data.geo import EARTH_RADIUS_KM, TWENTY_MILES_KM, haversine_km
from data.region import Region
from data.toml_files import ParameterError
from data.vocabulary import (
    DOL_CONDITIONS,
    DOL_SETTING_TYPES,
    DOL_STAFFING_RATIO,
    NEEDS,
    RATIOS,
    SUITABILITY_COLUMN_BY_SETTING_TYPE,
    SUPPORTED_MIN_AGE,
)
from optimiser.match import search
from optimiser.match.params import MatchParams

NEED_BIT = {need: 1 << i for i, need in enumerate(NEEDS)}
# DoL conditions a home lists (staffing conditions are met by its max_ratio instead)
CONDITION_BIT = {c: 1 << i for i, c in enumerate(c for c in DOL_CONDITIONS if c not in DOL_STAFFING_RATIO)}
ALL_CONDITIONS = sum(CONDITION_BIT.values())
RATIO_RANK = {ratio: i for i, ratio in enumerate(RATIOS)}
WGS84, BRITISH_NATIONAL_GRID = "EPSG:4326", "EPSG:27700"  # buffers in metres need a metric CRS

# (code, what the rule requires, short summary of a child it leaves with no setting), in the order the filters
# are applied; the requirement completes "no setting with a vacancy ...".
RULES: tuple[tuple[str, str, str], ...] = (
    ("available", "is registered, active and not graded inadequate", "no registered setting with a vacancy"),
    ("lock", "is the setting the council locked this child to", "locked setting cannot take the child"),
    ("veto", "is free of the council's vetoes", "every setting left was vetoed by the council"),
    ("setting_type", "is of a type the referral marks suitable", "no setting of a suitable type"),
    ("secure", "is a secure children's home if, and only if, the child has a secure accommodation order (s.25)",
     "secure order not met"),
    ("dol", "can meet the child's deprivation-of-liberty order (a registered children's home marked dol_capable, "
     "meeting each of the order's conditions)", "no home able to meet the deprivation-of-liberty order"),
    ("age_range", "takes a child of this age", "no setting for the child's age"),
    ("needs", "meets all of the child's needs", "needs not met by any setting"),
    *search.RULES,
    ("ratio", "can staff the ratio the child needs", "staffing ratio not available"),
    ("solo", "can give the child a home alone", "no empty setting for a child who must live alone"),
    ("dol_sharing", "can meet a deprivation-of-liberty order without restricting other children (the child on the "
     "order lives there alone, or the home is marked dol_shared_ok)",
     "no home can meet a deprivation-of-liberty order without restricting other children"),
    ("alongside", "has only children of the ages this child can live with",
     "no setting with children of compatible ages"),
    ("distance", "is within the maximum distance", "nothing within the maximum distance"),
    ("school", "is close enough to keep the child's school", "nothing close enough to the child's school"),
    ("avoid", "is outside the area the child must avoid", "every setting left is in the area to avoid"),
    ("sibling_group", "has room for the whole sibling group together (a group with a child who must live alone "
     "never has: siblings are other children too)", "no setting for the whole sibling group"),
)
RULE_TEXT = {code: requirement for code, requirement, _ in RULES}
RULE_CODES = tuple(code for code, _, _ in RULES)
COST_TERMS = ("fee_cost", "distance_cost", "fit_cost", "quality_cost", "in_house_cost", *search.COST_TERMS,
              "split_cost")


@dataclass(frozen=True)
class Candidates:
    """What the matching model needs, as tables (one concept each)."""

    units: pd.DataFrame  # one row per unit: unit_id, size, solo, penalty, referral_ids (tuple)
    pairs: pd.DataFrame  # one row per eligible (unit, setting): unit_id, setting_id, cost, weight, capacity
    member_pairs: pd.DataFrame  # one row per (referral, setting) eligible for the child alone: its cost, fee
    #                             and split terms, referral_row / setting_row (the rows of `referrals` and
    #                             `settings` it pairs: member_cost_terms gives its other terms from them), and
    #                             group_fits: the setting also has room for the child's whole sibling group
    conflicts: pd.DataFrame  # pair_a, pair_b: rows of `pairs` that cannot both be chosen (ages cared alongside)
    survivors: pd.DataFrame  # referral_id x rule code: settings still eligible after each rule
    referrals: pd.DataFrame  # referrals with unit_id, priority and the origin used for distance
    unknown_vacancies: int = 0  # settings whose vacancies are not known (blank): offered to no child
    settings: pd.DataFrame | None = None  # the settings screened (member pairs' setting_row are its rows)
    params: MatchParams | None = None  # the parameters the costs were worked out with


def needs_mask(needs: pd.Series) -> np.ndarray:
    """Bitmask per row of a list-of-needs column, so "needs covered" is one vectorised AND."""
    return needs.map(lambda items: sum(NEED_BIT[n] for n in (items or ()))).to_numpy(dtype=np.int64)


def conditions_mask(conditions: pd.Series, blank_means_all: bool = False) -> np.ndarray:
    """Bitmask per row of a list of DoL conditions, staffing left out (a home's staffing is its max_ratio); a
    home's blank list means every condition when `blank_means_all`."""
    def mask(items) -> int:
        if blank_means_all and not items:
            return ALL_CONDITIONS
        return sum(CONDITION_BIT.get(c, 0) for c in (items or ()))
    return conditions.map(mask).to_numpy(dtype=np.int64)


def staffing_rank(conditions: pd.Series) -> np.ndarray:
    """The highest staffing ratio a DoL order's conditions ask for, as a rank of RATIOS (0: standard)."""
    return conditions.map(lambda items: max([RATIO_RANK[DOL_STAFFING_RATIO[c]] for c in (items or ())
                                             if c in DOL_STAFFING_RATIO], default=0)).to_numpy(dtype=np.int64)


def build_candidates(region: Region, params: MatchParams, run_date: date | None = None,
                     chunk_pairs: int = 4_000_000) -> Candidates:
    """Screen every setting for one referral of each group alike in all but where they are (the rules before
    distance never look at where anyone is): that gives each rule's count and the settings passing them all; then
    screen fully only the pairs of those settings the distance rule can let through, found with a spatial index.

    The pairs, costs, units, conflicts and counts are exactly those of screening every pair (tests hold it to the
    plain reference build, tests/candidates_reference.py).
    """
    referrals, settings, r_arrays, s_arrays, blocked = _screening_inputs(region, params, run_date)
    survivors = np.zeros((len(referrals), len(RULES)), dtype=np.int64)
    first_spatial = RULE_CODES.index("distance")
    group, counts, passing = _screen_alike_groups(r_arrays, s_arrays, params, blocked, len(settings), chunk_pairs)
    survivors[:, :first_spatial] = counts[group, :first_spatial]
    reach_ref, reach_set = _pairs_within_reach(r_arrays, s_arrays, params, group, passing)
    _check_memory_for(len(reach_ref))
    kept = {"ref": [], "set": [], "km": [], "fits": []}
    for start in range(0, len(reach_ref), max(chunk_pairs, 1)):
        ref_idx, set_idx = reach_ref[start:start + chunk_pairs], reach_set[start:start + chunk_pairs]
        distance = haversine_km(r_arrays["lat"][ref_idx], r_arrays["lon"][ref_idx],
                                s_arrays["lat"][set_idx], s_arrays["lon"][set_idx])
        checks = _pair_checks(r_arrays, s_arrays, ref_idx, set_idx, distance, params, blocked, len(settings))
        alive = np.ones(len(ref_idx), dtype=bool)
        for k, code in enumerate(RULE_CODES):
            if code == "sibling_group":
                # Kept per child even when the whole group does not fit: a split placement (today's practice
                # in the baseline) needs them. Units only ever use pairs where the whole group fits.
                eligible_alone = alive.copy()
            alive &= checks[code]
            if k >= first_spatial:
                survivors[:, k] += np.bincount(ref_idx[alive], minlength=len(referrals))
        for key, values in (("ref", ref_idx), ("set", set_idx), ("km", distance),
                            ("fits", checks["sibling_group"])):
            kept[key].append(values[eligible_alone])
    survivors = pd.DataFrame(survivors, index=referrals["referral_id"], columns=list(RULE_CODES))
    ref_idx, set_idx = (np.concatenate(kept[k] or [[]]).astype(int) for k in ("ref", "set"))
    distance, fits = np.concatenate(kept["km"] or [[]]), np.concatenate(kept["fits"] or [[]]).astype(bool)
    member_pairs = _member_costs(referrals, settings, region, ref_idx, set_idx, distance, params)
    member_pairs["group_fits"] = fits
    referrals, member_pairs = _split_groups_no_setting_can_take(referrals, member_pairs, params, ref_idx)
    _check_penalty_dominates(member_pairs, params)
    units = _units(referrals)
    pairs = _unit_pairs(member_pairs, units, settings, referrals, ref_idx, set_idx)
    return Candidates(units=units, pairs=pairs, member_pairs=member_pairs, conflicts=_age_conflicts(pairs, units),
                      survivors=survivors, referrals=referrals,
                      unknown_vacancies=int(region.settings["vacancies"].isna().sum()), settings=settings,
                      params=params)


# What the build holds per pair at its peak: the national stress case's 1,987,239 pairs peaked near 2 GB in all.
BYTES_PER_PAIR = 1_000


def _available_memory() -> int | None:
    """Bytes the system could give this process now (Linux's MemAvailable); None where it does not say."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _check_memory_for(pairs: int) -> None:
    """A pair table this machine cannot hold is refused before it is built, saying what to change, rather than
    filling the memory until the system stops the process (every child in England's synthetic region as one
    region within 40 km is 69.7 million pairs, about 70 GB)."""
    available = _available_memory()
    if available is not None and pairs * BYTES_PER_PAIR > available:
        raise ParameterError(
            f"the match would screen {pairs:,} child-setting pairs, about {pairs * BYTES_PER_PAIR / 1e9:,.0f} GB, and "
            f"this machine has {available / 1e9:,.1f} GB free: set a smaller max_distance_km (the match parameters "
            "file, or --max-distance-km), or match a smaller area (rcc what-if replan --by rcc)")


# Referral arrays only the distance rule and those after it read: referrals alike in every other array get the
# same verdicts from every rule before distance, against every setting.
SPATIAL_REFERRAL_ARRAYS = ("lat", "lon", "max_km", "keep_school", "school_lat", "school_lon")
# A pair a little beyond the limit by the index is still screened: the index's chord arithmetic and the
# haversine may differ in the last digits, and only the haversine decides.
REACH_SLACK_KM = 0.01


def _screen_alike_groups(r: dict, s: dict, params: MatchParams, blocked: dict[str, np.ndarray], n_settings: int,
                         chunk_pairs: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Referrals alike in every non-spatial array (a referral with a veto is a group of its own) and, screening one
    of each against every setting: each group's settings left after each rule before distance (cumulatively; the
    columns from distance on are not meaningful), and the settings passing all of them, in order.
    Returns (group per referral, counts per group x rule, passing settings per group)."""
    columns = {name: values for name, values in r.items() if name not in SPATIAL_REFERRAL_ARRAYS and name != "search"}
    columns |= {f"search_{name}": values for name, values in r["search"].items()}
    vetoed = np.zeros(len(r["age"]), dtype=np.int64) - 1
    veto_rows = np.unique(blocked["veto"] // max(n_settings, 1))
    vetoed[veto_rows] = veto_rows
    columns["vetoed"] = vetoed
    group = pd.DataFrame(columns).groupby(list(columns), sort=False, dropna=False).ngroup().to_numpy()
    representative = pd.Series(np.arange(len(group))).groupby(group).first().to_numpy()
    counts = np.zeros((len(representative), len(RULES)), dtype=np.int64)
    passing: list[np.ndarray] = []
    step = max(1, chunk_pairs // max(n_settings, 1))
    for start in range(0, len(representative), step):
        rows = np.arange(start, min(start + step, len(representative)))
        ref_idx = np.repeat(representative[rows], n_settings)
        set_idx = np.tile(np.arange(n_settings), len(rows))
        checks = _pair_checks(r, s, ref_idx, set_idx, np.zeros(len(ref_idx)), params, blocked, n_settings)
        alive, row_of_pair = np.ones(len(ref_idx), dtype=bool), np.repeat(rows, n_settings)
        for k, code in enumerate(RULE_CODES):
            if code == "distance":
                break
            alive &= checks[code]
            counts[:, k] += np.bincount(row_of_pair[alive], minlength=len(representative))
        passing += np.split(set_idx[alive], np.cumsum(np.bincount(row_of_pair[alive] - start,
                                                                  minlength=len(rows)))[:-1])
    return group, counts, passing


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


SMALL_GROUP_SETTINGS = 64  # fewer settings than this pass a group's rules: screen them all rather than index them


def _pairs_within_reach(r: dict, s: dict, params: MatchParams, group: np.ndarray,
                        passing: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(referral, setting) positions, referral by referral and settings in order (the reference's order), of the
    settings passing the referral's group's rules before distance that could pass the distance rule: all of them
    without a limit; none from an unknown origin; else those within the limit (plus REACH_SLACK_KM), by a k-d
    tree on the unit sphere over the group's settings, queried once per distinct origin and limit (siblings,
    copies of a referral and children of one council's centroid share one)."""
    limit = r["max_km"].copy()
    if params.max_distance_km > 0:
        limit = np.fmin(limit, params.max_distance_km)
    known = ~np.isnan(r["lat"]) & ~np.isnan(r["lon"])
    located = ~np.isnan(s["lat"]) & ~np.isnan(s["lon"])
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (referrals, settings each, settings)
    count = np.zeros(len(group), dtype=np.int64)
    members = pd.Series(np.arange(len(group))).groupby(group).indices
    for g, refs in members.items():
        settings = passing[g].astype(np.int32)
        unlimited = refs[np.isnan(limit[refs])]
        if len(unlimited):
            pieces.append((unlimited, np.full(len(unlimited), len(settings)), np.tile(settings, len(unlimited))))
        limited = refs[~np.isnan(limit[refs]) & known[refs]]
        if not len(limited) or not len(settings):
            continue
        settings = settings[located[settings]]
        keys = pd.DataFrame({"lat": r["lat"][limited], "lon": r["lon"][limited], "limit": limit[limited]})
        origin = keys.groupby(list(keys), sort=False).ngroup().to_numpy()
        first = limited[pd.Series(np.arange(len(origin))).groupby(origin).first().to_numpy()]
        if len(settings) < SMALL_GROUP_SETTINGS:
            found = [settings] * len(first)
        else:
            tree = cKDTree(_unit_vectors(s["lat"][settings], s["lon"][settings]))
            # the chord of the great-circle arc, on the unit sphere
            radius = 2 * np.sin(np.minimum(limit[first] + REACH_SLACK_KM, np.pi * EARTH_RADIUS_KM)
                                / (2 * EARTH_RADIUS_KM))
            found = [settings[np.asarray(f, dtype=np.int64)] for f in
                     tree.query_ball_point(_unit_vectors(r["lat"][first], r["lon"][first]), radius,
                                           return_sorted=True)]
        per_origin = np.array([len(f) for f in found], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(per_origin)[:-1]])
        near = np.concatenate(found).astype(np.int32)
        each = per_origin[origin]
        within = np.arange(each.sum()) - np.repeat(np.cumsum(each) - each, each)
        pieces.append((limited, each, near[np.repeat(offsets[origin], each) + within]))
    for refs, each, _ in pieces:
        count[refs] = each
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    ref_idx = np.repeat(np.arange(len(group), dtype=np.int32), count)
    set_idx = np.empty(int(count.sum()), dtype=np.int32)
    for refs, each, settings in pieces:  # written straight into place: no sort of every pair
        within = np.arange(each.sum()) - np.repeat(np.cumsum(each) - each, each)
        set_idx[np.repeat(start[refs], each) + within] = settings
    return ref_idx, set_idx


def rule_table(region: Region, params: MatchParams, referral_ids: list[str],
               run_date: date | None = None) -> pd.DataFrame:
    """For some referrals, every available setting with each rule's verdict and the distance: the evidence
    behind an explanation (which rules bind, and what relaxing each would open up)."""
    referrals, settings, r_arrays, s_arrays, blocked = _screening_inputs(region, params, run_date)
    rows = np.flatnonzero(referrals["referral_id"].isin(referral_ids).to_numpy())
    ref_idx, set_idx = np.repeat(rows, len(settings)), np.tile(np.arange(len(settings)), len(rows))
    distance = haversine_km(r_arrays["lat"][ref_idx], r_arrays["lon"][ref_idx],
                            s_arrays["lat"][set_idx], s_arrays["lon"][set_idx])
    checks = _pair_checks(r_arrays, s_arrays, ref_idx, set_idx, distance, params, blocked, len(settings))
    table = pd.DataFrame({code: checks[code] for code, _, _ in RULES})
    table.insert(0, "referral_id", referrals["referral_id"].to_numpy()[ref_idx])
    table.insert(1, "setting_id", settings["setting_id"].to_numpy()[set_idx])
    table.insert(2, "distance_km", distance)
    return table


def may_stay(region: Region, params: MatchParams, run_date: date | None = None) -> np.ndarray:
    """Per referral (in the region's order), whether every rule a child is screened by alone (all but
    sibling_group) lets them live in their `current_setting_id`: the one pair of each child the full build would
    keep for them there, screened without building the others."""
    referrals, settings, r_arrays, s_arrays, blocked = _screening_inputs(region, params, run_date)
    position = pd.Series(np.arange(len(settings)), index=settings["setting_id"])
    current = referrals["current_setting_id"].map(position).to_numpy(dtype=float)
    ref_idx = np.flatnonzero(~np.isnan(current))
    set_idx = current[ref_idx].astype(np.int64)
    distance = haversine_km(r_arrays["lat"][ref_idx], r_arrays["lon"][ref_idx],
                            s_arrays["lat"][set_idx], s_arrays["lon"][set_idx])
    checks = _pair_checks(r_arrays, s_arrays, ref_idx, set_idx, distance, params, blocked, len(settings))
    alive = np.ones(len(ref_idx), dtype=bool)
    for code in RULE_CODES:
        if code != "sibling_group":
            alive &= checks[code]
    stays = np.zeros(len(referrals), dtype=bool)
    stays[ref_idx[alive]] = True
    return stays


def _screening_inputs(region: Region, params: MatchParams, run_date: date | None):
    referrals = _prepare_referrals(region, params, run_date or date.today())
    # Setting-level rules first: the pair table only ever holds settings that could take someone.
    settings = _with_dol(_with_residents(region.settings[_available(region.settings, params)].reset_index(drop=True),
                                         region), region)
    return (referrals, settings, _referral_arrays(referrals), _setting_arrays(settings),
            _blocked_pair_codes(region, referrals, settings))


# --- referrals and settings, prepared once -----------------------------------------------------------------

def _prepare_referrals(region: Region, params: MatchParams, run_date: date) -> pd.DataFrame:
    """Each referral's unit (its sibling group, or itself), priority, and the point distance is measured from."""
    r = region.referrals.reset_index(drop=True).copy()
    group = r["sibling_group"].fillna("")
    r["unit_id"] = ("sibling:" + group).where(group.ne(""), "child:" + r["referral_id"]).astype(object)
    r["unit_size"] = r.groupby("unit_id")["referral_id"].transform("size")
    # a sibling group with a child on a DoL order lives where the order would restrict each of them
    r["unit_dol"] = r.groupby("unit_id")["dol_order"].transform("any").astype(bool)
    # a child who must live alone lives apart from their siblings too, as the verifier reads "alone"
    r["unit_solo"] = r["cared_alongside"].eq("solo").groupby(r["unit_id"]).transform("any").astype(bool)
    centroid = region.authorities.set_index("la_code")[["lat", "lon"]]
    has_family = r["family_lat"].notna() & r["family_lon"].notna()
    r["origin_lat"] = r["family_lat"].where(has_family, r["la_code"].map(centroid["lat"]))
    r["origin_lon"] = r["family_lon"].where(has_family, r["la_code"].map(centroid["lon"]))
    r["distance_from"] = np.where(has_family, "family home", "council centroid (no family location given)")
    r["days_waiting"] = (pd.Timestamp(run_date) - r["needed_by"]).dt.days.clip(lower=0).fillna(0).astype(int)
    r["penalty"] = (params.unmatched_penalty + params.emergency_priority * r["emergency"].astype(float)
                    + params.waiting_priority_per_day * r["days_waiting"])
    if "hold_value" in r:  # a place held back for a forecast emergency (optimiser/match/lookahead.py) is worth this
        r["penalty"] = r["hold_value"].fillna(r["penalty"])
    controls = region.controls
    locks = controls[controls["action"].eq("lock")].drop_duplicates("referral_id").set_index("referral_id")
    r["locked_to"] = r["referral_id"].map(locks["setting_id"]).fillna("")
    return r


def _available(s: pd.DataFrame, params: MatchParams) -> np.ndarray:
    # A blank vacancy count is not known (published supply has none): such a setting offers no child a place.
    ok = s["registration_status"].eq("active") & (s["vacancies"].fillna(0) > 0)
    if params.exclude_inadequate:
        ok &= s["ofsted_grade"].ne("inadequate")
    return ok.to_numpy(dtype=bool)


def _with_residents(settings: pd.DataFrame, region: Region) -> pd.DataFrame:
    """Youngest and oldest child living in each setting now (for who a child can be cared alongside)."""
    living = region.children[region.children["current_setting_id"].fillna("").ne("")]
    ages = living.groupby("current_setting_id")["age"].agg(["min", "max"]).astype(float)
    settings = settings.copy()
    settings["resident_min_age"] = settings["setting_id"].map(ages["min"])
    settings["resident_max_age"] = settings["setting_id"].map(ages["max"])
    return settings


def _with_dol(settings: pd.DataFrame, region: Region) -> pd.DataFrame:
    """Whether each setting can meet a DoL order (a children's home marked dol_capable: the mark means nothing on
    any other type), whether it can while others live there, and whether a child on an order lives there now."""
    settings = settings.copy()
    settings["dol_home"] = settings["dol_capable"].astype(bool) & settings["setting_type"].isin(DOL_SETTING_TYPES)
    settings["dol_shared"] = settings["dol_home"] & settings["dol_shared_ok"].astype(bool)
    children = region.children
    on_order = set(children.loc[children["dol_order"].astype(bool), "current_setting_id"].fillna("")) - {""}
    settings["dol_resident"] = settings["setting_id"].isin(on_order)
    return settings


def _referral_arrays(r: pd.DataFrame) -> dict[str, np.ndarray]:
    arrays = {
        "lat": r["origin_lat"].to_numpy(dtype=float), "lon": r["origin_lon"].to_numpy(dtype=float),
        "age": r["age"].to_numpy(dtype=float), "secure": r["secure_order"].to_numpy(dtype=bool),
        "dol": r["dol_order"].to_numpy(dtype=bool), "unit_dol": r["unit_dol"].to_numpy(dtype=bool),
        "unit_solo": r["unit_solo"].to_numpy(dtype=bool),
        "dol_conditions": conditions_mask(r["dol_conditions"]), "dol_staffing": staffing_rank(r["dol_conditions"]),
        "needs": needs_mask(r["needs"]), "ratio": r["ratio"].map(RATIO_RANK).to_numpy(),
        "solo": r["cared_alongside"].eq("solo").to_numpy(),
        "older_only": r["cared_alongside"].eq("older_only").to_numpy(),
        "younger_only": r["cared_alongside"].eq("younger_only").to_numpy(),
        "size": r["unit_size"].to_numpy(), "max_km": r["max_distance_km"].to_numpy(dtype=float),
        "keep_school": (r["keep_school"] & r["school_lat"].notna() & r["school_lon"].notna()).to_numpy(dtype=bool),
        "school_lat": r["school_lat"].to_numpy(dtype=float), "school_lon": r["school_lon"].to_numpy(dtype=float),
        "locked_to": r["locked_to"].to_numpy(dtype=object),
        "search": search.referral_arrays(r),
    }
    for column in set(SUITABILITY_COLUMN_BY_SETTING_TYPE.values()):
        arrays[column] = r[column].ne("unsuitable").to_numpy()
    return arrays


def _setting_arrays(s: pd.DataFrame) -> dict[str, np.ndarray]:
    return {
        "id": s["setting_id"].to_numpy(dtype=object),
        "lat": s["lat"].to_numpy(dtype=float), "lon": s["lon"].to_numpy(dtype=float),
        "type": s["setting_type"].to_numpy(dtype=object),
        "age_min": s["age_min"].to_numpy(dtype=float), "age_max": s["age_max"].to_numpy(dtype=float),
        "needs": needs_mask(s["needs_met"]), "ratio": s["max_ratio"].map(RATIO_RANK).to_numpy(),
        "empty": (s["vacancies"] == s["places"]).to_numpy(dtype=bool),
        "vacancies": s["vacancies"].to_numpy(dtype=float), "solo_only": s["solo_only"].to_numpy(dtype=bool),
        "resident_min_age": s["resident_min_age"].to_numpy(dtype=float),
        "resident_max_age": s["resident_max_age"].to_numpy(dtype=float),
        "dol_home": s["dol_home"].to_numpy(dtype=bool), "dol_shared": s["dol_shared"].to_numpy(dtype=bool),
        "dol_resident": s["dol_resident"].to_numpy(dtype=bool),
        "dol_conditions": conditions_mask(s["dol_conditions_met"], blank_means_all=True),
        "search": search.setting_arrays(s),
    }


def _blocked_pair_codes(region: Region, referrals: pd.DataFrame, settings: pd.DataFrame) -> dict[str, np.ndarray]:
    """Pairs ruled out by a listed exception rather than a formula: vetoes and avoid zones (as ref*n+set codes)."""
    n = len(settings)
    position = pd.Series(np.arange(len(referrals)), index=referrals["referral_id"])
    setting_position = pd.Series(np.arange(n), index=settings["setting_id"])
    vetoes = region.controls[region.controls["action"].eq("veto")]
    by_setting = vetoes[vetoes["setting_id"].fillna("").ne("")][["referral_id", "setting_id"]]
    by_provider = vetoes[vetoes["provider_id"].fillna("").ne("")].merge(
        settings[["setting_id", "provider_id"]], on="provider_id", suffixes=("_veto", "")
    )[["referral_id", "setting_id"]]
    veto = pd.concat([by_setting, by_provider])
    veto = veto[veto["setting_id"].isin(setting_position.index) & veto["referral_id"].isin(position.index)]
    return {
        "veto": (position[veto["referral_id"]].to_numpy() * n + setting_position[veto["setting_id"]].to_numpy()),
        "avoid": _avoid_zone_codes(referrals, settings),
    }


def _avoid_zone_codes(referrals: pd.DataFrame, settings: pd.DataFrame) -> np.ndarray:
    """Settings inside each referral's avoid circle, by a spatial join of buffers drawn in metres."""
    zones = referrals[referrals["avoid_lat"].notna() & referrals["avoid_radius_km"].notna()]
    if zones.empty or settings.empty:
        return np.array([], dtype=np.int64)
    circles = gpd.GeoDataFrame(
        {"ref_pos": zones.index.to_numpy()},
        geometry=gpd.points_from_xy(zones["avoid_lon"], zones["avoid_lat"], crs=WGS84).to_crs(BRITISH_NATIONAL_GRID)
        .buffer(zones["avoid_radius_km"].to_numpy() * 1000, quad_segs=32))
    points = gpd.GeoDataFrame({"set_pos": np.arange(len(settings))},
                              geometry=gpd.points_from_xy(settings["lon"], settings["lat"], crs=WGS84)
                              .to_crs(BRITISH_NATIONAL_GRID))
    inside = gpd.sjoin(points, circles, predicate="within")
    return inside["ref_pos"].to_numpy(dtype=np.int64) * len(settings) + inside["set_pos"].to_numpy(dtype=np.int64)


# --- the rules ------------------------------------------------------------------------------------------------

def _pair_checks(r: dict, s: dict, ref_idx: np.ndarray, set_idx: np.ndarray, distance: np.ndarray,
                 params: MatchParams, blocked: dict[str, np.ndarray], n_settings: int) -> dict[str, np.ndarray]:
    setting_type, age, size = s["type"][set_idx], r["age"][ref_idx], r["size"][ref_idx]
    codes = ref_idx.astype(np.int64) * n_settings + set_idx
    max_km = r["max_km"][ref_idx]
    within = np.isnan(max_km) | (distance <= max_km)
    if params.max_distance_km > 0:
        within &= distance <= params.max_distance_km
    keep_school = r["keep_school"][ref_idx]
    school_km = np.zeros(len(ref_idx))
    school_ref, school_set = ref_idx[keep_school], set_idx[keep_school]
    school_km[keep_school] = haversine_km(r["school_lat"][school_ref], r["school_lon"][school_ref],
                                          s["lat"][school_set], s["lon"][school_set])
    locked_to = r["locked_to"][ref_idx]
    youngest, oldest = s["resident_min_age"][set_idx], s["resident_max_age"][set_idx]
    dol, shared = r["dol"][ref_idx], s["dol_shared"][set_idx]
    return {
        "available": np.ones(len(ref_idx), dtype=bool),
        "lock": (locked_to == "") | (locked_to == s["id"][set_idx]),
        "veto": ~_listed(codes, blocked["veto"]),
        "setting_type": _type_suitable(r, s, ref_idx, set_idx, age),
        "secure": r["secure"][ref_idx] == (setting_type == "secure_childrens_home"),
        "dol": ~dol | (s["dol_home"][set_idx] & ((r["dol_conditions"][ref_idx] & ~s["dol_conditions"][set_idx]) == 0)
                       & (s["ratio"][set_idx] >= r["dol_staffing"][ref_idx])),
        "age_range": (s["age_min"][set_idx] <= age) & (age <= s["age_max"][set_idx]),
        "needs": (r["needs"][ref_idx] & ~s["needs"][set_idx]) == 0,
        **search.pair_checks(r["search"], s["search"], ref_idx, set_idx),
        "ratio": s["ratio"][set_idx] >= r["ratio"][ref_idx],
        # a child who must live alone needs a setting nobody lives in now
        "solo": ~r["solo"][ref_idx] | s["empty"][set_idx],
        # the order's restrictions must fall on no other child: a child on one lives alone unless the home can
        # keep them apart, and a home where one lives takes nobody else unless it can
        "dol_sharing": (~dol | shared | s["empty"][set_idx]) & (~s["dol_resident"][set_idx] | shared),
        # NaN resident ages (nobody lives there) compare False, so an empty setting passes
        "alongside": ~(r["older_only"][ref_idx] & (youngest <= age)) & ~(r["younger_only"][ref_idx] & (oldest >= age)),
        "distance": within,
        "school": ~keep_school | (school_km <= params.keep_school_max_km),
        "avoid": ~_listed(codes, blocked["avoid"]),
        "sibling_group": (s["vacancies"][set_idx] >= size)
        & ~((size > 1) & (s["solo_only"][set_idx] | r["unit_solo"][ref_idx] | (r["unit_dol"][ref_idx] & ~shared))),
    }


def _listed(codes: np.ndarray, listed: np.ndarray) -> np.ndarray:
    """Which codes are in a (short) list: a binary search each, where np.isin would sort every pair's code."""
    listed = np.sort(listed)
    if not len(listed):
        return np.zeros(len(codes), dtype=bool)
    at = np.minimum(np.searchsorted(listed, codes), len(listed) - 1)
    return listed[at] == codes


def _type_suitable(r: dict, s: dict, ref_idx: np.ndarray, set_idx: np.ndarray, age: np.ndarray) -> np.ndarray:
    """`unsuitable` never; supported accommodation never for under-16s (unlawful since September 2021)."""
    types = list(SUITABILITY_COLUMN_BY_SETTING_TYPE)
    # referral x setting type -> suitable, so every pair is one lookup (a type not listed is never suitable)
    suitable = np.column_stack([r[SUITABILITY_COLUMN_BY_SETTING_TYPE[t]] for t in types]
                               + [np.zeros(len(r["age"]), dtype=bool)])
    type_code = pd.Index(types).get_indexer(s["type"])[set_idx]  # -1, the last column, where not listed
    ok = suitable[ref_idx, type_code]
    ok &= ~((type_code == types.index("supported_accommodation")) & (age < SUPPORTED_MIN_AGE))
    return ok


# --- costs ------------------------------------------------------------------------------------------------

def _cost_terms(referrals: pd.DataFrame, settings: pd.DataFrame, region: Region, ref_idx: np.ndarray,
                set_idx: np.ndarray, distance: np.ndarray, params: MatchParams) -> dict[str, np.ndarray]:
    """Every cost term the model weighs, per pair. Each term is worked out once per setting or referral and looked
    up per pair: no table is copied row per pair."""
    fee = settings["weekly_fee"].fillna(settings["setting_type"].map(settings.groupby("setting_type")["weekly_fee"]
                                                                    .median()))
    # a block-contract bed is already paid for: placing a child there costs nothing extra
    fee_cost = np.where(settings["block_contract"], 0.0, fee.fillna(0.0))
    columns = sorted(set(SUITABILITY_COLUMN_BY_SETTING_TYPE.values()))
    preferred = np.column_stack([referrals[c].eq("preferred").to_numpy() for c in columns]
                                + [np.zeros(len(referrals), dtype=bool)])  # last: a type with no column
    column_of = settings["setting_type"].map(SUITABILITY_COLUMN_BY_SETTING_TYPE).map(
        {c: i for i, c in enumerate(columns)}).fillna(len(columns)).to_numpy(dtype=np.int64)
    sector = settings["provider_id"].map(region.providers.set_index("provider_id")["sector"])
    in_house = (settings["setting_type"].eq("foster_inhouse") & sector.eq("local_authority")).to_numpy()
    la_codes, _ = pd.factorize(pd.concat([referrals["la_code"], settings["la_code"]], ignore_index=True))
    referral_la, setting_la = la_codes[:len(referrals)], la_codes[len(referrals):]
    referral_la = np.where(referral_la < 0, -2, referral_la)  # a blank council matches no setting's blank one
    own_in_house = in_house[set_idx] & (setting_la[set_idx] == referral_la[ref_idx])
    distance_weight = np.where(referrals["close_to_family"].to_numpy(dtype=bool),
                               params.close_to_family_multiplier, 1.0)[ref_idx]
    quality = settings["ofsted_grade"].map(params.grade_cost).astype(float).to_numpy()
    return {
        "fee_cost": fee_cost[set_idx],
        "distance_cost": distance_weight * (params.cost_per_km * distance
                                            + params.over_20_miles_cost * (distance > TWENTY_MILES_KM)),
        "fit_cost": np.where(preferred[ref_idx, column_of[set_idx]], 0.0, params.not_preferred_cost),
        "quality_cost": quality[set_idx],
        "in_house_cost": np.where(own_in_house & params.in_house_first, -params.in_house_bonus, 0.0),
        **search.pair_costs(referrals, settings, ref_idx, set_idx, params),
    }


def _total(terms: dict[str, np.ndarray]) -> np.ndarray:
    """The terms added one by one in COST_TERMS order, as a row sum adds them (a blank term counts nothing)."""
    cost = np.zeros(len(next(iter(terms.values()))))
    for term in (t for t in COST_TERMS if t in terms):
        cost += np.nan_to_num(np.asarray(terms[term], dtype=float), nan=0.0)
    return cost


# The terms every member pair keeps: the baseline reads every pair's fee, and the split term is added later. The
# others are worked out again only for the pairs an allocation uses (member_cost_terms): kept for every pair,
# they were 80 bytes of its ~250, 1.2 GB of England's North West replan.
KEPT_TERMS = ("fee_cost",)


def _member_costs(referrals: pd.DataFrame, settings: pd.DataFrame, region: Region, ref_idx: np.ndarray,
                  set_idx: np.ndarray, distance: np.ndarray, params: MatchParams) -> pd.DataFrame:
    """Each eligible child-setting pair with its cost (every term the model weighs, added up), its fee, and the
    rows of `referrals` and `settings` it pairs, from which member_cost_terms gives its other terms for audit."""
    terms = _cost_terms(referrals, settings, region, ref_idx, set_idx, distance, params)
    # copy=False: the arrays are this table's alone, and stacking millions of rows into one block costs seconds
    pairs = pd.DataFrame({
        "referral_id": referrals["referral_id"].to_numpy(dtype=object)[ref_idx],
        "unit_id": referrals["unit_id"].to_numpy(dtype=object)[ref_idx],
        "setting_id": settings["setting_id"].to_numpy(dtype=object)[set_idx],
        "referral_row": ref_idx.astype(np.int32), "setting_row": set_idx.astype(np.int32),
        "distance_km": distance, **{term: terms[term] for term in KEPT_TERMS},
    }, copy=False)
    pairs["cost"] = _total(terms)
    return pairs


def member_cost_terms(region: Region, candidates: Candidates, member_pairs: pd.DataFrame) -> pd.DataFrame:
    """Every cost term (COST_TERMS) of `member_pairs` (rows of candidates.member_pairs), worked out again from the
    referrals and settings they pair, as the build worked them out: the same values, bit for bit."""
    # referral_row is the referral's label in candidates.referrals: the build's row, still its label when some
    # referrals are left out (lookahead, coalitions)
    ref_idx = candidates.referrals.index.get_indexer(member_pairs["referral_row"].to_numpy(dtype=np.int64))
    if (ref_idx < 0).any():
        raise ValueError("member pairs of referrals these candidates no longer hold (a bug in rcc)")
    set_idx = member_pairs["setting_row"].to_numpy(dtype=np.int64)
    distance = member_pairs["distance_km"].to_numpy(dtype=float)
    terms = _cost_terms(candidates.referrals, candidates.settings, region, ref_idx, set_idx, distance,
                        candidates.params)
    terms["split_cost"] = member_pairs["split_cost"].to_numpy(dtype=float)
    return pd.DataFrame({term: terms[term] for term in COST_TERMS}, index=member_pairs.index)


def _check_penalty_dominates(member_pairs: pd.DataFrame, params: MatchParams) -> None:
    if len(member_pairs) and member_pairs["cost"].max() >= params.unmatched_penalty:
        worst = member_pairs.loc[member_pairs["cost"].idxmax()]
        raise ParameterError(
            f"unmatched_penalty (£{params.unmatched_penalty:,.0f}) must exceed the costliest placement, "
            f"£{worst['cost']:,.0f} for {worst['referral_id']} in {worst['setting_id']}: raise it in the "
            "parameters file, or the model may leave a child unmatched to save money")


# --- units ------------------------------------------------------------------------------------------------

def _split_groups_no_setting_can_take(referrals: pd.DataFrame, member_pairs: pd.DataFrame, params: MatchParams,
                                      ref_idx: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Siblings no single setting can take together may be placed apart, each at a penalty.

    A group is split only when not one setting passes every rule for all of them with room for them all (the
    law and practice guidance: together wherever possible), so the model never trades togetherness for cost.
    `ref_idx` is each member pair's referral position; `member_pairs` is changed in place.
    """
    in_group = referrals["unit_size"].to_numpy()[ref_idx] > 1  # a child alone is never split
    grouped = member_pairs[in_group & member_pairs["group_fits"].to_numpy(dtype=bool)]
    whole = grouped.groupby(["unit_id", "setting_id"])["referral_id"].nunique()
    size = referrals.groupby("unit_id")["referral_id"].size()
    placeable_together = set(whole[whole.to_numpy() == size.reindex(whole.index.get_level_values(0)).to_numpy()]
                             .index.get_level_values(0))
    split = (referrals["unit_size"].gt(1) & ~referrals["unit_id"].isin(placeable_together)).to_numpy()
    referrals = referrals.copy()
    referrals["split_from"] = np.where(split, referrals["sibling_group"], "")
    referrals.loc[split, "unit_id"] = "apart:" + referrals.loc[split, "referral_id"]
    referrals.loc[split, "unit_size"] = 1
    apart = split[ref_idx]
    if apart.any():
        member_pairs["unit_id"] = referrals["unit_id"].to_numpy(dtype=object)[ref_idx]
    member_pairs["split_cost"] = np.where(apart, params.sibling_split_cost, 0.0)
    member_pairs["cost"] += member_pairs["split_cost"]
    # the child alone is now the whole unit, so every pair the child may use fits it
    member_pairs.loc[apart, "group_fits"] = True
    return referrals, member_pairs


def _units(referrals: pd.DataFrame) -> pd.DataFrame:
    r = referrals.assign(
        older_only_age=referrals["age"].where(referrals["cared_alongside"].eq("older_only")).astype(float),
        younger_only_age=referrals["age"].where(referrals["cared_alongside"].eq("younger_only")).astype(float),
        solo=referrals["cared_alongside"].eq("solo"), dol=referrals["dol_order"].astype(bool))
    units = r.groupby("unit_id", sort=True).agg(
        size=("referral_id", "size"), solo=("solo", "any"), dol=("dol", "any"), penalty=("penalty", "sum"),
        min_age=("age", "min"), max_age=("age", "max"),
        older_only_age=("older_only_age", "max"), younger_only_age=("younger_only_age", "min"),
    ).reset_index()
    # each unit's referral ids in order, cut from one sorted column rather than sorted group by group
    ids = r[["unit_id", "referral_id"]].sort_values(["unit_id", "referral_id"])["referral_id"].to_numpy()
    ends = np.cumsum(units["size"].to_numpy())
    units["referral_ids"] = [tuple(ids[end - size:end]) for end, size in zip(ends, units["size"].to_numpy())]
    return units


def _unit_pairs(member_pairs: pd.DataFrame, units: pd.DataFrame, s: pd.DataFrame, referrals: pd.DataFrame,
                ref_idx: np.ndarray, set_idx: np.ndarray) -> pd.DataFrame:
    """A unit may go to a setting only if every member may; its cost is the members' costs added up.

    `weight` is what the pair uses of the setting's `capacity` (its vacancies): the unit's size, or the whole
    setting when the unit must live alone, the setting is a single-child home, or a child of the unit is on a DoL
    order the home cannot meet alongside other children.

    Ordered by unit_id and setting_id. A child alone is their unit, so their pairs are their member pairs as they
    are; only sibling groups' pairs are added up per setting. Ids are ranked once per unit and per setting, and
    pairs sorted by those ranks, never by their text.
    """
    fits = member_pairs["group_fits"].to_numpy(dtype=bool)
    unit_rank = pd.Index(units["unit_id"]).get_indexer(referrals["unit_id"])  # units are sorted by unit_id
    setting_order = np.argsort(s["setting_id"].to_numpy(dtype=object), kind="stable")
    setting_rank = np.empty(len(s), dtype=np.int64)
    setting_rank[setting_order] = np.arange(len(s))
    unit_size = units["size"].to_numpy()
    pair_unit, pair_setting = unit_rank[ref_idx], setting_rank[set_idx]
    alone = fits & (unit_size[pair_unit] == 1)
    together = fits & (unit_size[pair_unit] > 1)
    cost = member_pairs["cost"].to_numpy(dtype=float)
    unit_of, setting_of, unit_cost = [pair_unit[alone]], [pair_setting[alone]], [cost[alone]]
    if together.any():
        grouped = pd.DataFrame({"unit": pair_unit[together], "setting": pair_setting[together],
                                "cost": cost[together]}).groupby(["unit", "setting"], sort=False)
        sums = grouped.agg(members=("cost", "size"), cost=("cost", "sum")).reset_index()
        sums = sums[sums["members"].to_numpy() == unit_size[sums["unit"].to_numpy()]]
        unit_of.append(sums["unit"].to_numpy())
        setting_of.append(sums["setting"].to_numpy())
        unit_cost.append(sums["cost"].to_numpy(dtype=float))
    unit_of, setting_of, unit_cost = (np.concatenate(a) for a in (unit_of, setting_of, unit_cost))
    order = np.lexsort((setting_of, unit_of))
    unit_of, setting_of = unit_of[order], setting_of[order]
    at = setting_order[setting_of]  # each pair's setting as a row of `s`
    capacity = s["vacancies"].to_numpy()[at].astype(int)
    solo, dol = units["solo"].to_numpy(dtype=bool)[unit_of], units["dol"].to_numpy(dtype=bool)[unit_of]
    whole = solo | s["solo_only"].to_numpy(dtype=bool)[at] | (dol & ~s["dol_shared"].to_numpy(dtype=bool)[at])
    size = unit_size[unit_of]
    return pd.DataFrame({
        "unit_id": units["unit_id"].to_numpy(dtype=object)[unit_of],
        "setting_id": s["setting_id"].to_numpy(dtype=object)[at],
        "cost": unit_cost[order], "size": size, "solo": solo, "capacity": capacity,
        "weight": np.where(whole, capacity, size),
    }, copy=False)


def _age_conflicts(pairs: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Pairs of placements into one setting that break a child's older_only / younger_only wish.

    Only a unit with such a wish is paired with the others, and only in a setting with room for both (most foster
    households have one vacancy, and pairing every child who could go there would make millions of rows
    nationally that no answer could break): each of its pairs against the pairs into the same setting, found
    from the pairs sorted by setting, without a join, in one compiled pass (_conflict_codes).
    """
    empty = pd.DataFrame({"pair_a": pd.Series(dtype=int), "pair_b": pd.Series(dtype=int)})
    wish = (units["older_only_age"].notna() | units["younger_only_age"].notna()).to_numpy()
    if not wish.any() or not len(pairs):
        return empty
    unit = pd.Index(units["unit_id"]).get_indexer(pairs["unit_id"]).astype(np.int64)
    setting, _ = pd.factorize(pairs["setting_id"])
    setting = setting.astype(np.int64)
    weight, capacity = pairs["weight"].to_numpy(dtype=np.int64), pairs["capacity"].to_numpy(dtype=np.int64)
    shared = np.flatnonzero(capacity >= 2)
    by_setting = shared[np.argsort(setting[shared], kind="stable")]
    sizes = np.bincount(setting[shared], minlength=setting.max() + 1)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    wishing = np.zeros(len(pairs), dtype=np.bool_)
    wishing[shared[wish[unit[shared]]]] = True
    ages = units[["min_age", "max_age", "older_only_age", "younger_only_age"]].to_numpy(dtype=float)
    codes = _conflict_codes(np.flatnonzero(wishing), wishing, by_setting, starts, sizes, setting, unit, weight,
                            capacity, np.ascontiguousarray(ages))
    if not len(codes):
        return empty
    return pd.DataFrame({"pair_a": codes // len(pairs), "pair_b": codes % len(pairs)})


@numba.njit(cache=True, nogil=True)
def _clash(x: np.ndarray, y: np.ndarray) -> bool:
    """Unit x's wish broken by living with unit y (ages rows: min_age, max_age, older_only_age, younger_only_age;
    NaN: no such wish)."""
    return (x[2] == x[2] and y[0] <= x[2]) or (x[3] == x[3] and y[1] >= x[3])


@numba.njit(cache=True, nogil=True)
def _conflict_codes(wishing_pairs, wishing, by_setting, starts, sizes, setting, unit, weight, capacity, ages):
    """Sorted codes (lower pair * pairs + higher pair) of the pairs into one setting with room for both whose
    units' ages break either one's wish: each pair of a unit with a wish against every pair into its setting.
    Two pairs both with wishes meet from both sides; the one from the lower pair's side is kept."""
    n = len(setting)
    out = np.empty(0, np.int64)
    for fill in range(2):  # count, then write
        found = 0
        for a in wishing_pairs:
            s = setting[a]
            for k in range(starts[s], starts[s] + sizes[s]):
                b = by_setting[k]
                if unit[a] == unit[b] or weight[a] + weight[b] > capacity[a] or (wishing[b] and b < a):
                    continue
                if _clash(ages[unit[a]], ages[unit[b]]) or _clash(ages[unit[b]], ages[unit[a]]):
                    if fill:
                        out[found] = min(a, b) * n + max(a, b)
                    found += 1
        if not fill:
            out = np.empty(found, np.int64)
    out.sort()
    return out


def compile_conflicts() -> None:
    """Compile the age-conflict pass (numba; a second or two the first time, then loaded from its cache in
    __pycache__). `make` runs this once after installing."""
    one = np.zeros(1, np.int64)
    _conflict_codes(one, np.ones(1, np.bool_), one, one, one, one, one, one, one + 2, np.zeros((1, 4)))
