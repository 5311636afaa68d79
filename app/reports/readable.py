"""Tables as a person reads them: plain-English headings from the one label vocabulary (data.vocabulary.COLUMN_LABELS),
councils, types of home and codes in words, money as £ with thousands separators, nothing shown as None or nan.
The dashboard and the board packs both read tables through here; downloads of the data keep the codes, because
they join to other data."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from data.vocabulary import (
    ACTION_KIND_LABELS,
    CODE_WORDS,
    COLUMN_LABELS,
    DEMAND_GROUP_LABELS,
    HOME_KIND_LABELS,
    SECTOR_LABELS,
    SETTING_TYPE_LABELS,
    YES_NO,
)

REGION_CODES = ("region", "REGION")  # the whole-region rows of the run's tables (access.REGION_ROW, REGION_AREA)
WHOLE_REGION = "Whole region"
BLANK = ""  # a value not known or not applicable reads as an empty cell


def _reason_labels() -> dict[str, str]:
    from optimiser.match.allocation import REASON_SUMMARY

    return dict(REASON_SUMMARY)


CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\buasc\b")  # a snake_case code inside a sentence
COUNCIL_CODE = re.compile(r"\b(E[01]\d{7})\b(?::(\w+))?")  # an ONS council code, and a ":kind" after it (a market)


def council_name(code, names: Mapping[str, str]) -> str:
    """A council's name for its code (the region's, else England's register); the region's own rows as "Whole
    region"; an empty cell when none."""
    if is_blank(code):
        return BLANK
    code = str(code)
    if code in REGION_CODES:
        return WHOLE_REGION
    return names.get(code) or _register_name(code)


def _register_name(code: str) -> str:
    from data.authorities import register

    try:
        return register().name(code) or code
    except (KeyError, ValueError):
        return code


def in_words(text, names: Mapping[str, str], group_labels: Mapping[str, str] | None = None) -> str:
    """Free text (a flag's evidence, say) with every council code in it named, and a market's "code:kind" as
    "council, kind of home"."""
    if is_blank(text):
        return BLANK
    groups = group_labels or {**DEMAND_GROUP_LABELS, **HOME_KIND_LABELS}

    def named(match: re.Match) -> str:
        council = council_name(match.group(1), names)
        return f"{council}, {groups.get(match.group(2), match.group(2))}" if match.group(2) else council
    text = COUNCIL_CODE.sub(named, str(text))
    return CODE.sub(lambda m: CODE_WORDS.get(m.group(0), m.group(0)), text)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT \
        or (isinstance(value, str) and value.strip().lower() in ("", "none", "nan", "nat"))


def money(value) -> str:
    return BLANK if is_blank(value) else f"{'-' if float(value) < 0 else ''}£{abs(float(value)):,.0f}"


def money_short(value) -> str:
    """A headline figure: millions as £7.29m or £174.4m (three figures are what a board reads), less in full."""
    if is_blank(value) or abs(float(value)) < 1e6:
        return money(value)
    millions = abs(float(value)) / 1e6
    return f"{'-' if float(value) < 0 else ''}£{millions:,.{2 if millions < 10 else 1}f}m"


def _formatter(kind: str, names: Mapping[str, str], group_labels: Mapping[str, str]):
    vocabularies = {"setting_type": SETTING_TYPE_LABELS, "group": group_labels, "action_kind": ACTION_KIND_LABELS,
                    "sector": SECTOR_LABELS, "yes_no": YES_NO}
    if kind == "council":
        return lambda v: council_name(v, names)
    if kind == "reason":
        labels = _reason_labels()
        return lambda v: BLANK if is_blank(v) else labels.get(str(v), str(v).replace("_", " "))
    if kind in vocabularies:
        labels = vocabularies[kind]
        return lambda v: BLANK if is_blank(v) else labels.get(v, labels.get(str(v), str(v).replace("_", " ")))
    if kind == "money":
        return money
    if kind == "km":
        return lambda v: BLANK if is_blank(v) else f"{float(v):,.1f} km"
    if kind == "share":
        return lambda v: BLANK if is_blank(v) else f"{float(v):.0%}"
    if kind == "count":
        return lambda v: BLANK if is_blank(v) else f"{float(v):,.0f}"
    if kind == "number":
        return lambda v: BLANK if is_blank(v) else f"{float(v):,.1f}"
    if kind == "month":
        return lambda v: BLANK if is_blank(v) else f"{pd.Timestamp(str(v)):%b %Y}"
    return lambda v: in_words(v, names, group_labels)


def readable(frame: pd.DataFrame, names: Mapping[str, str], columns: Sequence[str] | None = None,
             labels: Mapping[str, tuple[str, str]] | None = None,
             group_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """`frame`'s columns (all, or those named, in that order) as text a person reads: each heading and each
    value through the label vocabulary (`labels` adds to or overrides it for one table; a column it does not know
    keeps its name with underscores as spaces). Groups read as kinds of home unless `group_labels` says otherwise."""
    vocabulary = {**COLUMN_LABELS, **(labels or {})}
    groups = group_labels or {**DEMAND_GROUP_LABELS, **HOME_KIND_LABELS}
    out = {}
    for column in (columns if columns is not None else list(frame.columns)):
        if column not in frame.columns:
            continue
        heading, kind = vocabulary.get(column, (column.replace("_", " "), _guess(frame[column])))
        out[heading] = frame[column].map(_formatter(kind, names, groups)).astype(str)
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _guess(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "yes_no"
    if pd.api.types.is_integer_dtype(values):
        return "count"
    if pd.api.types.is_float_dtype(values):
        return "number"
    return "text"
