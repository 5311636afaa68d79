"""England's market in children's homes from published data: per council, per region and for England, every year
the Ofsted and DfE files cover.

The questions are the ones a regional commissioner and the DfE ask of the market:
- how many homes and places each area has, by sector and by owner, and per 10,000 children (ONS population);
- the local sufficiency ratio: children's home places located in a council (Ofsted, 31 March) per child the
  council itself looks after in a children's home (DfE, 31 March the same year, or the latest year published
  before it). Below 1, the council's own children outnumber the places in its area; far above 1, its area
  houses other councils' children;
- how often children live away from home: the DfE's share of children looked after placed outside their
  council's boundary and more than 20 miles from home;
- who owns the places: HHI and the top three owners' share of independent places (private, voluntary, health:
  councils' own homes are not a market they buy in, as in rcc's flags), per region and nationally, and the
  largest owners' growth since the first year whose file names owners (2017's does not);
- homes that joined and left the register between consecutive files.

"Children's homes" are Ofsted's "all children's homes": children's homes, secure children's homes and residential
special schools registered as children's homes, short-break homes included, as Ofsted counts them. Each figure
carries the file and date it comes from (`*_source` columns).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.authorities import RCC_NAMES, RCCS, register
from data.public.ofsted import CHILDRENS_HOME_KINDS, OfstedProviders
from data.public.read import PublicData
from optimiser.flags.concentration import owner_concentration

INDEPENDENT_SECTORS = ("private", "voluntary", "health_authority")
TOP_OWNERS = 10
PER_CHILDREN = 10_000


@dataclass(frozen=True)
class Market:
    councils: pd.DataFrame  # council x year: homes, places, sectors, per 10k, sufficiency, away from home
    areas: pd.DataFrame  # region / RCC / England x year: the same summed, with owner concentration
    owners: pd.DataFrame  # owner x year: homes and places nationally, share, rank
    changes: pd.DataFrame  # area x pair of years: homes joined and left, places joined and left
    sources: dict  # publication -> files read
    notes: tuple[str, ...]  # caveats the report prints beside the figures


def market_picture(public: PublicData) -> Market:
    """Every table of England's market from a folder of public data (read with data.public.read)."""
    if not public.ofsted:
        raise ValueError(f"no Ofsted provider list in {public.folder / 'ofsted'}: the market picture needs at least "
                         "one ('Children's social care data in England', provider level)")
    homes = pd.concat([_homes(o) for o in public.ofsted], ignore_index=True)
    councils = _councils(homes, public)
    areas = _areas(homes, councils)
    owners = _owners(homes)
    changes = _changes(public.ofsted)
    return Market(councils, areas, owners, changes, public.sources(), _notes(public))


def _homes(ofsted: OfstedProviders) -> pd.DataFrame:
    """Ofsted's children's homes in England at one date, with where they are and who owns them."""
    s = ofsted.supply
    s = s[s["kind"].isin(CHILDRENS_HOME_KINDS) & register().english(s["la_code"])]
    return s.assign(year=ofsted.as_of.year, as_of=ofsted.as_of.isoformat(),
                    source=f"Ofsted {ofsted.file} ({ofsted.as_of:%d %B %Y})")


def _councils(homes: pd.DataFrame, public: PublicData) -> pd.DataFrame:
    known = register().current().set_index("la_code")
    years = sorted(homes["year"].unique())
    grid = pd.MultiIndex.from_product([known.index, years], names=["la_code", "year"]).to_frame(index=False)
    by = homes.groupby(["la_code", "year"])
    sector_places = homes.pivot_table(index=["la_code", "year"], columns="sector", values="places", aggfunc="sum")
    table = grid.merge(by.agg(homes=("urn", "size"), places=("places", "sum"),
                              source=("source", "first")).reset_index(), on=["la_code", "year"], how="left")
    table = table.merge(sector_places.reset_index(), on=["la_code", "year"], how="left")
    for sector in ("private", "local_authority", "voluntary", "health_authority"):
        if sector not in table:
            table[sector] = 0.0
    table = table.rename(columns={s: f"places_{s}" for s in ("private", "local_authority", "voluntary",
                                                              "health_authority")})
    sources = homes.groupby("year")["source"].first()
    table["source"] = table["year"].map(sources)
    counts = ["homes", "places", "places_private", "places_local_authority", "places_voluntary",
              "places_health_authority"]
    table[counts] = table[counts].fillna(0)
    table.insert(1, "la_name", table["la_code"].map(known["la_name"]))
    table.insert(2, "region", table["la_code"].map(known["region_name"]))
    table["private_share"] = _ratio(table["places_private"], table["places"])
    table = _with_population(table, public)
    table = _with_dfe(table, public)
    table["places_per_10k"] = _ratio(table["places"] * PER_CHILDREN, table["population_0_17"])
    table["sufficiency_ratio"] = _ratio(table["places"], table["children_in_homes"])
    table["outside_la_share"] = _ratio(table["children_placed_outside_la"], table["children_looked_after"])
    table["over_20_miles_share"] = _ratio(table["children_placed_over_20_miles"], table["children_looked_after"])
    return table.sort_values(["year", "la_code"]).reset_index(drop=True)


