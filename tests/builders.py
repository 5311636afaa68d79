"""Small regions for tests, written as real CSV files and loaded through the real loader."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.load import load_region
from data.region import Region
from data.schema import TABLES
from optimiser.match.demand import check_demand

AUTHORITY = {"la_code": "E08000003", "la_name": "Manchester", "lat": 53.451, "lon": -2.233}
SECOND_AUTHORITY = {"la_code": "E08000006", "la_name": "Salford", "lat": 53.490, "lon": -2.370}
PROVIDER = {"provider_id": "P1", "provider_name": "Provider One", "sector": "private"}

SETTING_DEFAULTS = {"provider_id": "P1", "setting_type": "childrens_home", "registration_status": "active",
                    "la_code": "E08000003", "lat": 53.451, "lon": -2.233, "places": 4, "vacancies": 2,
                    "weekly_fee": 5000, "ofsted_grade": "good",
                    "needs_met": "emotional_behavioural;mental_health"}
REFERRAL_DEFAULTS = {"la_code": "E08000003", "age": 14, "sex": "m", "needed_by": "2026-12-01",
                     "family_lat": 53.451, "family_lon": -2.233, "residential_suitability": "suitable",
                     "foster_suitability": "suitable"}
CHILD_DEFAULTS = {"la_code": "E08000003", "age": 12, "sex": "f"}


def settings_rows(*rows: dict) -> list[dict]:
    return [{"setting_id": f"S{i + 1}", **SETTING_DEFAULTS, **row} for i, row in enumerate(rows)]


def referral_rows(*rows: dict) -> list[dict]:
    return [{"referral_id": f"R{i + 1}", "child_id": f"C{i + 1}", **REFERRAL_DEFAULTS, **row}
            for i, row in enumerate(rows)]


def write_region(folder: Path, *, settings: list[dict], referrals: list[dict], children: list[dict] = (),
                 authorities: list[dict] = (AUTHORITY, SECOND_AUTHORITY), providers: list[dict] = (PROVIDER,),
                 **other_tables: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"authorities": authorities, "providers": providers, "settings": settings,
              "referrals": referrals, "children": [{**CHILD_DEFAULTS, **c} for c in children], **other_tables}
    for name, rows in tables.items():
        columns = TABLES[name].column_names
        frame = pd.DataFrame(list(rows), columns=None if rows else columns)
        frame.to_csv(folder / TABLES[name].file_name, index=False)
    return folder


def make_region(folder: Path, **tables) -> Region:
    return load_region(write_region(folder, **tables))


def demand_table(rows, first_month: date = date(2026, 11, 1)) -> pd.DataFrame:
    """A Demand table from (la_code, group, age_band, [stock per month from first_month], p90 per month or None)."""
    records = []
    for la_code, group, age_band, stock, high in rows:
        for k, value in enumerate(stock):
            month = (pd.Timestamp(first_month) + pd.DateOffset(months=k)).strftime("%Y-%m-%d")
            top = value if high is None else high[k]
            records.append({"la_code": la_code, "group": group, "age_band": age_band, "month": month,
                            "mean": value, "p10": value, "p50": value, "p90": top})
    return check_demand(pd.DataFrame(records))


RANDOM_TYPES = ["childrens_home", "foster_ifa", "foster_inhouse", "supported_accommodation", "secure_childrens_home"]
RANDOM_NEEDS = ["emotional_behavioural", "mental_health", "learning_disability", "exploitation_risk"]


def random_instance(seed: int) -> dict[str, list[dict]]:
    """A tiny region where every hard rule and cost term bites sometimes; small enough to enumerate."""
    rng = np.random.default_rng(seed)
    settings, children = [], []
    for k in range(rng.integers(3, 5)):
        stype = rng.choice(RANDOM_TYPES, p=[0.45, 0.25, 0.15, 0.1, 0.05])
        places = int(rng.integers(1, 4))
        vacancies = int(rng.integers(places // 2, places + 1))
        age_min = 16 if stype == "supported_accommodation" else int(rng.choice([0, 0, 0, 10]))
        settings.append({
            "setting_type": stype, "places": places, "vacancies": vacancies,
            "registration_status": rng.choice(["active"] * 8 + ["suspended", "unregistered"]),
            "ofsted_grade": rng.choice(["good", "good", "requires_improvement", "outstanding", "inadequate",
                                        "not_inspected"]),
            "age_min": age_min, "age_max": 17,
            "needs_met": ";".join(n for n in RANDOM_NEEDS if rng.random() < 0.85),
            "max_ratio": rng.choice(["standard", "1:1", "2:1"]), "solo_only": bool(rng.random() < 0.15),
            "weekly_fee": float(rng.integers(5, 90) * 100), "block_contract": bool(rng.random() < 0.15),
            "lat": 53.45 + rng.normal(0, 0.15), "lon": -2.23 + rng.normal(0, 0.2),
        })
        children += [{"child_id": f"K{k}{j}", "age": int(rng.integers(age_min, 18)), "current_setting_id": f"S{k + 1}"}
                     for j in range(places - vacancies)]
    referrals = []
    sibling_pair = rng.random() < 0.5
    for i in range(int(rng.integers(3, 5))):
        age = int(rng.integers(5, 18))
        family = (53.45 + rng.normal(0, 0.1), -2.23 + rng.normal(0, 0.15))
        avoid = rng.random() < 0.2
        referrals.append({
            "age": age, "sibling_group": "G1" if sibling_pair and i < 2 else "",
            "family_lat": family[0], "family_lon": family[1],
            "needed_by": rng.choice(["2026-11-01", "2026-11-20", "2026-12-01"]),
            "emergency": bool(rng.random() < 0.3), "close_to_family": bool(rng.random() < 0.3),
            "foster_suitability": rng.choice(["preferred", "suitable", "suitable", "unsuitable"]),
            "residential_suitability": rng.choice(["preferred", "suitable", "unsuitable", "not_specified", "suitable"]),
            "supported_suitability": rng.choice(["suitable", "unsuitable"]) if age >= 16 else "unsuitable",
            "secure_order": bool(rng.random() < 0.05),
            "needs": ";".join(n for n in RANDOM_NEEDS if rng.random() < 0.06),
            "ratio": rng.choice(["standard", "standard", "standard", "1:1", "2:1"]),
            "cared_alongside": rng.choice(["no_preference"] * 4 + ["solo", "older_only", "younger_only"]),
            "max_distance_km": rng.choice([np.nan, np.nan, np.nan, 30.0]),
            "keep_school": bool(rng.random() < 0.2),
            "school_lat": family[0] + 0.02, "school_lon": family[1],
            "avoid_lat": family[0] + rng.normal(0, 0.1) if avoid else np.nan,
            "avoid_lon": family[1] + rng.normal(0, 0.1) if avoid else np.nan,
            "avoid_radius_km": 8.0 if avoid else np.nan,
        })
    _with_dol_orders(np.random.default_rng(10_000 + seed), settings, children, referrals)
    _with_fuller_referrals(np.random.default_rng(20_000 + seed), settings, referrals)
    return {"settings": settings_rows(*settings), "referrals": referral_rows(*referrals), "children": children}


SEARCH_RISKS = ["going_missing", "fire_setting", "self_harm", "violence"]
SEARCH_LANGUAGES = ["Polish", "Arabic", "Urdu"]


def _with_fuller_referrals(rng: np.random.Generator, settings: list[dict], referrals: list[dict]) -> None:
    """The home-search standard's fuller referral (risks, pets, language, religion, culture, adaptations, education)
    on a stream of its own, like the DoL orders: each field bites sometimes, as a rule or as a cost."""
    for setting in settings:
        if rng.random() < 0.5:
            setting["risks_managed"] = ";".join(r for r in SEARCH_RISKS if rng.random() < 0.6)
        setting["pets_in_home"] = bool(rng.random() < 0.3)
        setting["pets_accepted"] = bool(rng.random() < 0.3)
        setting["languages"] = ";".join(lang for lang in SEARCH_LANGUAGES if rng.random() < 0.3)
        setting["religions"] = "muslim" if rng.random() < 0.3 else ""
        setting["adaptations"] = "wheelchair_access" if rng.random() < 0.3 else ""
        setting["education_provision"] = ";".join(e for e in ("mainstream", "on_site") if rng.random() < 0.4)
    for referral in referrals:
        referral["risks"] = ";".join(r for r in SEARCH_RISKS if rng.random() < 0.2)
        referral["pets"] = rng.choice(["no_preference"] * 6 + ["bringing_a_pet", "no_pets_in_home"])
        referral["language"] = rng.choice(["", "", "", *SEARCH_LANGUAGES])
        referral["religion"] = "Muslim" if rng.random() < 0.2 else ""
        referral["adaptations"] = "wheelchair_access" if rng.random() < 0.1 else ""
        referral["education_provision"] = rng.choice(["not_specified"] * 5 + ["mainstream", "on_site"])


DOL_CONDITION_CHOICES = ["locked_doors", "constant_supervision", "no_phone", "staffing_2_1"]


def _with_dol_orders(rng: np.random.Generator, settings: list[dict], children: list[dict],
                     referrals: list[dict]) -> None:
    """Deprivation-of-liberty orders and the homes able to meet them, drawn from a stream of their own so the rest
    of each instance is what it was before the orders existed: homes marked dol_capable (some able to share, some
    listing the conditions they meet), children living under an order, and referrals on one."""
    for k, setting in enumerate(settings):
        capable = rng.random() < 0.5
        setting["dol_capable"] = capable
        setting["dol_shared_ok"] = capable and rng.random() < 0.4
        if capable and rng.random() < 0.4:
            setting["dol_conditions_met"] = ";".join(c for c in DOL_CONDITION_CHOICES[:3] if rng.random() < 0.7)
    for child in children:
        child["dol_order"] = rng.random() < 0.08
    for referral in referrals:
        if not referral["secure_order"] and rng.random() < 0.15:
            referral["dol_order"] = True
            referral["dol_conditions"] = ";".join(c for c in DOL_CONDITION_CHOICES if rng.random() < 0.3)
