"""Difficult to replace, derived from the data: for each independent owner (a parent group, else a company without
one), its share of the region's and of each council's independent places in each kind of home, the region's
children living with it, how many of them the region could re-house if it left (the stress test's match, run for
this owner), and where its places are. The Bill's designation is the DfE's to make; this says which owners the
region's own data would put forward, and why. A provider designated in the input designates its owner whatever
the data say (the override).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from data.region import Region
from optimiser.flags.common import (
    council_names,
    empty_flags,
    exposure_text,
    flag_frame,
    owners,
    pct,
    plural,
)
from optimiser.flags.concentration import market_name, supply
from optimiser.flags.params import ReplaceParams
from optimiser.flags.stress import StressTest, owner_companies, providers_exit
from optimiser.match.params import MatchParams

REPLACE_COLUMNS = ["owner", "owner_name", "subject_type", "companies", "children", "weekly_spend", "places_in_region",
                   "region_market", "region_share", "council", "council_market", "council_share", "geo_council",
                   "geo_share", "councils_with_places", "market_test", "tested", "rehoused", "unhoused",
                   "unhoused_share", "override", "by_rule", "designated", "evidence"]


def replaceability(region: Region, placed: pd.DataFrame, params: ReplaceParams, match_params: MatchParams,
                   run_date: date, base_allocations: pd.DataFrame | None = None,
                   stress: StressTest | None = None, rehouse: bool = True) -> pd.DataFrame:
    """One row per independent owner with places in the region or the region's children (REPLACE_COLUMNS): the
    designation rule's inputs, whether the re-housing test ran, and whether the owner is designated. `stress` is
    the stress test already run for one owner: its answer is the same question's, so it is not asked again;
    `rehouse` False (the stress test switched off) runs no match and leaves only the input's designations."""
    providers = region.providers.drop_duplicates("provider_id")
    independent = set(providers.loc[providers["sector"].ne("local_authority"), "provider_id"])
    owner_of = owners(providers)
    s = supply(region)
    s = s[s["independent"]]
    mine = placed[placed["provider_id"].isin(independent)]
    every = sorted(set(s["owner"]) | set(mine["owner"].dropna()))
    if not every:
        return pd.DataFrame(columns=REPLACE_COLUMNS)
    names = council_names(region)
    big = counted_council_markets(s, params)
    rows = []
    for owner in every:
        here = s[s["owner"].eq(owner)]
        kids = mine[mine["owner"].eq(owner)]
        companies = owner_companies(region, owner)
        row = {"owner": owner, "owner_name": str(owner_of.loc[list(companies)[0], "owner_name"]) if companies
               else owner, "subject_type": "parent_group" if providers["parent_group"].fillna("").eq(owner).any()
               else "provider", "companies": len(companies), "children": len(kids),
               "weekly_spend": float(kids["weekly_cost"].sum()), "places_in_region": int(here["places"].sum())}
        row |= best_share(here, s, ["market"], "region")
        row |= best_share(here[big.reindex(here.index, fill_value=False)], s[big], ["la_code", "market"], "council")
        row["council"] = str(names.get(row["council"], row["council"]))
        by_council = here.groupby("la_code")["places"].sum().sort_values(ascending=False, kind="stable")
        row["geo_council"] = str(names.get(by_council.index[0], by_council.index[0])) if len(by_council) else ""
        row["geo_share"] = float(by_council.iloc[0] / by_council.sum()) if by_council.sum() else np.nan
        row["councils_with_places"] = len(by_council)
        row["override"] = bool(providers.loc[providers["provider_id"].isin(companies), "difficult_to_replace"]
                               .astype(bool).any())
        rows.append(row)
    table = pd.DataFrame(rows)
    table["market_test"] = market_test(table["region_share"], table["council_share"], params)
    candidates = table[table["market_test"] & (table["children"] >= params.min_children)]
    chosen = candidates.sort_values(["children", "owner"], ascending=[False, True]).head(params.max_tested)["owner"]
    table["tested"], table["rehoused"], table["unhoused"] = False, np.nan, np.nan
    for owner in chosen if rehouse else ():
        displaced = (stress.displaced if stress is not None and stress.owner == owner else
                     providers_exit(region, placed, owner_companies(region, owner), match_params, run_date,
                                    base_allocations).displaced)
        rehoused = int(displaced["status"].eq("matched").sum())
        at = table.index[table["owner"].eq(owner)][0]
        table.loc[at, ["tested", "rehoused", "unhoused"]] = [True, rehoused, len(displaced) - rehoused]
    table["unhoused_share"] = table["unhoused"] / table["children"].where(table["children"] > 0)
    by_rule = table["market_test"] & (table["children"] >= params.min_children) & table["tested"] & (
        table["unhoused_share"].fillna(0) >= params.unhoused_share)
    table["by_rule"] = by_rule
    table["designated"] = by_rule | table["override"]
    table["evidence"] = [_evidence(r, rule, params) for r, rule in zip(table.itertuples(index=False), by_rule)]
    return table[REPLACE_COLUMNS]


