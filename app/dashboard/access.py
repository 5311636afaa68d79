"""The role filter: what part of a table a user may receive. Pure pandas, no Streamlit, so it is tested directly.

A commissioner receives every row. A council officer receives only rows about their own council's children and
referrals, plus rows that are not about any one child or council (the region's totals, providers, markets). The
filter fails closed: a row that names a child it cannot attribute to the officer's council is dropped.
"""

from __future__ import annotations

import pandas as pd

from app.dashboard.auth import User

REGION_ROW = "region"  # la_code / id of whole-region rows in backtest and unregistered_summary


def scope(frame: pd.DataFrame, user: User, child_council: pd.Series, referral_council: pd.Series) -> pd.DataFrame:
    """The rows of `frame` this user may see. `child_council` and `referral_council` map ids to the council
    responsible for the child (from the region's children and referrals, and the run's allocations)."""
    if user.sees_all_councils or frame.empty:
        return frame
    own = user.la_code
    keep = pd.Series(True, index=frame.index)
    if "la_code" in frame.columns:
        keep &= frame["la_code"].astype(str).isin([own, REGION_ROW])
    for column in frame.columns:
        # any id column naming a child or a referral (child_id, referral_id, and a diff's child_id_before ...)
        councils = _ids_of(column, child_council, referral_council)
        if councils is not None:
            given = frame[column].notna() & frame[column].astype(str).ne("")
            keep &= ~given | frame[column].map(councils).eq(own)
    if {"subject_type", "subject_id"} <= set(frame.columns):
        about_child = frame["subject_type"].eq("child")
        keep &= ~about_child | frame["subject_id"].map(child_council).eq(own)
    if {"level", "id"} <= set(frame.columns) and "la_code" not in frame.columns:
        keep &= ~frame["level"].eq("council") | frame["id"].eq(own)
    # Safety net for tables whose columns say nothing about children (a diff's "subject", say): any cell that is
    # exactly another council's child or referral id drops its row.
    others = set(child_council.index[child_council.ne(own)]) | set(referral_council.index[referral_council.ne(own)])
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            keep &= ~frame[column].isin(others)
    return frame[keep.fillna(False)].reset_index(drop=True)


def _ids_of(column: str, child_council: pd.Series, referral_council: pd.Series) -> pd.Series | None:
    name = column.lower()
    if name in ("child", "child_id") or name.startswith("child_id_") or name.endswith("_child_id"):
        return child_council
    if name == "referral_id" or name.startswith("referral_id_") or name.endswith("_referral_id"):
        return referral_council
    return None


def child_councils(*tables: pd.DataFrame) -> pd.Series:
    """child_id -> la_code from any tables holding both columns (first one wins)."""
    pairs = [t[["child_id", "la_code"]] for t in tables if {"child_id", "la_code"} <= set(t.columns)]
    if not pairs:
        return pd.Series(dtype=object)
    both = pd.concat(pairs).dropna().drop_duplicates("child_id")
    return both.set_index("child_id")["la_code"]


def referral_councils(*tables: pd.DataFrame) -> pd.Series:
    """referral_id -> la_code (step-down referrals exist only in a run's allocations, so pass those too)."""
    pairs = [t[["referral_id", "la_code"]] for t in tables if {"referral_id", "la_code"} <= set(t.columns)]
    if not pairs:
        return pd.Series(dtype=object)
    both = pd.concat(pairs).dropna().drop_duplicates("referral_id")
    return both.set_index("referral_id")["la_code"]
