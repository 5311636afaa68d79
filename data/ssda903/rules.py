"""The DfE's SSDA903 validation rules that matter for forecasting and matching, checked return by return, each
finding reported with the DfE's rule code and wording (the wording of Data to Insight's rule list for 2024/25,
`903_2024_25_rule_info.csv`, and for the 2026/27 deprivation-of-liberty rules 700-710 the DfE's wording and
suggested coding as Data to Insight's csc-validator-be-903 transcribes them).

Each rule is one function of a return's tables (typed by the schema, each record with its `_file` and `_row`) and
its collection year, returning the records that break it. The severity says what the finding means for rcc:

- error: the record cannot be used as it is (a date or code that cannot be read, an episode ending before it
  starts, a date of birth after the return's year or after the first episode): the forecast leaves the child out
  (forecasts/sound.py);
- warning: the DfE would query or reject it, but rcc can read the record and its forecast resolves it the way the
  DfE's tools do (an overlap ended at the next start, a reason episode ceased without an end date);
- flag: a lawful record describing something a commissioner must act on (a child on a DoL order placed where the
  DfE says such a child cannot be).

Where the schema has already reported a cell as unreadable (a date, a code), the DfE's finding takes the place of
that line (`prefer_rules`), so each problem is said once, with its DfE code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.problems import Problems
from data.vocabulary import DOL_RULE_710_PLACES

# Placement types valid in each collection year (the DfE's SSDA903 guide; rcc's vocabulary): H5 and P2 until
# 2024/25, K3 and Z11-Z14 in place of H5, P2 and Z1 from 2025/26 (rcc's K3_FROM, 1 April 2025).
PLACE_UNTIL_2025 = ("A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1", "T0",
                    "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1")
PLACE_FROM_2026 = tuple(p for p in PLACE_UNTIL_2025 if p not in ("H5", "P2", "Z1")) + ("K3", "Z11", "Z12", "Z13", "Z14")
RNE_CODES = ("S", "P", "L", "T", "U", "B")
LS_CODES = ("C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4")
REC_CODES = ("E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E4A", "E4B", "E41", "E45", "E46", "E47",
             "E48", "E5", "E6", "E7", "E8", "E9", "X1")
PROVIDER_CODES = ("PR0", "PR1", "PR2", "PR3", "PR4", "PR5")
DOL_EXPECTED_PLACES = ("K2", "Z12", "Z13")  # rule 709


def place_codes(year: int) -> tuple[str, ...]:
    """The placement types of the collection year ending 31 March `year`."""
    return PLACE_FROM_2026 if year >= 2026 else PLACE_UNTIL_2025


@dataclass(frozen=True)
class Rule:
    code: str
    message: str  # the DfE's wording
    table: str  # the table whose records are reported
    column: str  # the cell each finding points at
    severity: str
    check: Callable  # (tables, year) -> boolean mask over tables[table]
    first_year: int = 0  # the first collection year (ending 31 March) the rule applies to


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].astype("string").fillna("").str.strip() if column in frame.columns else \
        pd.Series("", index=frame.index, dtype="string")


def _raw_given(frame: pd.DataFrame, column: str) -> pd.Series:
    """Whether the council wrote something in the cell (the text it had before the schema read it)."""
    raw = f"_raw_{column}"
    return _text(frame, raw).ne("") if raw in frame.columns else frame[column].notna()


def _invalid_date(table: str, column: str, blank_ok: bool):
    def check(t, year):
        frame = t[table]
        given = _raw_given(frame, column)
        return (given & frame[column].isna()) | (~given & (not blank_ok))
    return check


def _invalid_code(table: str, column: str, codes, blank_ok: bool = False):
    def check(t, year):
        allowed = codes(year) if callable(codes) else codes
        text = _raw_text(t[table], column)
        return ~(text.str.upper().isin(allowed) | (text.eq("") & blank_ok))
    return check


def _raw_text(frame: pd.DataFrame, column: str) -> pd.Series:
    raw = f"_raw_{column}"
    return _text(frame, raw) if raw in frame.columns else _text(frame, column)


def _year_end(year: int) -> pd.Timestamp:
    return pd.Timestamp(year, 3, 31)


def _year_start(year: int) -> pd.Timestamp:
    return pd.Timestamp(year - 1, 4, 1)


def _dob(t) -> pd.Series:
    """Each episode's child's date of birth from the return's header."""
    header = t["header"].drop_duplicates("CHILD", keep="first").set_index("CHILD")["DOB"]
    return t["episodes"]["CHILD"].map(header)


def _r148(t, year):
    e = t["episodes"]
    dec, rec = _raw_given(e, "DEC"), _raw_text(e, "REC").ne("")
    return dec ^ rec


def _ordered(e: pd.DataFrame) -> pd.DataFrame:
    return e[e["DECOM"].notna()].sort_values(["CHILD", "DECOM"], kind="stable")


