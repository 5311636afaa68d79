"""An independent check of any allocation against the hard rules.

Deliberately written a second way (plain loops over rows, straight from the Region's tables, sharing no code
with candidates.py) so that a bug in the vectorised filters or the model cannot hide itself: tests run every
solver's answer through this, and it can audit an allocation that came from anywhere (e.g. a council's own). It
shares only the vocabulary (which suitability column governs each setting type, the order of staffing ratios,
the youngest age for supported accommodation, which homes may meet a deprivation-of-liberty order and what each
condition of one asks): that is the data contract both must keep, not code under test.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import pandas as pd

from data.region import Region
from data.vocabulary import (
    DOL_SETTING_TYPES,
    DOL_STAFFING_RATIO,
    RATIOS,
    SUITABILITY_COLUMN_BY_SETTING_TYPE,
    SUPPORTED_MIN_AGE,
)
from optimiser.match.params import MatchParams

AVOID_TOLERANCE = 0.01


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


def verify_allocation(region: Region, allocations: pd.DataFrame, params: MatchParams | None = None) -> pd.DataFrame:
    """Every broken hard rule as a row (referral_id, setting_id, rule, detail); empty when the allocation is sound."""
    params = params or MatchParams()
    settings = {row["setting_id"]: row for row in region.settings.to_dict("records")}
    referrals = {row["referral_id"]: row for row in region.referrals.to_dict("records")}
    centroids = {row["la_code"]: (row["lat"], row["lon"]) for row in region.authorities.to_dict("records")}
    residents = defaultdict(list)
    on_order = set()  # settings where a child on a deprivation-of-liberty order lives now
    for child in region.children.to_dict("records"):
        if child["current_setting_id"]:
            residents[child["current_setting_id"]].append(child["age"])
            if child["dol_order"]:
                on_order.add(child["current_setting_id"])
    controls = region.controls.to_dict("records")
    violations: list[dict] = []

    def broken(referral_id, setting_id, rule, detail):
        violations.append({"referral_id": referral_id, "setting_id": setting_id, "rule": rule, "detail": detail})

    seen = Counter(allocations["referral_id"])
    for referral_id in referrals:
        if seen[referral_id] != 1:
            broken(referral_id, "", "one_row_per_referral", f"appears {seen[referral_id]} times in the allocation")
    placed_in = defaultdict(list)
    for row in allocations.to_dict("records"):
        setting_id = row["setting_id"]
        if row["status"] != "matched":
            continue
        referral = referrals.get(row["referral_id"])
        setting = settings.get(setting_id)
        if referral is None or setting is None:
            broken(row["referral_id"], setting_id, "known_ids", "referral or setting not in the region")
            continue
        placed_in[setting_id].append(referral)
        for rule, detail in _pair_violations(referral, setting, params, centroids):
            broken(referral["referral_id"], setting_id, rule, detail)
        for rule, detail in _control_violations(referral, setting, controls):
            broken(referral["referral_id"], setting_id, rule, detail)
    for setting_id, placed in placed_in.items():
        for rule, detail in _setting_violations(settings[setting_id], placed, residents[setting_id]):
            broken("", setting_id, rule, detail)
        for rule, detail in _dol_sharing_violations(settings[setting_id], placed, residents[setting_id],
                                                    setting_id in on_order):
            broken("", setting_id, rule, detail)
    for rule, referral_id, detail in _sibling_violations(referrals, allocations, settings, params, centroids,
                                                          controls, on_order, residents):
        broken(referral_id, "", rule, detail)
    return pd.DataFrame(violations, columns=["referral_id", "setting_id", "rule", "detail"])


def _pair_violations(referral: dict, setting: dict, params: MatchParams, centroids: dict):
    stype = setting["setting_type"]
    age = referral["age"]
    if setting["registration_status"] != "active":
        yield "registration", f"setting is {setting['registration_status']}"
    if params.exclude_inadequate and setting["ofsted_grade"] == "inadequate":
        yield "ofsted_grade", "setting is graded inadequate"
    if referral[SUITABILITY_COLUMN_BY_SETTING_TYPE[stype]] == "unsuitable":
        yield "suitability", f"{stype} is marked unsuitable for the child"
    if stype == "supported_accommodation" and age < SUPPORTED_MIN_AGE:
        yield "supported_under_16", f"child aged {age} placed in supported accommodation"
    if bool(referral["secure_order"]) != (stype == "secure_childrens_home"):
        yield "secure", f"secure_order={referral['secure_order']} but setting is {stype}"
    if referral["dol_order"]:
        yield from _dol_violations(referral, setting)
    if not setting["age_min"] <= age <= setting["age_max"]:
        yield "age_range", f"age {age} outside {setting['age_min']}-{setting['age_max']}"
    missing = set(referral["needs"] or ()) - set(setting["needs_met"] or ())
    if missing:
        yield "needs", "needs not met: " + ", ".join(sorted(missing))
    yield from _search_violations(referral, setting)
    if RATIOS.index(setting["max_ratio"]) < RATIOS.index(referral["ratio"]):
        yield "ratio", f"child needs {referral['ratio']}, setting gives at most {setting['max_ratio']}"
    if referral["cared_alongside"] == "solo" and setting["vacancies"] != setting["places"]:
        yield "solo", "child must live alone but the setting already has children"
    origin = (referral["family_lat"], referral["family_lon"])
    if pd.isna(origin[0]) or pd.isna(origin[1]):
        origin = centroids[referral["la_code"]]
    distance = great_circle_km(origin[0], origin[1], setting["lat"], setting["lon"])
    limits = [v for v in (referral["max_distance_km"], params.max_distance_km or None) if v is not None and pd.notna(v)]
    if limits and distance > min(limits) + 1e-6:
        yield "distance", f"{distance:.1f} km from home, limit {min(limits):g} km"
    if referral["keep_school"] and pd.notna(referral["school_lat"]):
        school_km = great_circle_km(referral["school_lat"], referral["school_lon"], setting["lat"], setting["lon"])
        if school_km > params.keep_school_max_km + 1e-6:
            yield "school", f"{school_km:.1f} km from the child's school, limit {params.keep_school_max_km:g} km"
    if pd.notna(referral["avoid_lat"]) and pd.notna(referral["avoid_radius_km"]):
        avoid_km = great_circle_km(referral["avoid_lat"], referral["avoid_lon"], setting["lat"], setting["lon"])
        # the model draws the circle as a polygon on the British National Grid; allow for its tiny distortion
        if avoid_km < referral["avoid_radius_km"] * (1 - AVOID_TOLERANCE):
            yield "avoid", f"{avoid_km:.1f} km from the place to avoid, radius {referral['avoid_radius_km']:g} km"


def _search_violations(referral: dict, setting: dict):
    """The home-search standard's hard rules: risks a home that lists them does not manage, animals for a child who
    cannot live with them, missing adaptations, education on site where the home gives none."""
    managed = set(setting["risks_managed"] or ())
    unmanaged = set(referral["risks"] or ()) - managed
    if managed and unmanaged:
        yield "risks", "the home does not list managing: " + ", ".join(sorted(unmanaged))
    if referral["pets"] == "no_pets_in_home" and setting["pets_in_home"]:
        yield "pets", "child cannot live with animals; the home has some"
    missing = set(referral["adaptations"] or ()) - set(setting["adaptations"] or ())
    if missing:
        yield "adaptations", "adaptations missing: " + ", ".join(sorted(missing))
    if referral["education_provision"] == "on_site" and "on_site" not in (setting["education_provision"] or ()):
        yield "education", "child needs education on site; the home gives none"


def _meets_dol(setting: dict) -> bool:
    """A registered children's home marked able to meet deprivation-of-liberty orders."""
    return bool(setting["dol_capable"]) and setting["setting_type"] in DOL_SETTING_TYPES