def _with_population(table: pd.DataFrame, public: PublicData) -> pd.DataFrame:
    table["population_0_17"] = np.nan
    table["population_source"] = ""
    if public.population is None or public.population.empty:
        return table
    pop = public.population
    for year in table["year"].unique():
        # mid-year estimates: the one before 31 March of the year, else the latest published
        usable = pop[pop["year"] <= year - 1]
        usable = usable if len(usable) else pop
        latest = usable.sort_values("year").groupby("la_code").tail(1).set_index("la_code")
        here = table["year"].eq(year)
        table.loc[here, "population_0_17"] = table.loc[here, "la_code"].map(latest["population_0_17"])
        table.loc[here, "population_source"] = table.loc[here, "la_code"].map(latest["year"]).map(
            lambda y: f"ONS mid-{int(y)} estimate, {public._population_file}" if pd.notna(y) else "")
    return table


DFE_MEASURES = {  # column -> (measure, group)
    "children_looked_after": ("looked_after", "all"),
    "children_in_homes": ("looked_after", "childrens_home"),
    "children_placed_outside_la": ("placed_outside_la", "all"),
    "children_placed_over_20_miles": ("placed_over_20_miles", "all"),
}


def _with_dfe(table: pd.DataFrame, public: PublicData) -> pd.DataFrame:
    """The DfE's figure for each council at 31 March of the year, or the latest year before it (named)."""
    for column in (*DFE_MEASURES, "dfe_year", "dfe_source"):
        table[column] = np.nan if column not in ("dfe_source",) else ""
    if public.dfe is None:
        return table
    series = public.dfe.table
    series = series[series["level"].eq("la")]
    for column, (measure, group) in DFE_MEASURES.items():
        cells = series[series["measure"].eq(measure) & series["group"].eq(group) & series["value"].notna()]
        for year in table["year"].unique():
            usable = cells[cells["year"] <= year]
            if usable.empty:
                continue
            latest = usable.sort_values("year").groupby("area_code").tail(1).set_index("area_code")
            here = table["year"].eq(year)
            table.loc[here, column] = table.loc[here, "la_code"].map(latest["value"])
            if column == "children_in_homes":
                table.loc[here, "dfe_year"] = table.loc[here, "la_code"].map(latest["year"])
                table.loc[here, "dfe_source"] = table.loc[here, "la_code"].map(
                    latest["source"] + " (" + latest["year"].astype(str) + ")").fillna("")
    return table


def _areas(homes: pd.DataFrame, councils: pd.DataFrame) -> pd.DataFrame:
    """Regions, the RCC pathfinders and England: council figures summed, owners' concentration recomputed."""
    groups = [("england", "E92000001", "England", councils["la_code"].notna())]
    for name, rows in councils.groupby("region"):
        code = register().table.loc[register().table["region_name"].eq(name), "region_code"].iloc[0]
        groups.append(("region", code, name, councils["region"].eq(name)))
    for key, members in RCCS.items():
        groups.append(("rcc", key, RCC_NAMES[key], councils["la_code"].isin(members)))
    sums = ["homes", "places", "places_private", "places_local_authority", "places_voluntary",
            "places_health_authority", "population_0_17", *DFE_MEASURES]
    rows = []
    for level, code, name, mask in groups:
        part = councils[mask]
        for year, frame in part.groupby("year"):
            row = {"level": level, "area_code": code, "area_name": name, "year": year, "councils": len(frame)}
            row |= {c: float(frame[c].sum(min_count=1)) for c in sums}
            here = homes[homes["year"].eq(year) & homes["la_code"].isin(frame["la_code"])]
            independent = here[here["sector"].isin(INDEPENDENT_SECTORS)]
            row |= owner_concentration(independent.groupby("owner_key")["places"].sum(),
                                       independent.groupby("owner_key")["owner"].first())
            row["owners_known"] = bool(independent["owner_key"].ne("").all()) if len(independent) else True
            row["source"] = frame["source"].dropna().iloc[0] if frame["source"].notna().any() else ""
            rows.append(row)
    table = pd.DataFrame(rows)
    table["private_share"] = _ratio(table["places_private"], table["places"])
    table["places_per_10k"] = _ratio(table["places"] * PER_CHILDREN, table["population_0_17"])
    table["sufficiency_ratio"] = _ratio(table["places"], table["children_in_homes"])
    table["outside_la_share"] = _ratio(table["children_placed_outside_la"], table["children_looked_after"])
    table["over_20_miles_share"] = _ratio(table["children_placed_over_20_miles"], table["children_looked_after"])
    unknown = ~table["owners_known"]
    table.loc[unknown, ["owners", "hhi", "top3_share", "top_share"]] = np.nan
    table.loc[unknown, "top_owner"] = ""
    return table