def _r142(t, year):
    e = t["episodes"]
    o = _ordered(e)
    not_last = o["CHILD"].eq(o["CHILD"].shift(-1))
    bad = not_last & (~_raw_given(o, "DEC") | _raw_text(o, "REC").eq(""))
    return e.index.isin(o.index[bad])


def _r501(t, year):
    e = t["episodes"]
    o = _ordered(e)
    same = o["CHILD"].eq(o["CHILD"].shift(1))
    bad = same & (o["DECOM"] < o["DEC"].shift(1)).fillna(False)
    return e.index.isin(o.index[bad])


def _r302(t, year):
    e = t["episodes"]
    o = _ordered(e)
    first = ~o["CHILD"].eq(o["CHILD"].shift(1))
    dob = _dob(t).loc[o.index]
    bad = first & (o["DECOM"] < dob).fillna(False)
    return e.index.isin(o.index[bad])


def _r352(t, year):
    e = t["episodes"]
    dob = _dob(t)
    eighteenth = pd.to_datetime({"year": dob.dt.year + 18, "month": dob.dt.month,
                                 "day": np.where((dob.dt.month == 2) & (dob.dt.day == 29), 28, dob.dt.day)},
                                errors="coerce")
    return (_raw_text(e, "RNE").str.upper().eq("S") & (e["DECOM"] >= eighteenth)).fillna(False)


def _dolo_overlaps(t, forbidden: bool):
    """Rules 709 and 710: DoL orders with a start and an end, and the child's episodes overlapping them (an episode
    starting on or before the order's end and ending on or after its start, an open episode running on)."""
    d, e = t["dol_orders"], t.get("episodes")
    if e is None or d.empty:
        return pd.Series(False, index=d.index)
    orders = d[d["DOLO_START"].notna() & d["DOLO_END"].notna()].reset_index()
    pairs = orders.merge(e[["CHILD", "DECOM", "DEC", "PLACE"]], on="CHILD", how="inner")
    overlap = (pairs["DECOM"] <= pairs["DOLO_END"]) & ((pairs["DEC"] >= pairs["DOLO_START"]) | pairs["DEC"].isna())
    place = _text(pairs, "PLACE").str.upper()
    wrong = place.isin(DOL_RULE_710_PLACES) if forbidden else ~place.isin(DOL_EXPECTED_PLACES)
    return pd.Series(d.index.isin(pairs.loc[overlap & wrong, "index"]), index=d.index)


def _r705(t, year):
    d = t["dol_orders"]
    o = d[d["DOLO_START"].notna()].sort_values(["CHILD", "DOLO_START"], kind="stable")
    same = o["CHILD"].eq(o["CHILD"].shift(1))
    bad = same & (o["DOLO_END"].shift(1).isna() | (o["DOLO_START"] < o["DOLO_END"].shift(1))).fillna(False)
    return d.index.isin(o.index[bad])


