"""Look-ahead: the month's match holds places back for the emergencies a forecast expects before the next run.

Children who come into care between two monthly runs cannot wait for the next match: to the match they are all
emergencies, placed by whoever is on duty in whatever is free. Without a look-ahead the monthly optimum may give
the region's last secure bed to a child who could have waited a month, and the emergency that comes a week later
has nowhere to go.

How many: per council and kind of home (demand.py), the rise in children in care from the run's month to the next
in the forecast column `lookahead_column` (the mean by default; p90 holds for a month busier than expected),
rounded to whole places.

How: each expected child is a placeholder referral (id HOLD-..., the council's centroid as home, no particular
needs, the age its group's children have in the forecast, within 20 miles unless secure) in the same model, under
the same rules, whose "unmatched penalty" is `hold_value`. The hold is soft: a real child takes a held place
whenever leaving them for the next run would cost more than the place is worth (an emergency, or a child long past
their needed-by date), and a child who can go elsewhere is steered there unless that costs more than the hold is
worth. Which places are held falls out of the same optimum: those whose loss costs the region's children least. A
hard reservation of named vacancies would have to guess them beforehand, and would keep a bed empty from an
emergency in hand for one that may not come.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data.geo import TWENTY_MILES_KM
from data.region import Region
from data.schema import TABLES
from data.vocabulary import SUPPORTED_MIN_AGE
from optimiser.match.allocation import MatchResult, match_region
from optimiser.match.candidates import Candidates
from optimiser.match.demand import band_ages, band_stock, for_region, stock_rise
from optimiser.match.params import MatchParams

HOLD_PREFIX = "HOLD-"
HELD_BACK_COLUMNS = ["la_code", "group", "places_expected", "places_held", "setting_ids", "why"]
HOLD_REASON = "held_back"
# What a placeholder asks for, per kind of home (the referral columns it sets; every other kind is unsuitable).
HOLD_PROFILE = {
    "foster": {"foster_suitability": "preferred"},
    "childrens_home": {"residential_suitability": "preferred"},
    "secure": {"residential_suitability": "preferred", "secure_order": True},
    "dol": {"residential_suitability": "preferred", "dol_order": True},
    "supported": {"supported_suitability": "preferred"},
}
# A place held for a council's emergencies is within 20 miles of it (the distance the DfE reports on): a place
# further away is the out-of-area emergency placement the hold is meant to prevent, and an uncapped placeholder
# would pair with every vacancy of its kind in a national run. Secure homes, and homes able to meet a
# deprivation-of-liberty order, are too few for a cap.
UNCAPPED_GROUPS = ("secure", "dol")


@dataclass(frozen=True)
class Lookahead:
    places: pd.DataFrame  # per council x group: la_code, group, month, next_month, now, next, rise, places
    holds: pd.DataFrame  # the placeholder referrals added to the match
    held_back: pd.DataFrame  # HELD_BACK_COLUMNS: what was held, where, and why
    region: Region  # the region as matched: with the placeholders (what the verifier checks)
    allocations: pd.DataFrame  # the allocation of real children and placeholders together

    def summary(self) -> dict:
        return {"places_expected": int(self.held_back["places_expected"].sum()),
                "places_held": int(self.held_back["places_held"].sum()),
                "held_by_group": {g: int(n) for g, n in self.held_back.groupby("group")["places_held"].sum().items()}}


def places_to_hold(demand: pd.DataFrame, run_date: date, params: MatchParams) -> pd.DataFrame:
    """Per council x kind of home with a rise: the stock now and next month (in `lookahead_column`) and the places
    to hold (the rise, rounded half up to whole children)."""
    table = stock_rise(demand, run_date, params.lookahead_column)
    table["places"] = np.floor(table["rise"] + 0.5).astype(int)
    return table[table["places"] > 0].reset_index(drop=True)


def hold_referrals(region: Region, places: pd.DataFrame, demand: pd.DataFrame, run_date: date,
                   params: MatchParams) -> pd.DataFrame:
    """One placeholder referral per place to hold, in the referrals schema with a `hold_value` column.

    Its age is drawn, deterministically, from where the group's children are in next month's forecast: the
    k places of a council and group sit at the middle of k equal slices of the group's age distribution.
    """
    if places.empty:
        return pd.DataFrame(columns=[*TABLES["referrals"].column_names, "hold_value", "hold_group"])
    rows = places.loc[places.index.repeat(places["places"]), ["la_code", "group", "next_month"]].reset_index(drop=True)
    rows["slot"] = rows.groupby(["la_code", "group"]).cumcount()
    rows["age"] = _ages(rows, demand)
    ids = HOLD_PREFIX + rows["la_code"] + "-" + rows["group"] + "-" + (rows["slot"] + 1).astype(str)
    holds = pd.DataFrame({
        "referral_id": ids, "child_id": ids, "la_code": rows["la_code"], "age": rows["age"], "sex": "other",
        "needed_by": pd.Timestamp(run_date), "emergency": True, "sibling_group": "", "close_to_family": False,
        "keep_school": False, "foster_suitability": "unsuitable", "residential_suitability": "unsuitable",
        "supported_suitability": "unsuitable", "secure_order": False, "needs": [()] * len(rows),
        "cared_alongside": "no_preference", "ratio": "standard", "risk_to_self": "none", "risk_to_others": "none",
        "max_distance_km": np.where(rows["group"].isin(UNCAPPED_GROUPS), np.nan, TWENTY_MILES_KM),
        "current_setting_id": ""})
    for group, profile in HOLD_PROFILE.items():
        for column, value in profile.items():
            holds.loc[rows["group"].eq(group), column] = value
    holds = TABLES["referrals"].with_defaults(holds)
    holds = holds.astype(region.referrals.dtypes.to_dict(), errors="ignore")
    return holds.assign(hold_value=params.hold_value, hold_group=rows["group"].to_numpy())


def _ages(rows: pd.DataFrame, demand: pd.DataFrame) -> np.ndarray:
    bands = band_stock(demand)
    ages = np.zeros(len(rows), dtype=int)
    for (la_code, group, month), where in rows.groupby(["la_code", "group", "next_month"]).groups.items():
        mix = bands[bands["la_code"].eq(la_code) & bands["group"].eq(group) & bands["month"].eq(month)]
        mix = mix[mix["mean"] > 0].sort_values("age_band", key=lambda b: band_ages(b)[0])
        # with no children of this kind in next month's forecast, the band most children in care are in (10-15)
        first, last = band_ages(mix["age_band"]) if len(mix) else (np.array([10]), np.array([15]))
        share = mix["mean"].to_numpy() / mix["mean"].sum() if len(mix) else np.ones(1)
        slots = rows.loc[where, "slot"].to_numpy()
        band = np.minimum(np.searchsorted(np.cumsum(share), (slots + 0.5) / len(slots)), len(share) - 1)
        ages[where] = np.floor((first[band] + last[band]) / 2 + 0.5).astype(int)
    # supported accommodation is unlawful under 16, whatever a forecast's age bands say
    return np.where(rows["group"].eq("supported").to_numpy(), np.maximum(ages, SUPPORTED_MIN_AGE), ages)


def match_with_lookahead(region: Region, demand: pd.DataFrame, params: MatchParams,
                         run_date: date, solve_with=None) -> tuple[MatchResult, Lookahead]:
    """The month's match with places held back for the emergencies `demand` expects before the next run.

    The MatchResult is the real children's: its allocations and candidates leave the placeholders out (its
    objective and bound are the model's, held places included). The Lookahead has what was held and the whole
    allocation, to verify against `Lookahead.region`.
    """
    demand = for_region(demand, region.la_codes)
    places = places_to_hold(demand, run_date, params)
    holds = hold_referrals(region, places, demand, run_date, params)
    matched = region
    if len(holds):
        matched = region.replace(referrals=pd.concat([region.referrals, holds], ignore_index=True))
    full = match_region(matched, params, run_date, solve_with)
    is_hold = full.allocations["referral_id"].isin(set(holds["referral_id"]))
    held = full.allocations[is_hold]
    real = _held_back_reasons(full.allocations[~is_hold].reset_index(drop=True), full.candidates, held)
    result = dataclasses.replace(full, allocations=real, candidates=without_referrals(full.candidates,
                                                                                       set(holds["referral_id"])))
    lookahead = Lookahead(places=places, holds=holds, held_back=held_back_table(places, held, params),
                          region=matched, allocations=full.allocations)
    return result, lookahead


def held_back_table(places: pd.DataFrame, held: pd.DataFrame, params: MatchParams) -> pd.DataFrame:
    """Per council x kind of home: places the forecast calls for, places held and where, and why in words."""
    if places.empty:
        return pd.DataFrame(columns=HELD_BACK_COLUMNS)
    key = held["referral_id"].str.removeprefix(HOLD_PREFIX).str.rsplit("-", n=1).str[0]
    matched = held[held["status"].eq("matched")]
    per = pd.DataFrame({"key": key[held["status"].eq("matched")], "setting_id": matched["setting_id"]})
    held_n = per.groupby("key").size()
    where = per.groupby("key")["setting_id"].agg(lambda ids: ";".join(sorted(set(ids))))
    not_held = held[held["status"].ne("matched")].assign(key=key).groupby("key")["reason"].first()
    table = places.assign(key=places["la_code"] + "-" + places["group"])
    table["places_expected"] = table["places"]
    table["places_held"] = table["key"].map(held_n).fillna(0).astype(int)
    table["setting_ids"] = table["key"].map(where).fillna("")
    column = params.lookahead_column
    why = (f"forecast ({column}): " + table["now"].round(1).astype(str) + " children from this council in "
           + table["group"] + " care in " + table["month"].dt.strftime("%B %Y") + ", "
           + table["next"].round(1).astype(str) + " in " + table["next_month"].dt.strftime("%B %Y") + ": "
           + table["places_expected"].astype(str) + " more may need a place before the next run, so "
           + table["places_held"].astype(str) + " place(s) are kept for them, given to a real child only if "
           "leaving that child for the next run would cost more than £" + f"{params.hold_value:,.0f}"
           " (an emergency, or a child long past their needed-by date)")
    short = table["places_held"] < table["places_expected"]
    why[short] += ("; " + (table["places_expected"] - table["places_held"]).astype(str)
                   + " could not be held: " + table["key"].map(not_held).fillna(""))[short]
    table["why"] = why
    return table[HELD_BACK_COLUMNS].sort_values(["la_code", "group"]).reset_index(drop=True)


def _held_back_reasons(allocations: pd.DataFrame, candidates: Candidates, held: pd.DataFrame) -> pd.DataFrame:
    """A child left unmatched for want of places, where some place it could have had is held back: say so."""
    held_settings = set(held.loc[held["status"].eq("matched"), "setting_id"])
    short = allocations["status"].eq("unmatched") & allocations["reason_code"].eq("capacity")
    options = candidates.member_pairs[candidates.member_pairs["referral_id"].isin(allocations.loc[short, "referral_id"])
                                      & candidates.member_pairs["setting_id"].isin(held_settings)]
    if options.empty:
        return allocations
    where = options.groupby("referral_id")["setting_id"].agg(lambda ids: ", ".join(sorted(set(ids))))
    hit = allocations["referral_id"].isin(where.index)
    allocations = allocations.copy()
    allocations.loc[hit, "reason_code"] = HOLD_REASON
    allocations.loc[hit, "reason"] = (
        "the places that could take this child went to other children or are held back for emergencies the "
        "forecast expects before the next run (held: " + allocations.loc[hit, "referral_id"].map(where)
        + "); a held place goes only to a child more urgent than this one, who can be matched at the next run")
    return allocations


def without_referrals(candidates: Candidates, referral_ids: set[str]) -> Candidates:
    """The candidates with some referrals left out of every table (pairs keep their row labels)."""
    if not referral_ids:
        return candidates
    referrals = candidates.referrals[~candidates.referrals["referral_id"].isin(referral_ids)]
    units = set(referrals["unit_id"])
    pairs = candidates.pairs[candidates.pairs["unit_id"].isin(units)]
    conflicts = candidates.conflicts[candidates.conflicts["pair_a"].isin(pairs.index)
                                     & candidates.conflicts["pair_b"].isin(pairs.index)]
    return dataclasses.replace(
        candidates, units=candidates.units[candidates.units["unit_id"].isin(units)], pairs=pairs,
        member_pairs=candidates.member_pairs[candidates.member_pairs["unit_id"].isin(units)], conflicts=conflicts,
        survivors=candidates.survivors.drop(index=list(referral_ids), errors="ignore"), referrals=referrals)

