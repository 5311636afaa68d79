"""The generator's working frames shaped into schema tables, and written as CSV (DATA.md's conventions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from data.schema import TABLES
from data.synthetic import needs, truth
from data.synthetic.days import iso

DECIMALS = {"lat": 4, "lon": 4, "home_lat": 4, "home_lon": 4, "family_lat": 4, "family_lon": 4, "school_lat": 4,
            "school_lon": 4, "avoid_lat": 4, "avoid_lon": 4, "revenue": 2, "operating_profit": 2,
            "prior_revenue": 2, "prior_operating_profit": 2, "debt": 2, "interest": 2, "weekly_fee": 2,
            "weekly_cost": 2, "avoid_radius_km": 1, "max_distance_km": 1}
TRUTH_TABLE = "synthetic_truth"


def shape(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the schema's columns in its order, money and coordinates rounded, sorted by the table's key."""
    # a column the generator does not draw (the fuller referral's, say) is written as its default, as a council's
    # file that leaves it out is read
    absent = {c.name: ("" if c.dtype == "list" else c.default) for c in TABLES[name].columns if c.name not in frame}
    out = frame.assign(**absent)[TABLES[name].column_names].copy()
    for column in out.columns.intersection(list(DECIMALS)):
        out[column] = out[column].astype(float).round(DECIMALS[column])
    order = [TABLES[name].key] if TABLES[name].key else [c for c in ("CHILD", "DECOM") if c in out]
    return out.sort_values(order, kind="stable", ignore_index=True)


def authorities(targets: pd.DataFrame) -> pd.DataFrame:
    return shape("authorities", targets[targets["role"].eq("member")])


def settings(frame: pd.DataFrame) -> pd.DataFrame:
    # synthetic settings have locations of their own (drawn around the council), not a council's label point
    return shape("settings", frame.assign(needs_met=needs.as_text(frame), location_approximate=False))


def children(kids: pd.DataFrame) -> pd.DataFrame:
    return shape("children", kids.assign(dob=iso(kids["dob"]), sex=np.where(kids["male"], "m", "f"),
                                         placement_start=iso(kids["placement_start"]), needs=needs.as_text(kids)))


def referrals(frame: pd.DataFrame) -> pd.DataFrame:
    return shape("referrals", frame.assign(needed_by=iso(frame["needed_by"]), needs=needs.as_text(frame)))


def truth_table(parts: list[list[dict]]) -> pd.DataFrame:
    return truth.table(parts)


def write(tables: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """One CSV per table: lists joined by ';', booleans true/false, blanks for missing values, fixed decimals."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = out_dir / f"{name}.csv"
        _as_text(frame).to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    return written


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        if values.dtype == bool:
            out[column] = np.where(values, "true", "false")
        elif pd.api.types.is_float_dtype(values):
            text = values.map(f"{{:.{DECIMALS.get(column, 2)}f}}".format)
            out[column] = text.where(values.notna(), "")
        else:
            out[column] = values.fillna("").astype(str)
    return out
