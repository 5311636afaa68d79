"""Small regions for tests, written as real CSV files and loaded through the real loader."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from data.load import load_region
from data.region import Region
from data.schema import TABLES
from optimiser.demand import check_demand

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
