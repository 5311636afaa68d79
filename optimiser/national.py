"""The Bill's financial oversight on England's public data (issue 21): which owners of children's homes the
difficult-to-replace rule's market part would pick out nationally, and what a profit cap would do nationally given
the owners' margins.

England is read as one region built from Ofsted's latest provider list (data.public.region, all of today's English
councils), so a setting, a kind of home, an independent owner and a council market mean here exactly what they
mean in a region's flags (optimiser.flags.concentration.supply); the rule's shares are replace.py's own functions.
The region's rule compares an owner with its RCC's region; nationally every one of England's nine regions stands
for an RCC's, so an owner meets the rule's market part when it holds at least `region_share` of one English
region's independent places in a kind of home, or `council_share` of one council's (its share of England is
reported beside: at or above `region_share` it is also at or above it in some region, since England's share is an
average of the regions'). The rule's other parts need the children placed with the owner and a re-housing match:
the public data have neither, so they are not applied, and the table says so.

Ofsted names the company that owns each provider, not its ultimate parent group: a group trading through several
companies is several owners here (a margin table can still add a group's companies up, owner by owner).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.authorities import register
from data.public.ofsted import OfstedProviders
from data.public.read import PublicData
from data.public.region import OWNER_NOT_PUBLISHED, build_public_region
from data.region import Region
from optimiser.flags.common import WEEKS_PER_YEAR, pct, plural
from optimiser.flags.concentration import market_name, supply
from optimiser.flags.params import DEFAULTS_FILE, FlagParams, ReplaceParams
from optimiser.flags.replace import best_shares, counted_council_markets, market_test

NATIONAL_MARKETS = ("childrens_home", "secure", "supported")  # the kinds of home Ofsted lists with places
NATIONAL_REPLACE_COLUMNS = [
    "owner", "owner_name", "sector", "homes", "places", *[f"england_share_{m}" for m in NATIONAL_MARKETS],
    "england_market", "england_share", "region", "region_market", "region_share", "council", "council_market",
    "council_share", "councils_with_places", "councils", "regions_with_places", "geo_council", "geo_share",
    "meets_region_share", "meets_council_share", "not_applied", "evidence", "source"]
NOT_APPLIED = ("children placed with the owner and the re-housing test: the public data have no children's records, "
               "so the rule's last two parts are not applied")


def replace_params() -> ReplaceParams:
    """The designation rule's thresholds as optimiser/flags.toml [replace] sets them for every region."""
    return FlagParams.from_toml(DEFAULTS_FILE).replace


def replace_note(latest: OfstedProviders | None = None, params: ReplaceParams | None = None) -> str:
    """What the national difficult-to-replace table is, and what it cannot be, in one sentence for a report;
    `latest` is the Ofsted list it was made from, when that may name no owners."""
    if latest is not None and not latest.summary.get("owners_listed", True):
        return (f"Difficult to replace, nationally: Ofsted's list at {latest.as_of:%d %B %Y} ({latest.file}) names no "
                "owners (its lists name them from 2019), so no owner can be put forward.")
    p = params or replace_params()
    return (f"Difficult to replace, nationally: the independent owners that meet the designation rule's market part "
            f"(optimiser/flags.toml [replace]) in Ofsted's latest list, by registered places: at least "
            f"{pct(p.region_share, 0)} of one English region's independent places in a kind of home, or "
            f"{pct(p.council_share, 0)} of one council's (a council market of at least "
            f"{plural(p.min_council_places, 'place')}). The public data have no children placed and no re-housing "
            "test, so the rule's other two parts are not applied: these are candidates for the DfE's designation, "
            "not designations. Ofsted names the company owning each home, not its ultimate parent group.")


def england(public: PublicData) -> Region:
    """England as one region from Ofsted's latest list: every registered home of today's English councils and its
    owner, no children (data.public.region)."""
    codes = register().current()["la_code"].tolist()
    built = build_public_region(public, codes, "England")
    t = built.tables
    empty = pd.DataFrame()
    return Region(t["authorities"], t["providers"], t["settings"], t["children"], t["referrals"], empty, empty, empty,
                  cla_annual=t["cla_annual"], source=f"Ofsted {public.latest_ofsted.file}")


def independent_supply(region: Region) -> pd.DataFrame:
    """The region's active independent settings (supply) with each council's English region."""
    s = supply(region)
    s = s[s["independent"]].copy()
    s["places"] = s["places"].fillna(0).astype(float)
    s["region"] = s["la_code"].map(register().table.set_index("la_code")["region_name"])
    return s


def national_replace(public: PublicData, params: ReplaceParams | None = None) -> pd.DataFrame:
    """The independent owners meeting the designation rule's market part somewhere in England
    (NATIONAL_REPLACE_COLUMNS), largest share first."""
    if not public.latest_ofsted.summary.get("owners_listed", True):
        return pd.DataFrame(columns=NATIONAL_REPLACE_COLUMNS)  # replace_note says why
    region = england(public)
    return owners_meeting_rule(independent_supply(region), params or replace_params(),
                               region.authorities.set_index("la_code")["la_name"],
                               f"Ofsted {public.latest_ofsted.file} ({public.latest_ofsted.as_of:%d %B %Y})")