def _owners(homes: pd.DataFrame) -> pd.DataFrame:
    """The national owners of children's homes, per year; rank and growth for the largest in the latest year."""
    named = homes[homes["owner_key"].ne("")]
    if named.empty:
        return pd.DataFrame(columns=["year", "owner", "sector", "homes", "places", "share", "rank"])
    table = (named.groupby(["year", "owner_key"])
             .agg(owner=("owner", "first"), sector=("sector", "first"), homes=("urn", "size"),
                  places=("places", "sum"), councils=("la_code", "nunique"), source=("source", "first"))
             .reset_index())
    table["share"] = table["places"] / table.groupby("year")["places"].transform("sum")
    table["rank"] = table.groupby("year")["places"].rank(ascending=False, method="min").astype(int)
    latest = table["year"].max()
    first = table["year"].min()
    top = table[table["year"].eq(latest)].nsmallest(TOP_OWNERS, "rank")["owner_key"]
    start = table[table["year"].eq(first)].set_index("owner_key")
    table["first_year"] = first
    table["homes_first_year"] = table["owner_key"].map(start["homes"]).fillna(0)
    table["places_first_year"] = table["owner_key"].map(start["places"]).fillna(0)
    table["largest_now"] = table["owner_key"].isin(top)
    return table.sort_values(["year", "rank", "owner"]).reset_index(drop=True)


def _changes(lists: tuple[OfstedProviders, ...]) -> pd.DataFrame:
    """Homes in one file and not the next (left) or the reverse (joined), by area, between consecutive files."""
    rows = []
    for before, after in zip(lists, lists[1:]):
        a, b = _homes(before), _homes(after)
        joined = b[~b["urn"].isin(a["urn"])]
        left = a[~a["urn"].isin(b["urn"])]
        for level, key in (("council", "la_code"), ("england", None)):
            groups = [("E92000001", joined, left)] if key is None else [
                (code, joined[joined[key].eq(code)], left[left[key].eq(code)])
                for code in sorted(set(joined[key]) | set(left[key]))]
            for code, j, lf in groups:
                rows.append({"level": level, "area_code": code, "from_year": before.as_of.year,
                             "to_year": after.as_of.year, "homes_joined": len(j), "places_joined": j["places"].sum(),
                             "homes_left": len(lf), "places_left": lf["places"].sum(),
                             "private_joined": int(j["sector"].eq("private").sum()),
                             "source": f"Ofsted {before.file} and {after.file}"})
    table = pd.DataFrame(rows, columns=["level", "area_code", "from_year", "to_year", "homes_joined",
                                        "places_joined", "homes_left", "places_left", "private_joined", "source"])
    table["net_homes"] = table["homes_joined"] - table["homes_left"]
    return table


def _notes(public: PublicData) -> tuple[str, ...]:
    notes = ["Children's homes are Ofsted's 'all children's homes' (secure homes and residential special schools "
             "registered as children's homes included); places as registered, not vacancies, which are not "
             "published.",
             "Sufficiency ratio: places in homes located in the council (Ofsted, 31 March) per child the council "
             "looks after in a children's home (DfE, 31 March of that year or the latest year before it). The DfE's "
             "group counted semi-independent hostels with children's homes until 2017.",
             "Concentration is over independent places (private, voluntary, health authority): HHI on 0-10,000, "
             "above 2,500 a highly concentrated market."]
    missing_owner = [o for o in public.ofsted if o.summary.get("childrens_home_owners") is None]
    if missing_owner:
        notes.append("No owner column in " + ", ".join(o.file for o in missing_owner)
                     + ": owners and concentration are not shown for those years.")
    if any(o.summary.get("added_from_places_sheet") for o in public.ofsted):
        notes.append("Homes the provider-level sheet leaves out (no full inspection yet) were added from the same "
                     "workbook's providers-and-places sheet.")
    return tuple(notes)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    numerator, denominator = numerator.astype(float), denominator.astype(float)
    return (numerator / denominator).where(denominator > 0)