def _shares_dol(setting: dict) -> bool:
    """Such a home, able to meet an order without restricting the other children living there."""
    return _meets_dol(setting) and bool(setting["dol_shared_ok"])


def _dol_violations(referral: dict, setting: dict):
    if not _meets_dol(setting):
        yield "dol", (f"child on a deprivation-of-liberty order placed in {setting['setting_type']}"
                      + ("" if setting["setting_type"] in DOL_SETTING_TYPES else ", which can never meet one")
                      + ("" if setting["dol_capable"] else ", not marked dol_capable"))
        return
    listed = set(setting["dol_conditions_met"] or ())
    for condition in referral["dol_conditions"] or ():
        if condition in DOL_STAFFING_RATIO:
            if RATIOS.index(setting["max_ratio"]) < RATIOS.index(DOL_STAFFING_RATIO[condition]):
                yield "dol", f"order asks {condition}, setting gives at most {setting['max_ratio']}"
        elif listed and condition not in listed:
            yield "dol", f"order asks {condition}, which the setting does not list as met"


def _dol_sharing_violations(setting: dict, placed: list[dict], resident_ages: list, order_lives_there: bool):
    """A child on a DoL order shares a home only where the home can meet the order without restricting the others
    (siblings are others too): alone, or in a home marked dol_shared_ok."""
    if _shares_dol(setting):
        return
    on_order = [r["referral_id"] for r in placed if r["dol_order"]]
    # who lives there now: the children listed there, or the places taken, whichever says more
    taken = setting["places"] - setting["vacancies"] if pd.notna(setting["places"]) else 0
    others = len(placed) - 1 + max(len(resident_ages), int(taken))
    if on_order and others > 0:
        yield "dol_sharing", (f"{', '.join(on_order)} (on a deprivation-of-liberty order) would live with {others} "
                              "other child(ren) in a home not marked able to meet the order without restricting them")
    if order_lives_there and placed:
        yield "dol_sharing", (f"{len(placed)} child(ren) placed where a child on a deprivation-of-liberty order lives, "
                              "in a home not marked able to meet the order without restricting others")


