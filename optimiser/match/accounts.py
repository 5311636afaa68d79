"""Each council's account of a match: what its own children got in the regional plan against what the council would
have got searching alone (today's practice, optimiser/match/baseline.py), on the same referrals and supply.

A co-operative lasts only if each member can show that joining pays, and the region's total can hide a member who
loses (its nearest home given to a neighbour's child, its in-house beds used by others). The account makes that
visible: per council, its children's weekly cost, mean distance, fit, children unmatched, in-house beds given to
and taken from other councils, and its share of the model's objective (`council_objectives`), the measure the
no-worse rule in optimiser/match/fairness.py holds each council to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.region import Region
from optimiser.match.allocation import weekly_spend
from optimiser.match.candidates import Candidates
from optimiser.match.params import MatchParams

APPROACHES = {"regional": "the regional plan", "alone": "the council searching alone (today's practice)"}
# per approach, in the order of council_accounts.csv
MEASURES = ("children_matched", "children_unmatched", "weekly_cost", "mean_distance_km", "mean_fit_cost",
            "in_house_given", "in_house_taken", "objective")
ACCOUNT_COLUMNS = ["la_code", "la_name", "referrals",
                   *(f"{approach}_{measure}" for approach in APPROACHES for measure in MEASURES),
                   "gain", "weekly_cost_saving", "reserved_share", "reservation_cost"]


def in_house_council(region: Region) -> pd.Series:
    """The council whose own in-house place each setting is (a council-run setting in that council's area), NaN
    for every other setting. One definition for the accounts, the baseline's order of search and reservations."""
    sector = region.settings["provider_id"].map(region.providers.set_index("provider_id")["sector"])
    own = sector.eq("local_authority")
    return pd.Series(region.settings["la_code"].where(own).to_numpy(), index=region.settings["setting_id"],
                     name="in_house_of")


def referral_objectives(allocations: pd.DataFrame, candidates: Candidates, params: MatchParams) -> pd.Series:
    """Each referral's part of the model's objective (optimiser/match/solvers.py), by referral_id: a placed child
    their pair cost, an unmatched child their unmatched penalty (with emergency and waiting priority). A sibling
    the allocation split although one home could take the group (today's practice does; the regional model never
    does) also costs sibling_split_cost, as a split the model allows does, so both approaches are costed alike."""
    penalty = candidates.referrals.set_index("referral_id")["penalty"]
    matched = allocations["status"].eq("matched")
    split_unpriced = (allocations["sibling_split"].astype(bool)
                      & allocations["split_cost"].astype(float).fillna(0).eq(0))
    placed = allocations["total_cost"].astype(float).fillna(0) + params.sibling_split_cost * split_unpriced
    value = np.where(matched, placed, allocations["referral_id"].map(penalty))
    return pd.Series(value, index=allocations["referral_id"].to_numpy(), name="objective", dtype=float)


def council_objectives(allocations: pd.DataFrame, candidates: Candidates, params: MatchParams) -> pd.Series:
    """Each council's part of the objective: its children's pair costs plus its unmatched children's penalties.
    The councils' parts add up to the region's objective."""
    values = referral_objectives(allocations, candidates, params)
    return values.groupby(allocations["la_code"].to_numpy()).sum()


def _measures(region: Region, allocations: pd.DataFrame, candidates: Candidates, params: MatchParams,
              councils: pd.Index) -> pd.DataFrame:
    owner = allocations["setting_id"].map(in_house_council(region))
    matched = allocations["status"].eq("matched")
    # a bed is given when another council's child takes this council's in-house place
    crossing = matched & owner.notna() & owner.ne(allocations["la_code"])
    by = allocations.groupby("la_code")
    out = pd.DataFrame(index=councils)
    out["children_matched"] = by["status"].apply(lambda s: int(s.eq("matched").sum()))
    out["children_unmatched"] = by["status"].apply(lambda s: int(s.eq("unmatched").sum()))
    out["weekly_cost"] = by.apply(weekly_spend, include_groups=False)
    placed = allocations[matched].groupby("la_code")
    out["mean_distance_km"] = placed["distance_km"].mean()
    out["mean_fit_cost"] = placed["fit_cost"].mean()
    out["in_house_given"] = owner[crossing].value_counts()
    out["in_house_taken"] = allocations.loc[crossing, "la_code"].value_counts()
    out["objective"] = council_objectives(allocations, candidates, params)
    counts = ["children_matched", "children_unmatched", "in_house_given", "in_house_taken"]
    out[counts] = out[counts].fillna(0).astype(int)
    out[["weekly_cost", "objective"]] = out[["weekly_cost", "objective"]].fillna(0.0)
    return out


def council_accounts(region: Region, candidates: Candidates, regional: pd.DataFrame, alone: pd.DataFrame,
                     params: MatchParams, reservation_costs: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per council of the region: each measure under the regional plan and searching alone, the gain
    (alone's objective less the regional one: positive means the council is better off in the co-operative), the
    weekly cost saving, and the share of its in-house places it reserves with what that costs the region (the
    objective with every reservation less with all but its own: reservations.py). `regional` and `alone` are
    allocation tables of the same referrals."""
    from optimiser.match.reservations import reserved_shares

    names = region.authorities.set_index("la_code")["la_name"]
    councils = pd.Index(sorted(set(names.index) | set(regional["la_code"])), name="la_code")
    out = pd.DataFrame({"la_name": names.reindex(councils).fillna(""),
                        "referrals": regional.groupby("la_code").size().reindex(councils).fillna(0).astype(int)})
    for approach, allocations in (("regional", regional), ("alone", alone)):
        measures = _measures(region, allocations, candidates, params, councils)
        out = out.join(measures.add_prefix(f"{approach}_"))
    out["gain"] = out["alone_objective"] - out["regional_objective"]
    out["weekly_cost_saving"] = out["alone_weekly_cost"] - out["regional_weekly_cost"]
    out["reserved_share"] = reserved_shares(region).reindex(councils).fillna(0.0)
    out["reservation_cost"] = pd.Series(reservation_costs or {}, dtype=float).reindex(councils).fillna(0.0)
    return out.reset_index()[ACCOUNT_COLUMNS]


def accounts_summary(accounts: pd.DataFrame) -> dict:
    """The accounts in the run record: per council its gain and weekly saving, and who is worse off than alone."""
    worse = accounts[accounts["gain"] < -1e-6]
    return {"gain_by_council": {r.la_code: round(float(r.gain), 2) for r in accounts.itertuples()},
            "weekly_cost_saving_by_council": {r.la_code: round(float(r.weekly_cost_saving), 2)
                                              for r in accounts.itertuples()},
            "councils_worse_off": worse["la_code"].tolist()}
