"""The regional match's optimum by enumeration, for tiny regions: every way of giving each child a setting or
none, kept when the independent verifier accepts it, costed term by term from the raw rows and the parameter docs
(no code of the matcher's)."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pandas as pd

from optimiser.match.params import MatchParams
from optimiser.match.verify import great_circle_km, verify_allocation

RUN_DATE = date(2026, 11, 22)
GRADE_COST = {"outstanding": 0.0, "good": 0.0, "requires_improvement": 500.0, "not_inspected": 250.0}
SUITABILITY_OF = {"foster_inhouse": "foster_suitability", "foster_ifa": "foster_suitability",
                  "childrens_home": "residential_suitability", "secure_childrens_home": "residential_suitability",
                  "supported_accommodation": "supported_suitability"}


def placement_cost(referral: pd.Series, setting: pd.Series, params: MatchParams,
                   centre: tuple[float, float] | None = None) -> float:
    """The objective's cost of one child in one setting, written out term by term from the parameter docs;
    distance from the family home, or from `centre` (their council's) when the referral gives none."""
    origin = (referral["family_lat"], referral["family_lon"])
    if pd.isna(origin[0]) or pd.isna(origin[1]):
        assert centre is not None, f"{referral.name}: no family location and no council centre"
        origin = centre
    km = great_circle_km(origin[0], origin[1], setting["lat"], setting["lon"])
    far = params.over_20_miles_cost if km > 20 * 1.609344 else 0.0
    weight = params.close_to_family_multiplier if referral["close_to_family"] else 1
    distance = (params.cost_per_km * km + far) * weight
    fee = 0.0 if setting["block_contract"] else setting["weekly_fee"]
    fit = 0.0 if referral[SUITABILITY_OF[setting["setting_type"]]] == "preferred" else params.not_preferred_cost
    return fee + distance + fit + GRADE_COST[setting["ofsted_grade"]] + search_cost(referral, setting, params)


def search_cost(referral: pd.Series, setting: pd.Series, params: MatchParams) -> float:
    """The fuller referral's cost terms, from the match.toml comments: per risk a home states nothing about; a pet
    that cannot come; a language, religion or culture the home does not list; education not within reach."""
    def missing(wanted, offered) -> bool:
        wanted = str(wanted or "").strip().lower()
        return bool(wanted) and wanted not in {str(o).strip().lower() for o in (offered or ())}

    cost = 0.0 if setting["risks_managed"] else params.risk_unstated_cost * len(referral["risks"] or ())
    cost += params.pet_cost * (referral["pets"] == "bringing_a_pet" and not setting["pets_accepted"])
    cost += params.language_cost * missing(referral["language"], setting["languages"])
    cost += params.culture_cost * (missing(referral["religion"], setting["religions"])
                                   + missing(referral["culture"], setting["cultures"]))
    need = referral["education_provision"]
    cost += params.education_cost * (need in ("mainstream", "special_school", "alternative_provision")
                                     and need not in (setting["education_provision"] or ()))
    return cost


def allocation_frame(ids: list[str], choice) -> pd.DataFrame:
    """One row per referral: the setting chosen for it, or None for unmatched."""
    return pd.DataFrame({"referral_id": ids, "setting_id": list(choice),
                         "status": ["unmatched" if c is None else "matched" for c in choice]})


def siblings_can_share(region, params: MatchParams) -> bool:
    """Whether some setting could take the whole sibling group at once (then the verifier refuses a split). Tiny
    regions have at most one sibling group, as random_instance makes them."""
    groups = set(region.referrals["sibling_group"]) - {""}
    assert len(groups) <= 1, f"one sibling group at most, not {sorted(groups)}"
    ids = region.referrals["referral_id"].tolist()
    group = set(region.referrals.loc[region.referrals["sibling_group"].ne(""), "referral_id"])
    if not group:
        return True
    return any(verify_allocation(region, allocation_frame(ids, [s if rid in group else None for rid in ids]),
                                 params).empty for s in region.settings["setting_id"])


def allocation_cost(region, allocations: pd.DataFrame, params: MatchParams, run_date: date = RUN_DATE,
                    together_possible: bool | None = None) -> float:
    """The objective of an allocation (referral_id, setting_id, status), from the region's raw rows: an unmatched
    child costs the penalty plus their priority (emergency, days waited since needed_by); a placed child their
    placement cost, plus sibling_split_cost when their group could not have shared one setting."""
    if together_possible is None:
        together_possible = siblings_can_share(region, params)
    settings = region.settings.set_index("setting_id")
    by_id = region.referrals.set_index("referral_id")
    centres = {row.la_code: (row.lat, row.lon) for row in region.authorities.itertuples()}
    group = set(region.referrals.loc[region.referrals["sibling_group"].ne(""), "referral_id"])
    cost = 0.0
    for row in allocations.to_dict("records"):
        r = by_id.loc[row["referral_id"]]
        if row["status"] != "matched":
            waited = max(0, (pd.Timestamp(run_date) - r["needed_by"]).days)
            cost += (params.unmatched_penalty + params.emergency_priority * bool(r["emergency"])
                     + params.waiting_priority_per_day * waited)
        else:
            apart = row["referral_id"] in group and not together_possible
            cost += (placement_cost(r, settings.loc[row["setting_id"]], params, centres.get(r["la_code"]))
                     + apart * params.sibling_split_cost)
    return cost


def brute_force_optimum(region, params: MatchParams, run_date: date = RUN_DATE) -> tuple[float, int]:
    """Try every way of giving each child a setting or none; keep the cheapest the verifier accepts: (its cost,
    how many allocations the verifier accepted).

    Siblings who could all live in one setting must (the verifier refuses anything else); siblings who could
    not may be placed apart, each placed child costing sibling_split_cost more.
    """
    ids = region.referrals["referral_id"].tolist()
    together_possible = siblings_can_share(region, params)
    best, feasible = np.inf, 0
    for choice in itertools.product([None, *region.settings["setting_id"]], repeat=len(ids)):
        allocation = allocation_frame(ids, choice)
        if not verify_allocation(region, allocation, params).empty:
            continue
        feasible += 1
        best = min(best, allocation_cost(region, allocation, params, run_date, together_possible))
    return best, feasible
