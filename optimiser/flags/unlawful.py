"""Children living somewhere unlawful, the settings they are in, and a registered alternative for each.

Who must move is decided once, in optimiser/match/stepdown.py (unregistered, cancelled, resigned or suspended
settings; setting ids nobody knows; under-16s in supported accommodation). Here each such child becomes a flag
with the council, days there, weekly cost and severity, and so does each child whose referral needs a secure
placement but who lives outside a secure or registered home. The regional match, run with a step-down referral
for every child who has none, proposes a registered home or says why none exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data.region import Region
from data.vocabulary import SUPPORTED_MIN_AGE
from optimiser.flags.common import (
    WEEKS_PER_YEAR,
    a_type,
    aged,
    council,
    council_names,
    empty_flags,
    flag_frame,
    money,
    plural,
    type_name,
)
from optimiser.flags.params import UnlawfulParams
from optimiser.match.allocation import ALLOCATION_COLUMNS, MatchResult, match_region
from optimiser.match.params import MatchParams
from optimiser.match.stepdown import UNLAWFUL_STATUSES, children_needing_step_down, with_step_down_referrals

SUMMARY_COLUMNS = ["level", "id", "name", "children_unlawful", "children_in_unregistered", "settings", "weekly_spend",
                   "annual_spend"]


@dataclass(frozen=True)
class Proposals:
    """The regional match run with every step-down referral: one allocation row per referral."""
    allocations: pd.DataFrame
    result: MatchResult | None
    step_down_added: int


def unlawful_children(region: Region, placed: pd.DataFrame, params: UnlawfulParams) -> pd.DataFrame:
    """One row per child and finding: unregistered_placement, under_16_supported or secure_need_unmet, with the
    child's placement details (from `placed`, the placements table)."""
    must_move = children_needing_step_down(region).set_index("child_id")
    at = placed.set_index("child_id")
    movers = at.loc[at.index.intersection(must_move.index)]
    unregistered = movers[~movers["known"] | movers["registration_status"].isin(UNLAWFUL_STATUSES)]
    young = movers[movers["setting_type"].eq("supported_accommodation")
                   & (movers["age"].astype(float) < SUPPORTED_MIN_AGE)]
    secure = _secure_need_unmet(region, at, params)
    rows = [frame.assign(flag=flag) for flag, frame in (("unregistered_placement", unregistered),
                                                        ("under_16_supported", young),
                                                        ("secure_need_unmet", secure))]
    out = pd.concat(rows).rename_axis("child_id").reset_index()
    out["why"] = out["child_id"].map(must_move["why"]).fillna("needs a secure placement")
    return out


def _secure_need_unmet(region: Region, at: pd.DataFrame, params: UnlawfulParams) -> pd.DataFrame:
    """Children with a referral for a secure accommodation order (s.25) who live outside a registered secure or
    children's home (children in no setting, e.g. at home, are waiting rather than unlawfully placed)."""
    referrals = region.referrals[region.referrals["secure_order"].astype(bool)]
    ids = pd.Index(referrals["child_id"].unique()).intersection(at.index)
    here = at.loc[ids]
    lawful = here["known"] & here["registration_status"].eq("active") & here["setting_type"].isin(
        params.secure_lawful_types)
    return here[~lawful.astype(bool)]


def propose_alternatives(region: Region, match_params: MatchParams, run_date: date) -> Proposals:
    """Add a step-down referral for each child who must move and has none, and match the whole region."""
    with_referrals, added = with_step_down_referrals(region, run_date)
    allocations, result = match_or_nothing(with_referrals, match_params, run_date)
    return Proposals(allocations=allocations, result=result, step_down_added=len(added))


def match_or_nothing(region: Region, match_params: MatchParams,
                     run_date: date) -> tuple[pd.DataFrame, MatchResult | None]:
    """The regional match's allocations (and result); an empty allocation table when nobody is searching."""
    if region.referrals.empty:
        return pd.DataFrame(columns=ALLOCATION_COLUMNS), None
    result = match_region(region, match_params, run_date)
    return result.allocations, result