def owners_meeting_rule(s: pd.DataFrame, params: ReplaceParams, names: pd.Series, source: str) -> pd.DataFrame:
    """NATIONAL_REPLACE_COLUMNS for the owners of independent supply `s` (owner, owner_name, sector, la_code, region,
    market, places) meeting the rule's market part; `names` are the councils' names by code."""
    if s.empty:
        return pd.DataFrame(columns=NATIONAL_REPLACE_COLUMNS)
    big = counted_council_markets(s, params)
    by = s.groupby("owner")
    table = pd.DataFrame({"owner_name": by["owner_name"].first(), "sector": by["sector"].agg(lambda x: x.mode()[0]),
                          "homes": by.size(), "places": by["places"].sum().astype(int)})
    kinds = s.pivot_table(index="owner", columns="market", values="places", aggfunc="sum", fill_value=0)
    totals = s.groupby("market")["places"].sum()
    for m in NATIONAL_MARKETS:
        mine = kinds[m] if m in kinds else pd.Series(0.0, index=table.index)
        table[f"england_share_{m}"] = mine.reindex(table.index, fill_value=0) / totals[m] if totals.get(m, 0) \
            else np.nan
    table = table.join(best_shares(s, s, ["market"], "england"))
    table = table.join(best_shares(s, s, ["region", "market"], "region"))
    table = table.join(best_shares(s[big], s[big], ["la_code", "market"], "council"))
    table[["council_market", "council"]] = table[["council_market", "council"]].fillna("")
    table["council"] = table["council"].map(lambda code: str(names.get(code, code)))
    by_council = s.groupby(["owner", "la_code"])["places"].sum().reset_index().sort_values(
        ["owner", "places", "la_code"], ascending=[True, False, True], kind="stable")
    first = by_council.drop_duplicates("owner").set_index("owner")
    table["councils_with_places"] = by_council.groupby("owner").size()
    table["councils"] = by_council.assign(name=by_council["la_code"].map(lambda code: str(names.get(code, code)))) \
        .groupby("owner", sort=False)["name"].agg("; ".join)  # most places first
    table["regions_with_places"] = by["region"].nunique()
    table["geo_council"] = first["la_code"].map(lambda code: str(names.get(code, code)))
    table["geo_share"] = first["places"] / table["places"].where(table["places"] > 0)
    table = table.reset_index()
    # homes whose owner Ofsted does not name count in every market's places, but are nobody's
    table = table[market_test(table["region_share"], table["council_share"], params)
                  & table["owner_name"].ne(OWNER_NOT_PUBLISHED)].copy()
    table["meets_region_share"] = table["region_share"].fillna(0) >= params.region_share
    table["meets_council_share"] = table["council_share"].fillna(0) >= params.council_share
    table["not_applied"] = NOT_APPLIED
    table["evidence"] = [_evidence(r, params) for r in table.itertuples(index=False)]
    table["source"] = source
    table["_top"] = table[["region_share", "council_share"]].max(axis=1)
    table = table.sort_values(["region_share", "_top", "places", "owner_name"],
                              ascending=[False, False, False, True], kind="stable")
    return table[NATIONAL_REPLACE_COLUMNS].reset_index(drop=True)


def _evidence(r, params: ReplaceParams) -> str:
    parts = [f"{r.owner_name} holds {plural(int(r.places), 'independent place')} in "
             f"{plural(int(r.homes), 'home')} in England, {pct(r.england_share)} of England's independent places "
             f"in {market_name(r.england_market)}"]
    if r.region_market:
        met = ": met" if r.meets_region_share else ""
        parts.append(f"{pct(r.region_share)} of {r.region}'s in {market_name(r.region_market)} (the rule: at "
                     f"least {pct(params.region_share, 0)} of a region's{met})")
    if r.council_market:
        met = ": met" if r.meets_council_share else ""
        parts.append(f"{pct(r.council_share)} of {r.council}'s in {market_name(r.council_market)} (the rule: "
                     f"at least {pct(params.council_share, 0)} of a council market of at least "
                     f"{plural(params.min_council_places, 'place')}{met})")
    text = "; ".join(parts) + "."
    text += (f" Its places are in {plural(int(r.councils_with_places), 'council')} and "
             f"{plural(int(r.regions_with_places), 'region')}, {pct(r.geo_share, 0)} of them in {r.geo_council}.")
    return text + (f" The rule's other parts (at least {plural(params.min_children, 'child', 'children')} placed "
                   f"with it, {pct(params.unhoused_share, 0)} of them beyond re-housing) need children's records, "
                   "which the public data do not have: not applied.")


# --- the profit cap, nationally ------------------------------------------------------------------------------------

NATIONAL_CAP_COLUMNS = ["row", "subject", "urn", "owner", "owner_name", "revenue", "margin", "operating_profit",
                        "owner_margin", "fee_cut", "margin_after", "exit_chance", "at_risk", "yearly_saving",
                        "weekly_saving", "homes", "places"]