def counted_council_markets(supply: pd.DataFrame, params: ReplaceParams) -> pd.Series:
    """The rows of independent supply in a council market large enough for a share of it to count (one home is a
    large share of a tiny market)."""
    return supply.groupby(["la_code", "market"])["places"].transform("sum") >= params.min_council_places


def market_test(region_share: pd.Series, council_share: pd.Series, params: ReplaceParams) -> pd.Series:
    """The designation rule's market part: a large enough share of the region's, or of one council's, independent
    places in one kind of home."""
    return (region_share.fillna(0) >= params.region_share) | (council_share.fillna(0) >= params.council_share)


def best_share(here: pd.DataFrame, market: pd.DataFrame, keys: list[str], level: str) -> dict:
    """One owner's largest share of independent places over the markets keyed by `keys` (best_shares)."""
    found = best_shares(here, market, keys, level)
    if found.empty:
        return {f"{level}_market": "", f"{level}_share": np.nan} | ({level: ""} if len(keys) > 1 else {})
    return found.iloc[0].to_dict()


def best_shares(owned: pd.DataFrame, market: pd.DataFrame, keys: list[str], level: str) -> pd.DataFrame:
    """Per owner of `owned`, its largest share of independent places over the markets keyed by `keys` (the region's
    kinds of home, or each council's: the area's key before the market's), with the market it is in and, keyed by
    area, the area (`level`); ties go to the first market in key order. Owners in no market with places are left
    out."""
    columns = [f"{level}_market", f"{level}_share"] + ([level] if len(keys) > 1 else [])
    mine = owned.groupby(["owner", *keys])["places"].sum().reset_index()
    total = market.groupby(keys)["places"].sum().rename("_total").reset_index()
    mine = mine.merge(total, on=keys, how="left")
    # a market without places divides to NaN and drops out
    mine["_share"] = (mine["places"] / mine["_total"].where(mine["_total"] > 0)).astype(float)
    mine = mine.dropna(subset=["_share"]).sort_values(["owner", "_share", *keys],
                                                      ascending=[True, False, *[True] * len(keys)], kind="stable")
    top = mine.drop_duplicates("owner").set_index("owner")
    out = pd.DataFrame({f"{level}_market": top[keys[-1]].astype(str), f"{level}_share": top["_share"]},
                       index=top.index)
    if len(keys) > 1:
        out[level] = top[keys[0]].astype(str)
    return out[columns]


def _evidence(r, by_rule: bool, params: ReplaceParams) -> str:
    parts = [f"{r.owner_name} ({plural(int(r.companies), 'company', 'companies')}) holds "
             f"{plural(int(r.places_in_region), 'independent place')} in the region"]
    if r.region_market:
        parts.append(f"{pct(r.region_share)} of the region's independent places in {market_name(r.region_market)} "
                     f"(the rule: {pct(params.region_share, 0)})")
    if r.council_market:
        parts.append(f"{pct(r.council_share)} of {r.council}'s independent places there in "
                     f"{market_name(r.council_market)} (the rule: {pct(params.council_share, 0)})")
    text = "; ".join(parts) + "."
    if r.councils_with_places:
        text += (f" Its places are in {plural(int(r.councils_with_places), 'council')}, {pct(r.geo_share, 0)} of "
                 f"them in {r.geo_council}.")
    text += " " + exposure_text(int(r.children), r.weekly_spend)
    if r.tested:
        text += (f" If it left, the regional match could re-house {int(r.rehoused):,} of its "
                 f"{plural(int(r.children), 'child', 'children')} within the rules; {int(r.unhoused):,} "
                 f"({pct(r.unhoused_share, 0)}) would have nowhere to go (the rule: "
                 f"{pct(params.unhoused_share, 0)}).")
    elif r.market_test and r.children >= params.min_children:
        text += f" Its re-housing was not tested (only the {params.max_tested} largest owners are, each one match)."
    if by_rule:
        text += " It meets every part of the designation rule."
    if r.override:
        text += " A provider of it is designated difficult to replace in the input, which designates it."
    return text


def replace_flags(table: pd.DataFrame) -> pd.DataFrame:
    """difficult_to_replace_derived rows: every owner designated, high when the data meet the rule, medium when
    only the input designates it."""
    frames = []
    for kind in ("parent_group", "provider"):
        chosen = table[table["designated"].astype(bool) & table["subject_type"].eq(kind)]
        if chosen.empty:
            continue
        rule = chosen["by_rule"].astype(bool)
        action = [(f"Put {name} forward for the DfE's financial oversight; ask it for its contingency plan and "
                   "commission places with other providers where the region could not re-house its children.")
                  if by_rule else
                  (f"The input designates {name}, though the region's data alone would not: keep its contingency "
                   "plan on file and review the designation with the DfE.")
                  for name, by_rule in zip(chosen["owner_name"], rule)]
        frames.append(flag_frame("difficult_to_replace_derived", kind, chosen["owner"].tolist(),
                                 np.where(rule, "high", "medium").tolist(), chosen["evidence"].tolist(), action))
    return pd.concat(frames, ignore_index=True) if frames else empty_flags()