def child_flags(region: Region, found: pd.DataFrame, proposals: Proposals | None) -> pd.DataFrame:
    """The flags table rows for children found by `unlawful_children`."""
    if found.empty:
        return empty_flags()
    settings = region.settings.drop_duplicates("setting_id").set_index("setting_id")
    providers = region.providers.drop_duplicates("provider_id").set_index("provider_id")
    allocation = (proposals.allocations.drop_duplicates("child_id").set_index("child_id")
                  if proposals is not None else None)
    secure = set(found.loc[found["flag"].eq("secure_need_unmet"), "child_id"])
    frames = []
    for row in found.itertuples(index=False):
        name = council(region, row.la_code)
        where = _setting_text(region, row)
        stay = (f"has lived {plural(int(row.days), 'day')} in" if pd.notna(row.days) else "lives in")
        cost = (f" {name} pays {money(row.weekly_cost)} a week ({money(row.weekly_cost * WEEKS_PER_YEAR)} a year)."
                if pd.notna(row.weekly_cost) else f" {name} has recorded no weekly cost for it.")
        if row.flag == "unregistered_placement":
            evidence = f"Child {row.child_id} ({name}, {aged(row.age)}) {stay} {where}.{cost}"
            if row.child_id in secure:
                evidence += " The child's referral is for a secure accommodation order."
            severity = "high" if row.known else "medium"
        elif row.flag == "under_16_supported":
            evidence = (f"Child {row.child_id} ({name}) is {aged(row.age)} and {stay} {where}: placing a child "
                        f"under 16 in supported accommodation has been unlawful since September 2021.{cost}")
            severity = "high"
        else:
            evidence = (f"Child {row.child_id} ({name}, {aged(row.age)}) has a referral for a secure "
                        f"accommodation order (s.25) but {stay} {where}, which is neither a secure "
                        f"children's home nor a registered children's home.{cost}")
            severity = "high"
        action = _action(region, row, allocation, settings, providers)
        frames.append((row.flag, row.child_id, severity, evidence, action))
    flags, ids, severity, evidence, action = zip(*frames)
    out = pd.DataFrame({"flag": flags, "subject_type": "child", "subject_id": ids, "severity": severity,
                        "evidence": evidence, "action": action})
    return out


def _setting_text(region: Region, row) -> str:
    if not row.known:
        return (f"setting {row.setting_id}, which is in no settings table rcc was given (possibly unregistered "
                "provision)")
    provider = region.providers.set_index("provider_id")["provider_name"].get(row.provider_id, row.provider_id)
    place = council(region, row.setting_la_code)
    status = ("not registered with Ofsted" if row.registration_status == "unregistered"
              else "registered with Ofsted" if row.registration_status == "active"
              else f"Ofsted registration {row.registration_status}")
    return f"{row.setting_id}, {a_type(row.setting_type)} run by {provider} in {place} ({status})"


def _action(region: Region, row, allocation: pd.DataFrame | None, settings: pd.DataFrame,
            providers: pd.DataFrame) -> str:
    tell = ""
    if row.flag == "unregistered_placement" and row.known:
        tell = " " + _offence(row.setting_type)
    if allocation is None:
        return "Search for a registered home now (`rcc match` adds a step-down referral for this child)." + tell
    if row.child_id not in allocation.index:
        return "No referral could be made for this child (age or council missing); search by hand." + tell
    a = allocation.loc[row.child_id]
    if a["status"] != "matched":
        return (f"No registered home can take the child today: {a['reason']}. Escalate to the RCC board to "
                "commission a place, and review the child's safety until then." + tell)
    target = settings.loc[a["setting_id"]]
    provider = providers["provider_name"].get(target["provider_id"], target["provider_id"])
    fee, now = float(a["weekly_fee"]), row.weekly_cost
    change = ""
    if pd.notna(fee) and pd.notna(now):
        change = (f", {money(now - fee)} a week less than now" if fee < now
                  else f", {money(fee - now)} a week more than now" if fee > now else ", the same as now")
    grade = str(target["ofsted_grade"]).replace("_", " ")
    return (f"Move the child to {a['setting_id']}, a registered {type_name(target['setting_type'])} (Ofsted: "
            f"{grade}) run by {provider} in {council(region, target['la_code'])}, {a['distance_km']:.1f} km from "
            f"the family home, at {money(fee)} a week{change}: the regional match's proposal." + tell)