NATIONAL_AREA_COLUMNS = ["level", "area", "market", "places", "places_capped", "homes_at_risk", "places_at_risk",
                         "share_at_risk"]


@dataclass(frozen=True)
class NationalCap:
    rows: pd.DataFrame  # NATIONAL_CAP_COLUMNS: one per margin table row, with its cut and margin after
    areas: pd.DataFrame  # NATIONAL_AREA_COLUMNS: England, each region and council x kind of home
    summary: dict
    notes: tuple[str, ...]


def national_cap(s: pd.DataFrame, margins: pd.DataFrame, params) -> NationalCap:
    """The cap `params` (optimiser.profit_cap.CapParams) on the owners of a margin table (data.public.margins: one row
    per owner or per home, its margin and revenue), their homes in England's independent supply `s`
    (independent_supply): each owner's excess over the cap is the fees England's councils would save; a home, or an
    owner, whose margin after the cut falls below the exit margin is at risk of leaving, with its places."""
    from optimiser.profit_cap import cut

    table = margins.copy()
    table["operating_profit"] = table["margin"] * table["revenue"]
    table = cut(table, params)
    table["yearly_saving"] = table["revenue"] * table["fee_cut"]
    table["weekly_saving"] = table["yearly_saving"] / WEEKS_PER_YEAR
    homes = _homes_of(table, s)
    count = homes.groupby("row").agg(homes=("setting_id", "size"), places=("places", "sum"))
    table["homes"] = table["row"].map(count["homes"]).fillna(0).astype(int)
    table["places"] = table["row"].map(count["places"]).fillna(0).astype(int)
    at_risk = set(table.loc[table["at_risk"], "row"])
    s = s.assign(capped=s["owner"].isin(set(table.loc[table["fee_cut"] > 0, "owner"])),
                 at_risk=s["setting_id"].isin(set(homes.loc[homes["row"].isin(at_risk), "setting_id"])))
    staying = table[~table["at_risk"]]
    summary = {"cap": params.cap, "exit_margin": params.exit_margin, "rows": len(table),
               "owners": int(table["owner"].nunique()),
               "owners_capped": int(table.loc[table["fee_cut"] > 0, "owner"].nunique()),
               "yearly_saving": round(float(staying["yearly_saving"].sum()), 2),
               "weekly_saving": round(float(staying["weekly_saving"].sum()), 2),
               "yearly_saving_if_none_leave": round(float(table["yearly_saving"].sum()), 2),
               "expected_yearly_saving": round(float((table["yearly_saving"] * (1 - table["exit_chance"])).sum()), 2),
               "at_risk": int(table["at_risk"].sum()), "homes_at_risk": int(s["at_risk"].sum()),
               "places_at_risk": int(s.loc[s["at_risk"], "places"].sum()),
               "places_of_owners_given": int(s.loc[s["owner"].isin(set(table["owner"])), "places"].sum()),
               "independent_places": int(s["places"].sum())}
    notes = ("The saving is the fees the cap would take off each owner's revenue: all of it from the children's "
             "homes it runs, bought by England's councils (the public data do not say which council pays what).",
             "Owners without a row in the margin table are not capped; the table's margins and revenues are as given "
             "(Ofsted publishes no accounts).",
             "No children's records: the children living in homes at risk, and where they could go, are not known.")
    return NationalCap(table[NATIONAL_CAP_COLUMNS], _cap_areas(s), summary, notes)


def _homes_of(table: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    """Each margin table row's homes: the home itself for a row by URN, every home of the owner for a row by owner."""
    by_home = table[table["subject"].eq("home")][["row", "urn"]].merge(s, left_on="urn", right_on="setting_id")
    by_owner = table[table["subject"].eq("owner")][["row", "owner"]].merge(s, on="owner")
    return pd.concat([by_home, by_owner], ignore_index=True)[["row", "setting_id", "places"]]


def _cap_areas(s: pd.DataFrame) -> pd.DataFrame:
    names = register().table.set_index("la_code")["la_name"]
    s = s.assign(council=s["la_code"].map(names), england="England",
                 places_capped_=s["places"] * s["capped"], places_at_risk_=s["places"] * s["at_risk"])
    frames = []
    for level, key in (("england", "england"), ("region", "region"), ("council", "council")):
        for market in (True, False):
            keys = [key, "market"] if market else [key]
            g = s.groupby(keys).agg(places=("places", "sum"), places_capped=("places_capped_", "sum"),
                                    homes_at_risk=("at_risk", "sum"), places_at_risk=("places_at_risk_", "sum"))
            g = g.reset_index().rename(columns={key: "area"})
            frames.append(g.assign(level=level, market=g["market"] if market else "all"))
    out = pd.concat(frames, ignore_index=True)
    out["share_at_risk"] = out["places_at_risk"] / out["places"].where(out["places"] > 0)
    for column in ("places", "places_capped", "homes_at_risk", "places_at_risk"):
        out[column] = out[column].astype(int)
    order = {"england": 0, "region": 1, "council": 2}
    out = out.sort_values(["level", "area", "market"], key=lambda c: c.map(order) if c.name == "level" else c)
    return out[NATIONAL_AREA_COLUMNS].reset_index(drop=True)
