"""The regional match: every referral in the region to at most one setting, as one region, and why not.

Candidates (candidates.py) hold the eligible pairs and their costs; a backend (solvers.py, where the model is
written out) chooses the pairs; this module turns the choice into the allocation table, one row per referral,
with each cost term for audit and a plain-English reason for every child left unmatched.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data.region import Region
from data.vocabulary import DOL_CONDITIONS
from optimiser.match import search
from optimiser.match.candidates import COST_TERMS, RULE_TEXT, RULES, Candidates, build_candidates, member_cost_terms
from optimiser.match.params import MatchParams
from optimiser.match.solvers import solve

ALLOCATION_COLUMNS = [
    "referral_id", "child_id", "la_code", "setting_id", "provider_id", "setting_type", "distance_km",
    "weekly_fee", "status", "reason",
    # audit columns beyond DATA.md: the cost terms the model weighed, and where distance was measured from
    "reason_code", "sibling_group", "sibling_split", "setting_la_code", *COST_TERMS, "total_cost", "distance_from",
    "cost_reasons",  # why the fuller referral's cost terms were added (optimiser/match/search.py)
]
REASON_SUMMARY = {code: summary for code, _, summary in RULES} | {
    "capacity": "places taken by other children (shortage)",
    "held_back": "places held back for emergencies forecast before the next run"}
SHORTAGE_REGIONAL = ("the regional optimum gave their places to other children: the region is short of places "
                     "of this kind")


@dataclass(frozen=True)
class MatchResult:
    status: str  # optimal | feasible (time limit hit: best answer found, see gap) | failed
    objective: float
    bound: float
    gap: float
    solver: str
    timings: dict[str, float]
    allocations: pd.DataFrame
    candidates: Candidates
    message: str = ""

    @property
    def pairs(self) -> int:
        return len(self.candidates.pairs)

    @property
    def units(self) -> int:
        return len(self.candidates.units)


def match_region(region: Region, params: MatchParams | None = None, run_date: date | None = None,
                 solve_with: Callable | None = None) -> MatchResult:
    """Match the region's referrals; `run_date` (default today) sets how long each referral has waited.
    `solve_with(candidates, params)` replaces the backend (the fairness rule's model: optimiser/match/fairness.py)."""
    params = params or MatchParams()
    started = time.perf_counter()
    candidates = build_candidates(region, params, run_date=run_date)
    built = time.perf_counter()
    chosen, report = (solve_with or solve)(candidates, params)
    solved = time.perf_counter()
    allocations = allocation_table(region, candidates, assignment_from_units(candidates, chosen))
    timings = {"candidates_s": built - started, "solve_s": solved - built,
               "total_s": time.perf_counter() - started}
    return MatchResult(allocations=allocations, timings=timings, candidates=candidates,
                       **dataclasses.asdict(report))


def split_siblings(allocations: pd.DataFrame) -> pd.Series:
    """True for each matched child whose sibling group is not all in one setting (placed apart, or left behind)."""
    grouped = allocations["sibling_group"].ne("")
    where = allocations["setting_id"].where(allocations["status"].eq("matched"), "-").fillna("-")
    places_used = where[grouped].groupby(allocations.loc[grouped, "sibling_group"]).transform("nunique")
    return (grouped & places_used.reindex(allocations.index).fillna(1).gt(1)
            & allocations["status"].eq("matched"))


def weekly_fees(allocations: pd.DataFrame) -> pd.Series:
    """Money paid each week for each placement at the provider's fee (block beds included; 0 when unmatched)."""
    matched = allocations["status"] == "matched"
    return allocations["weekly_fee"].fillna(allocations["fee_cost"]).where(matched, 0.0).astype(float)


def weekly_spend(allocations: pd.DataFrame) -> float:
    """Money paid each week for the matched placements at the providers' fees (block beds included)."""
    return float(weekly_fees(allocations).sum())


def assignment_from_units(candidates: Candidates, chosen: pd.Series) -> pd.Series:
    """Setting per referral (NaN when unmatched) from the chosen unit pairs: siblings share their unit's."""
    picked = candidates.pairs.loc[chosen.to_numpy(dtype=bool)].set_index("unit_id")["setting_id"]
    r = candidates.referrals
    return pd.Series(r["unit_id"].map(picked).to_numpy(), index=r["referral_id"], name="setting_id")


def allocation_table(region: Region, candidates: Candidates, assignment: pd.Series,
                     shortage: str = SHORTAGE_REGIONAL) -> pd.DataFrame:
    """One row per referral: where it goes (with the cost terms), or why it could not be matched."""
    r = candidates.referrals
    alloc = r[["referral_id", "child_id", "la_code", "sibling_group", "split_from", "unit_id", "distance_from"]].copy()
    alloc["setting_id"] = alloc["referral_id"].map(assignment).astype(object)
    alloc = alloc.merge(_chosen_member_pairs(region, candidates, alloc), on=["referral_id", "setting_id"],
                        how="left").rename(columns={"cost": "total_cost"})
    settings = region.settings.set_index("setting_id")
    alloc["provider_id"] = alloc["setting_id"].map(settings["provider_id"])
    alloc["setting_type"] = alloc["setting_id"].map(settings["setting_type"])
    alloc["setting_la_code"] = alloc["setting_id"].map(settings["la_code"])
    alloc["weekly_fee"] = alloc["setting_id"].map(settings["weekly_fee"])
    matched = alloc["setting_id"].notna()
    alloc["status"] = np.where(matched, "matched", "unmatched")
    codes, texts = unmatched_reasons(candidates, alloc.loc[~matched, "referral_id"], shortage)
    alloc["reason_code"] = alloc["referral_id"].map(codes).fillna("")
    alloc["reason"] = alloc["referral_id"].map(texts).fillna("")
    alloc["sibling_group"] = alloc["sibling_group"].fillna("")
    alloc["sibling_split"] = split_siblings(alloc)
    alloc.loc[~matched, "distance_from"] = ""
    alloc["cost_reasons"] = _cost_reasons(region, alloc)
    return alloc[ALLOCATION_COLUMNS].sort_values("referral_id").reset_index(drop=True)


def _chosen_member_pairs(region: Region, candidates: Candidates, alloc: pd.DataFrame) -> pd.DataFrame:
    """The member pairs `alloc` places its referrals in, with their cost terms: found by each pair's referral's
    row (a lookup in the short table), so the join never hashes every pair's two ids (millions nationally)."""
    member_pairs = candidates.member_pairs
    placed = alloc[alloc["setting_id"].notna()]
    row = pd.Index(placed["referral_id"]).get_indexer(member_pairs["referral_id"])
    hit = np.zeros(len(member_pairs), dtype=bool)
    if len(placed):  # nobody placed (a solver stopped with nothing): no pair is chosen
        wanted = placed["setting_id"].to_numpy(dtype=object)[np.maximum(row, 0)]
        hit = (row >= 0) & (member_pairs["setting_id"].to_numpy(dtype=object) == wanted)
    chosen = member_pairs.loc[hit]
    return pd.concat([chosen[["referral_id", "setting_id", "distance_km"]],
                      member_cost_terms(region, candidates, chosen), chosen[["cost"]]], axis=1)


def _cost_reasons(region: Region, alloc: pd.DataFrame) -> pd.Series:
    """search.cost_reasons for every matched child with a fuller-referral cost term; "" for the rest."""
    out = pd.Series("", index=alloc.index, dtype=object)
    terms = alloc[list(search.COST_TERMS)].astype(float).fillna(0.0)
    costly = alloc["setting_id"].notna() & terms.gt(0).any(axis=1)
    if not costly.any():
        return out
    referrals = region.referrals.drop_duplicates("referral_id").set_index("referral_id")
    settings = region.settings.drop_duplicates("setting_id").set_index("setting_id")
    for i in np.flatnonzero(costly.to_numpy()):
        row = alloc.iloc[i]
        out.iat[i] = search.cost_reasons(referrals.loc[row["referral_id"]], settings.loc[row["setting_id"]],
                                         terms.iloc[i].to_dict())
    return out


def unmatched_reasons(candidates: Candidates, referral_ids: pd.Series,
                      shortage: str = SHORTAGE_REGIONAL) -> tuple[dict[str, str], dict[str, str]]:
    """Why each unmatched referral could not be placed: the first rule that left it no setting, or competition."""
    survivors = candidates.survivors
    r = candidates.referrals.set_index("referral_id")
    unit_has_pairs = set(candidates.pairs["unit_id"])
    codes, texts = {}, {}
    for referral_id in referral_ids:
        row = survivors.loc[referral_id]
        size = int(r.at[referral_id, "unit_size"])
        # siblings who may be placed apart are judged as single children
        rules = [code for code, _, _ in RULES if not (r.at[referral_id, "split_from"] and code == "sibling_group")]
        blocking = next((code for code in rules if row[code] == 0), None)
        if blocking is not None:
            before = _count_before(row, blocking)
            codes[referral_id] = blocking
            texts[referral_id] = _no_setting_text(blocking, before, r.loc[referral_id], size,
                                                  candidates.unknown_vacancies)
        elif r.at[referral_id, "unit_id"] not in unit_has_pairs:
            codes[referral_id] = "sibling_group"
            texts[referral_id] = (f"no single setting can take all {size} siblings together: each sibling can go "
                                  "to some settings, but no setting suits every one of them")
        else:
            codes[referral_id] = "capacity"
            texts[referral_id] = f"{int(row.iloc[-1])} setting(s) could take this child, but {shortage}"
    return _explain_siblings_as_one(r, codes, texts)


def _explain_siblings_as_one(r: pd.DataFrame, codes: dict, texts: dict) -> tuple[dict, dict]:
    """Siblings are placed together or not at all, so they share one reason: the sibling most restricted."""
    rank = {code: i for i, (code, _, _) in enumerate(RULES)} | {"capacity": len(RULES)}
    unmatched = r.loc[list(codes)]
    for group, members in unmatched[unmatched["unit_size"] > 1].groupby("sibling_group"):
        worst = min(members.index, key=lambda referral_id: rank[codes[referral_id]])
        text = f"sibling group {group} ({len(members)} children) cannot be placed together: {worst}: {texts[worst]}"
        for referral_id in members.index:
            codes[referral_id], texts[referral_id] = codes[worst], text
    return codes, texts


def _count_before(row: pd.Series, code: str) -> int:
    order = [c for c, _, _ in RULES]
    position = order.index(code)
    return int(row[order[position - 1]]) if position else 0


def _no_setting_text(code: str, before: int, referral: pd.Series, size: int, unknown_vacancies: int = 0) -> str:
    unknown = (f" ({unknown_vacancies} settings' vacancies are not known: fill them in settings.csv)"
               if unknown_vacancies else "")
    detail = {
        "age_range": f" (age {referral['age']})",
        "needs": f" ({', '.join(referral['needs'])})" if referral["needs"] else "",
        "ratio": f" ({referral['ratio']})",
        "distance": (f" ({referral['max_distance_km']:g} km)" if pd.notna(referral["max_distance_km"]) else ""),
        "sibling_group": f" ({size} children)",
        "alongside": f" ({referral['cared_alongside'].replace('_', ' ')}, age {referral['age']})",
        "avoid": f" ({referral['avoid_radius_km']:g} km)" if pd.notna(referral["avoid_radius_km"]) else "",
        "lock": f" ({referral['locked_to']})",
        "secure": (" (the child has a secure accommodation order)" if referral["secure_order"]
                   else " (the child has no secure accommodation order)"),
        "dol": (f" (conditions: {'; '.join(DOL_CONDITIONS[c] for c in referral['dol_conditions'])})"
                if referral["dol_conditions"] else ""),
    }.get(code, "")
    lead = f"no setting with a vacancy {RULE_TEXT[code]}{detail}"
    if code == "available":
        return lead + ": the region has no vacancies in registered settings" + unknown
    if code == "lock":
        return (f"the council locked this child to {referral['locked_to']}, which has no vacancy or is not "
                "registered and active")
    if referral["locked_to"]:
        return f"the council locked this child to {referral['locked_to']}, but that setting fails a rule: {lead}"
    return lead + f": {before} setting(s) passed the earlier rules, none passed this one"
