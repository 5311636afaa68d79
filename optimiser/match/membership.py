"""Who the RCC matches for: its member councils (members.csv; without it every council of the region, from the
start). In the South East pathfinder only some councils are members.

A non-member's children are not the RCC's to place, so their referrals leave the match. The settings in a
non-member's area stay in the market, but the non-member is searching for its own children in them at the same
time, so the match counts on only `non_member_vacancy_share` of their vacancies (rounded down: a share of a bed is
no bed), and the non-member's own council-run places are bought at their fee, never as the RCC's block beds.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from data.region import Region
from optimiser.match.params import MatchParams


def members_on(region: Region, run_date: date) -> pd.Series:
    """la_code -> whether the council is a member of the RCC in the month of `run_date`: listed as a member (or
    not listed at all, when members.csv is absent) and its start month not after this one."""
    member = pd.Series(True, index=pd.Index(region.authorities["la_code"], name="la_code"))
    table = region.members
    if table is None or table.empty:
        return member
    listed = table.set_index("la_code")
    month = pd.Timestamp(run_date).to_period("M")
    started = listed["start_month"].isna() | (pd.to_datetime(listed["start_month"]).dt.to_period("M") <= month)
    member.loc[listed.index] = listed["member"].astype(bool) & started
    return member


def with_membership(region: Region, params: MatchParams, run_date: date) -> tuple[Region, dict]:
    """The region as the RCC matches it: non-members' referrals left out, the settings in their areas with only
    the share of their vacancies the RCC can count on; and what was changed, for the run record (empty when every
    council is a member)."""
    from optimiser.match.accounts import in_house_council

    member = members_on(region, run_date)
    outside = set(member.index[~member])
    if not outside:
        return region, {}
    referrals = region.referrals[~region.referrals["la_code"].isin(outside)].reset_index(drop=True)
    settings = region.settings.copy()
    in_area = settings["la_code"].isin(outside)
    before = settings.loc[in_area, "vacancies"]
    # a blank stays blank (not known); a known count is floored to whole beds
    counted = pd.array([v if pd.isna(v) else math.floor(v * params.non_member_vacancy_share + 1e-9) for v in before],
                       dtype=settings["vacancies"].dtype)
    settings.loc[in_area, "vacancies"] = counted
    their_own = settings["setting_id"].map(in_house_council(region)).isin(outside).to_numpy()
    settings.loc[their_own, "block_contract"] = False
    summary = {"non_members": sorted(outside), "referrals_left_out": len(region.referrals) - len(referrals),
               "settings_in_non_member_areas": int(in_area.sum()),
               "vacancies_in_non_member_areas": int(before.fillna(0).sum()),
               "vacancies_counted": int(pd.Series(counted).fillna(0).sum()),
               "non_member_vacancy_share": params.non_member_vacancy_share}
    return region.replace(referrals=referrals, settings=settings), summary