def setting_flags(region: Region, found: pd.DataFrame) -> pd.DataFrame:
    """One flag per unlawful setting (unregistered, cancelled, resigned, suspended or unknown) with children."""
    there = found[found["flag"].eq("unregistered_placement")].drop_duplicates("child_id")
    if there.empty:
        return empty_flags()
    names = council_names(region)
    providers = region.providers.set_index("provider_id")["provider_name"]
    rows = []
    for setting_id, kids in there.groupby("setting_id", sort=True):
        first = kids.iloc[0]
        councils = ", ".join(sorted({str(names.get(c, c)) for c in kids["la_code"]}))
        weekly = kids["weekly_cost"].sum()
        longest = kids["days"].max()
        if first["known"]:
            what = (f"{setting_id} ({a_type(first['setting_type'])} run by "
                    f"{providers.get(first['provider_id'], first['provider_id'])}, in "
                    f"{council(region, first['setting_la_code'])}) is "
                    + ("not registered with Ofsted" if first["registration_status"] == "unregistered"
                       else f"no longer lawfully registered (Ofsted registration {first['registration_status']})"))
        else:
            what = f"{setting_id} is in no settings table rcc was given (possibly unregistered provision)"
        evidence = (f"{what}: {plural(len(kids), 'child', 'children')} from {councils} "
                    f"{'lives' if len(kids) == 1 else 'live'} there at {money(weekly)} a week in all "
                    f"({money(weekly * WEEKS_PER_YEAR)} a year)"
                    + (f"; the longest there for {plural(int(longest), 'day')}." if pd.notna(longest) else "."))
        action = (f"{_offence(first['setting_type'])} Make no new placements there, and move each child (see "
                  "their flags)." if first["known"] else
                  "Check the setting id with the placing council; if it is not registered, report it to Ofsted and "
                  "move the children.")
        rows.append((setting_id, "high" if first["known"] else "medium", evidence, action))
    ids, severity, evidence, action = zip(*rows)
    return flag_frame("unregistered_setting", "setting", ids, severity, evidence, action)


def summary_table(region: Region, found: pd.DataFrame) -> pd.DataFrame:
    """Per council and per provider: children in unlawful placements (any finding), those of them in unregistered
    (or cancelled, resigned, suspended, unknown) settings, those settings and the weekly spend on them; plus the
    region's total. Providers are those of the settings the children live in (blank: unknown setting)."""
    kids = found.drop_duplicates("child_id")
    unregistered = found[found["flag"].eq("unregistered_placement")].drop_duplicates("child_id")
    names = council_names(region)
    providers = region.providers.set_index("provider_id")["provider_name"]
    parts = []
    for level, key, label in (("council", "la_code", lambda k: names.get(k, k)),
                              ("provider", "provider_id", lambda k: providers.get(k, k))):
        children = kids.groupby(key, dropna=False).size()
        inside = unregistered.groupby(key, dropna=False).size()
        settings = unregistered.groupby(key, dropna=False)["setting_id"].nunique()
        spend = unregistered.groupby(key, dropna=False)["weekly_cost"].sum()
        index = children.index.union(settings.index)
        table = pd.DataFrame({"level": level, "id": index.astype(object).fillna("unknown"),
                              "children_unlawful": children.reindex(index).fillna(0).astype(int).to_numpy(),
                              "children_in_unregistered": inside.reindex(index).fillna(0).astype(int).to_numpy(),
                              "settings": settings.reindex(index).fillna(0).astype(int).to_numpy(),
                              "weekly_spend": spend.reindex(index).fillna(0.0).round(2).to_numpy()})
        table["name"] = [str(label(k)) for k in table["id"]]
        parts.append(table.sort_values(["weekly_spend", "children_unlawful"], ascending=False))
    total = pd.DataFrame([{"level": "region", "id": "region", "name": "whole region", "children_unlawful": len(kids),
                           "children_in_unregistered": len(unregistered),
                           "settings": int(unregistered["setting_id"].nunique()),
                           "weekly_spend": round(float(unregistered["weekly_cost"].sum()), 2)}])
    out = pd.concat([total, *parts], ignore_index=True)
    out["annual_spend"] = (out["weekly_spend"] * WEEKS_PER_YEAR).round(2)
    return out[SUMMARY_COLUMNS]


def weekly_spend_unregistered(found: pd.DataFrame) -> tuple[float, int, int]:
    """(weekly spend, children, settings) in unregistered, cancelled, resigned, suspended or unknown settings."""
    there = found[found["flag"].eq("unregistered_placement")].drop_duplicates("child_id")
    return float(np.nansum(there["weekly_cost"])), len(there), int(there["setting_id"].nunique())


def _offence(setting_type: str) -> str:
    if setting_type == "supported_accommodation":
        return ("Report the setting to Ofsted: supported accommodation for 16-17 year olds must be registered since "
                "28 October 2023.")
    return ("Report the setting to Ofsted: running an unregistered children's home is an offence under the Care "
            "Standards Act 2000.")
