"""Market concentration: who owns the independent places, across the region and council by council, and the
region's exposure to providers designated difficult to replace.

A market is one of DATA.md's placement groups (children's homes with residential special schools, agency foster
care, supported accommodation, ...) in an area. Only active, registered settings inside the region count,
and only independent ones (private, voluntary, health): councils' own services are not a market the RCC buys in,
though their share is reported beside. Owners are parent groups where given (several companies, one owner),
else the company itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.region import Region
from data.vocabulary import PLACEMENT_GROUP_LABELS, PLACEMENT_GROUP_OF_SETTING_TYPE
from optimiser.flags.common import (
    WEEKS_PER_YEAR,
    council_names,
    empty_flags,
    exposure_text,
    flag_frame,
    money,
    owners,
    pct,
    plural,
    type_name,
    types_name,
)
from optimiser.flags.params import ConcentrationParams

# The children's homes market counts residential special schools too (DATA.md), which its label alone would hide.
MARKET_NOTES = {"childrens_home": " (with residential special schools)"}
MARKET_COLUMNS = ["level", "area", "area_name", "market", "places", "independent_places", "council_share",
                  "independent_settings", "owners", "hhi", "top_owner", "top_owner_name", "top_share", "top3_share",
                  "assessed", "flagged"]


def market_name(market: str) -> str:
    """A market in words, with the note its label needs."""
    return PLACEMENT_GROUP_LABELS.get(market, market) + MARKET_NOTES.get(market, "")


def supply(region: Region) -> pd.DataFrame:
    """Active settings in the region's councils with their placement group, sector and owner."""
    settings = region.settings.drop_duplicates("setting_id")
    settings = settings[settings["registration_status"].eq("active")
                        & settings["la_code"].isin(region.authorities["la_code"])].copy()
    providers = region.providers.drop_duplicates("provider_id").set_index("provider_id")
    owner = owners(region.providers.drop_duplicates("provider_id"))
    settings["market"] = settings["setting_type"].map(PLACEMENT_GROUP_OF_SETTING_TYPE)
    settings["sector"] = settings["provider_id"].map(providers["sector"])
    settings["owner"] = settings["provider_id"].map(owner["owner"]).fillna(settings["provider_id"])
    settings["owner_name"] = settings["provider_id"].map(owner["owner_name"]).fillna(settings["provider_id"])
    settings["independent"] = settings["sector"].ne("local_authority")
    return settings


def markets(region: Region, params: ConcentrationParams) -> pd.DataFrame:
    """One row per market (region x placement group, and council x placement group for the council markets):
    places, the councils' share, and among independent places the owners, HHI, top owner and top-3 share."""
    s = supply(region)
    names = council_names(region)
    rows = []
    areas = [("region", "region", "the region", s)] + [
        ("council", la, str(names.get(la, la)), s[s["la_code"].eq(la)]) for la in region.la_codes]
    for level, area, area_name, here in areas:
        for market, frame in here.groupby("market", sort=True):
            if level == "council" and market not in params.council_markets:
                continue
            independent = frame[frame["independent"]]
            row = {"level": level, "area": area, "area_name": area_name, "market": market,
                   "places": int(frame["places"].sum()), "independent_places": int(independent["places"].sum()),
                   "independent_settings": len(independent)}
            row["council_share"] = 1 - row["independent_places"] / row["places"] if row["places"] else np.nan
            row |= owner_concentration(independent.groupby("owner")["places"].sum(),
                                       independent.groupby("owner")["owner_name"].first())
            rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=MARKET_COLUMNS)
    table["assessed"] = ((table["independent_places"] >= params.min_places)
                         & (table["independent_settings"] >= params.min_settings))
    table["flagged"] = table["assessed"] & (table["hhi"] >= params.hhi_high)
    return table[MARKET_COLUMNS]


def owner_concentration(places: pd.Series, names: pd.Series) -> dict:
    """Who holds a market's places: owners, Herfindahl-Hirschman index (shares in %, so 0-10,000), the top owner
    (id and name), its share and the top three's. `places` and `names` are indexed by owner."""
    shares = places.sort_values(ascending=False, kind="stable")
    total = shares.sum()
    if not total > 0:
        return {"owners": 0, "hhi": np.nan, "top_owner": "", "top_owner_name": "", "top_share": np.nan,
                "top3_share": np.nan}
    shares = shares / total
    return {"owners": len(shares), "hhi": float((100 * shares) ** 2 @ np.ones(len(shares))),
            "top_owner": shares.index[0], "top_owner_name": names.get(shares.index[0], shares.index[0]),
            "top_share": float(shares.iloc[0]), "top3_share": float(shares.iloc[:3].sum())}