RULES = (
    Rule("101", "Gender code is not valid.", "header", "SEX", "warning",
         _invalid_code("header", "SEX", ("1", "2"))),
    Rule("102", "Date of birth is not a valid date.", "header", "DOB", "error",
         _invalid_date("header", "DOB", blank_ok=False)),
    Rule("301", "Date of birth falls after the year ended.", "header", "DOB", "error",
         lambda t, y: (t["header"]["DOB"] > _year_end(y)).fillna(False)),
    Rule("141", "Date episode began is not a valid date.", "episodes", "DECOM", "error",
         _invalid_date("episodes", "DECOM", blank_ok=False)),
    Rule("147", "Date episode ceased is not a valid date.", "episodes", "DEC", "error",
         _invalid_date("episodes", "DEC", blank_ok=True)),
    Rule("143", "The reason for new episode code is not a valid code.", "episodes", "RNE", "error",
         _invalid_code("episodes", "RNE", RNE_CODES)),
    Rule("144", "The legal status code is not a valid code.", "episodes", "LS", "error",
         _invalid_code("episodes", "LS", LS_CODES)),
    Rule("146", "Placement type code is not a valid code.", "episodes", "PLACE", "error",
         _invalid_code("episodes", "PLACE", place_codes)),
    Rule("149", "Reason episode ceased code is not valid.", "episodes", "REC", "error",
         _invalid_code("episodes", "REC", REC_CODES, blank_ok=True)),
    Rule("178", "Placement provider code is not a valid code.", "episodes", "PLACE_PROVIDER", "error",
         _invalid_code("episodes", "PLACE_PROVIDER", PROVIDER_CODES, blank_ok=True)),
    Rule("148", "Date episode ceased and reason episode ceased must both be coded, or both left blank.", "episodes",
         "REC", "warning", _r148),
    Rule("142", "A new episode has started, but the previous episode has not ended.", "episodes", "DEC", "warning",
         _r142),
    Rule("501", "A new episode has started before the end date of the previous episode.", "episodes", "DECOM",
         "warning", _r501),
    Rule("302", "First episode starts before child was born.", "episodes", "DECOM", "error", _r302),
    Rule("352", "Child who started to be looked after was aged 18 or over.", "episodes", "DECOM", "warning", _r352),
    Rule("356", "The date the episode ceased is before the date the same episode started.", "episodes", "DEC",
         "error", lambda t, y: (t["episodes"]["DEC"] < t["episodes"]["DECOM"]).fillna(False)),
    Rule("385", "Date episode ceased must be on or before the end of the current collection year.", "episodes",
         "DEC", "warning", lambda t, y: (t["episodes"]["DEC"] > _year_end(y)).fillna(False)),
    # The 2026/27 deprivation-of-liberty orders (DoLo.csv); read in any year's return that has the table.
    Rule("700", "The start date of the DoLO is not a valid date.", "dol_orders", "DOLO_START", "error",
         _invalid_date("dol_orders", "DOLO_START", blank_ok=False)),
    Rule("701", "The end date of the DoLO is not a valid date.", "dol_orders", "DOLO_END", "error",
         _invalid_date("dol_orders", "DOLO_END", blank_ok=True)),
    Rule("702", "The date that the DoLO ended is before the date that it started.", "dol_orders", "DOLO_END",
         "error", lambda t, y: (t["dol_orders"]["DOLO_END"] <= t["dol_orders"]["DOLO_START"]).fillna(False)),
    Rule("703", "The date that the DoLO started is after the end of the collection year.", "dol_orders",
         "DOLO_START", "warning", lambda t, y: (t["dol_orders"]["DOLO_START"] > _year_end(y)).fillna(False)),
    Rule("704", "The date that the DoLO ended is before the start or after the end of the collection year.",
         "dol_orders", "DOLO_END", "warning",
         lambda t, y: ((t["dol_orders"]["DOLO_END"] < _year_start(y))
                       | (t["dol_orders"]["DOLO_END"] > _year_end(y))).fillna(False)),
    Rule("705", "A DoLO cannot start when the previous DoLO is still open.", "dol_orders", "DOLO_START", "warning",
         _r705),
    Rule("708", "Dates of DoLOs are before child's date of birth.", "dol_orders", "DOLO_START", "error",
         lambda t, y: (t["dol_orders"]["DOLO_START"] <= t["dol_orders"]["DOB"]).fillna(False)),
    Rule("709", "Child with a DoLO is in an unexpected placement type.", "dol_orders", "DOLO_START", "warning",
         lambda t, y: _dolo_overlaps(t, forbidden=False)),
    Rule("710", "Child with a DoLO can not be placed in secure children's homes, with parents, young offender "
         "institutions, or supported accommodation.", "dol_orders", "DOLO_START", "flag",
         lambda t, y: _dolo_overlaps(t, forbidden=True)),
)
CODES = tuple(r.code for r in RULES)


def check_return(tables: dict[str, pd.DataFrame], year: int, problems: Problems) -> None:
    """Every rule on one return (its tables and the collection year ending 31 March `year`), each finding on the
    record's own file and row, as 'DfE rule CODE: wording'."""
    for rule in RULES:
        frame = tables.get(rule.table)
        if frame is None or frame.empty or year < rule.first_year:
            continue
        needs = {"episodes": ("header",), "header": (), "dol_orders": ()}.get(rule.table, ())
        if any(n not in tables for n in needs):
            continue
        mask = np.asarray(rule.check(tables, year), dtype=bool)
        if not mask.any():
            continue
        hit = frame[mask]
        shown = hit[f"_raw_{rule.column}"] if f"_raw_{rule.column}" in hit.columns else hit[rule.column]
        for file, rows in hit.groupby("_file", sort=False):
            problems.add_rows(file, rows["_row"].astype(int).tolist(), rule.column, shown.loc[rows.index].tolist(),
                              f"DfE rule {rule.code}: {rule.message}", rule.severity)


def prefer_rules(issues: pd.DataFrame) -> pd.DataFrame:
    """One line per problem: where a DfE rule's finding and one of rcc's own lines point at the same cell (file,
    row, column), rcc's is dropped and the DfE's kept, at the graver of the two severities."""
    if issues.empty:
        return issues
    dfe = issues["rule"].str.startswith("DfE rule ")
    at = issues["file"].astype(str) + "|" + issues["row"].astype("string").fillna("") + "|" + issues["column"]
    rank = {"error": 0, "flag": 1, "warning": 2}
    graver = issues.assign(_rank=issues["severity"].map(rank), _at=at).groupby("_at")["_rank"].min()
    ruled = set(at[dfe & issues["row"].notna()])
    keep = dfe | ~at.isin(ruled)
    out = issues[keep].copy()
    inverse = {v: k for k, v in rank.items()}
    out.loc[dfe[keep], "severity"] = at[keep][dfe[keep]].map(graver).map(inverse)
    return out.reset_index(drop=True)