def _control_violations(referral: dict, setting: dict, controls: list[dict]):
    for control in controls:
        if control["referral_id"] != referral["referral_id"]:
            continue
        if control["action"] == "lock" and control["setting_id"] != setting["setting_id"]:
            yield "lock", f"council locked the child to {control['setting_id']}"
        if control["action"] == "veto" and setting["setting_id"] == control["setting_id"]:
            yield "veto", "council vetoed this setting for the child"
        if control["action"] == "veto" and control["provider_id"] and setting["provider_id"] == control["provider_id"]:
            yield "veto", f"council vetoed provider {control['provider_id']} for the child"


def _setting_violations(setting: dict, placed: list[dict], resident_ages: list[int]):
    for child in placed:
        siblings = {o["referral_id"] for o in placed
                    if child["sibling_group"] and o["sibling_group"] == child["sibling_group"]}
        others = resident_ages + [o["age"] for o in placed if o["referral_id"] != child["referral_id"]
                                  and o["referral_id"] not in siblings]
        if child["cared_alongside"] == "older_only" and any(age <= child["age"] for age in others):
            yield "alongside", f"{child['referral_id']} (age {child['age']}) may live only with older children"
        if child["cared_alongside"] == "younger_only" and any(age >= child["age"] for age in others):
            yield "alongside", f"{child['referral_id']} (age {child['age']}) may live only with younger children"
    if len(placed) > setting["vacancies"]:
        yield "capacity", f"{len(placed)} children placed, {setting['vacancies']} vacancies"
    if setting["solo_only"] and len(placed) > 1:
        yield "solo_only", f"single-child home given {len(placed)} children"
    if len(placed) > 1 and any(r["cared_alongside"] == "solo" for r in placed):
        yield "solo", "a child who must live alone shares the setting with another child placed in this run"


def _sibling_violations(referrals: dict, allocations: pd.DataFrame, settings: dict, params: MatchParams,
                        centroids: dict, controls: list[dict], on_order: set, residents: dict):
    """Siblings must share one setting, unless not one setting could have taken them all together."""
    where = {row["referral_id"]: (row["status"], row["setting_id"] if row["status"] == "matched" else "")
             for row in allocations.to_dict("records")}
    groups = defaultdict(list)
    for referral in referrals.values():
        if referral["sibling_group"]:
            groups[referral["sibling_group"]].append(referral)
    for group, members in groups.items():
        outcomes = {where.get(m["referral_id"], ("missing", None)) for m in members}
        if len(outcomes) <= 1:
            continue
        together = next((s for s in settings.values()
                         if _could_take_together(s, members, params, centroids, controls,
                                                 s["setting_id"] in on_order, residents[s["setting_id"]])), None)
        if together is not None:
            yield ("siblings_together", members[0]["referral_id"],
                   f"sibling group {group} is split, though {together['setting_id']} could take them all: "
                   f"{sorted(map(str, outcomes))}")


def _could_take_together(setting: dict, members: list[dict], params: MatchParams, centroids: dict,
                         controls: list[dict], order_lives_there: bool, resident_ages: list) -> bool:
    """Whether placing the whole group in `setting` would break none of the rules above: the rules that judge a
    placement also judge the alternative to a split, so a group with a child who must live alone is never together,
    nor where the children living there break a sibling's wish about ages."""
    if pd.isna(setting["vacancies"]):
        return False  # vacancies not known: offered to no child
    return not (any(any(True for _ in _pair_violations(m, setting, params, centroids))
                    or any(True for _ in _control_violations(m, setting, controls)) for m in members)
                or any(True for _ in _setting_violations(setting, members, resident_ages))
                or any(True for _ in _dol_sharing_violations(setting, members, resident_ages, order_lives_there)))