def concentration_flags(table: pd.DataFrame, placed: pd.DataFrame, params: ConcentrationParams) -> pd.DataFrame:
    """market_concentration rows: highly concentrated markets, with the dominant owner and the region's stake."""
    flagged = table[table["flagged"]]
    if flagged.empty:
        return empty_flags()
    placed = placed.assign(market=placed["setting_type"].map(PLACEMENT_GROUP_OF_SETTING_TYPE))
    evidence, severity, action = [], [], []
    for r in flagged.itertuples(index=False):
        where = "across the region" if r.level == "region" else f"in {r.area_name}"
        kids = placed[placed["owner"].eq(r.top_owner) & placed["market"].eq(r.market)]
        if r.level == "council":
            kids = kids[kids["setting_la_code"].eq(r.area)]
        council_places = r.places - r.independent_places
        market = market_name(r.market)
        evidence.append(
            f"{market.capitalize()} {where}: {plural(int(r.owners), 'owner')} hold the "
            f"{plural(int(r.independent_places), 'independent place')} "
            f"({plural(int(r.independent_settings), 'setting')}), and {r.top_owner_name} holds "
            f"{pct(r.top_share, 0)} of them (the top three {pct(r.top3_share, 0)}). "
            f"The Herfindahl-Hirschman index is {r.hhi:,.0f}, above the {params.hhi_high:,.0f} that marks a highly "
            f"concentrated market. Councils run {plural(int(council_places), 'more place')} there. "
            + _stake_text(r.top_owner_name, len(kids), kids["weekly_cost"].sum()))
        severity.append("high" if r.top_share >= params.dominant_share else "medium")
        action.append(f"Plan for {r.top_owner_name} failing or raising prices {where}: commission or open places with "
                      "other providers (or the councils' own), and avoid new block contracts that deepen the "
                      "dependence.")
    ids = (flagged["area"] + ":" + flagged["market"]).tolist()
    return flag_frame("market_concentration", "market", ids, severity, evidence, action)


def difficult_to_replace(region: Region, placed: pd.DataFrame, params: ConcentrationParams) -> pd.DataFrame:
    """difficult_to_replace_exposure rows: every provider designated difficult to replace that looks after the
    region's children or holds places in the region."""
    providers = region.providers.drop_duplicates("provider_id")
    dtr = providers[providers["difficult_to_replace"].astype(bool)]
    if dtr.empty:
        return empty_flags()
    s = supply(region)
    placed = placed.assign(market=placed["setting_type"].map(PLACEMENT_GROUP_OF_SETTING_TYPE))
    rows = []
    for p in dtr.itertuples(index=False):
        theirs = region.settings[region.settings["provider_id"].eq(p.provider_id)]
        kids = placed[placed["provider_id"].eq(p.provider_id)]
        places_here = s[s["provider_id"].eq(p.provider_id)]
        if kids.empty and places_here.empty:
            continue
        market = (kids["market"].mode().iloc[0] if len(kids) else
                  places_here.groupby("market")["places"].sum().idxmax())
        in_market = placed[placed["market"].eq(market)]
        child_share = len(kids[kids["market"].eq(market)]) / len(in_market) if len(in_market) else 0.0
        independent = s[s["market"].eq(market) & s["independent"]]["places"].sum()
        place_share = places_here[places_here["market"].eq(market)]["places"].sum() / independent if independent else 0
        types = theirs.groupby("setting_type").size().sort_values(ascending=False)
        runs = ", ".join(f"{int(n):,} {types_name(t) if n > 1 else type_name(t)}" for t, n in types.items())
        evidence = (f"{p.provider_name} is designated difficult to replace (the Bill's financial oversight). It runs "
                    f"{runs or 'no settings in the data'}; in the region it holds {pct(place_share)} of the "
                    f"independent places in {market_name(market)} and looks after "
                    f"{pct(child_share)} of "
                    f"the region's children placed there. "
                    + exposure_text(len(kids), kids["weekly_cost"].sum()))
        severity = ("high" if max(child_share, place_share) >= params.dtr_high_share else
                    "medium" if len(kids) else "low")
        action = ("Ask the provider and the DfE's oversight regime for its contingency plan; list the children who "
                  "would need a new home if it failed and where they could go (see the stress test).")
        rows.append((p.provider_id, severity, evidence, action))
    if not rows:
        return empty_flags()
    ids, severity, evidence, action = zip(*rows)
    return flag_frame("difficult_to_replace_exposure", "provider", ids, severity, evidence, action)



def _stake_text(owner: str, children: int, weekly: float) -> str:
    if not children:
        return f"The region has no children with {owner} in this market now."
    return (f"The region has {plural(children, 'child', 'children')} with {owner} in this market at {money(weekly)} a "
            f"week ({money(weekly * WEEKS_PER_YEAR)} a year).")
