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
- homes that joined and left the register between consecutive files;
- the owners meeting the difficult-to-replace rule's market part nationally in the latest list
  (optimiser.national: its settings are the public region's, supported accommodation included and short-break
  homes not, as in a region's flags).

"Children's homes" are Ofsted's "all children's homes": children's homes, secure children's homes and residential
special schools registered as children's homes, short-break homes included, as Ofsted counts them. Each figure
carries the file and date it comes from (`*_source` columns).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.authorities import RCC_NAMES, RCCS, register
from data.public.ofsted import CHILDRENS_HOME_KINDS, OfstedProviders
from data.public.read import PublicData
from optimiser.flags.concentration import owner_concentration
from optimiser.national import NATIONAL_REPLACE_COLUMNS, national_replace, replace_note

INDEPENDENT_SECTORS = ("private", "voluntary", "health_authority")
COUNT_COLUMNS = ["homes", "places", "places_private", "places_local_authority", "places_voluntary",
                 "places_health_authority"]
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
    # owners meeting the difficult-to-replace rule's market part in England's latest list (optimiser.national)
    difficult_to_replace: pd.DataFrame = field(default_factory=pd.DataFrame)


def area_rows(market: Market, codes, name: str) -> pd.DataFrame:
    """Per year, the figures of a set of councils: the RCC's own row when the set is an RCC pathfinder, else the
    councils' figures summed (a total only where no council's figure is missing; no owner concentration)."""
    codes = set(codes)
    for key, members in RCCS.items():
        if set(members) == codes:
            return market.areas[market.areas["level"].eq("rcc") & market.areas["area_code"].eq(key)]
    part = market.councils[market.councils["la_code"].isin(codes)]
    rows = []
    for year, frame in part.groupby("year"):
        row = {"level": "councils", "area_code": "", "area_name": name, "year": year, "councils": len(frame)}
        row |= {c: float(frame[c].sum()) for c in COUNT_COLUMNS}
        row |= {c: float(frame[c].sum()) if frame[c].notna().all() else np.nan
                for c in ("population_0_17", *DFE_MEASURES)}
        rows.append(row)
    return _with_rates(pd.DataFrame(rows)) if rows else pd.DataFrame()


def market_picture(public: PublicData) -> Market:
    """Every table of England's market from a folder of public data (read with data.public.read)."""
    if not public.ofsted:
        raise ValueError(f"no Ofsted provider list in {public.folder / 'ofsted'}: the market picture needs at least "
                         "one ('Children's social care data in England', provider level)")
    homes = pd.concat([_homes(o) for o in public.ofsted], ignore_index=True)
    coverage = {o.as_of.year: _coverage(o) for o in public.ofsted}
    councils = _councils(homes, public, coverage)
    areas = _areas(homes, councils, public, coverage)
    everywhere = all(national for _, national, _ in coverage.values())
    owners = _owners(homes if everywhere else homes.iloc[:0])
    changes = _changes(public.ofsted)
    if not everywhere:
        changes = changes[changes["level"].ne("england")].reset_index(drop=True)
    latest = max(coverage)
    replace = national_replace(public) if coverage[latest][1] else pd.DataFrame(columns=NATIONAL_REPLACE_COLUMNS)
    notes = _notes(public, coverage) + ((replace_note(public.latest_ofsted),) if coverage[latest][1] else ())
    return Market(councils, areas, owners, changes, public.sources(), notes, replace)


NATIONAL_COVERAGE = 0.95  # a list naming providers in this share of the councils is England's whole list


def _coverage(ofsted: OfstedProviders) -> tuple[set[str], bool, set[str]]:
    """The councils a provider list covers (any provider located there), whether it is England's whole list, and
    the councils in force at its date.
    An extract of some councils' rows must not read as England with no homes anywhere else."""
    in_force = {c for c in register().in_force(ofsted.as_of) if register().row(c)["country"] == "england"}
    covered = set(ofsted.table["la_code"]) & in_force
    national = len(covered) >= NATIONAL_COVERAGE * len(in_force)
    return (in_force if national else covered), national, in_force


def _homes(ofsted: OfstedProviders) -> pd.DataFrame:
    """Ofsted's children's homes in England at one date, with where they are and who owns them."""
    s = ofsted.supply
    s = s[s["kind"].isin(CHILDRENS_HOME_KINDS) & register().english(s["la_code"])]
    return s.assign(year=ofsted.as_of.year, as_of=ofsted.as_of.isoformat(),
                    owners_listed=ofsted.summary.get("owners_listed", True),
                    owner_name=s["owner"].where(s["owner"].ne(""), "owner not published (URN " + s["urn"] + ")"),
                    source=f"Ofsted {ofsted.file} ({ofsted.as_of:%d %B %Y})")


def _councils(homes: pd.DataFrame, public: PublicData, coverage: dict) -> pd.DataFrame:
    """One row per council each list covers, as councils were at its date (Northamptonshire until 2021, its two
    successors after), with its homes, places and the DfE's and ONS's figures for it."""
    known = register().table.set_index("la_code")
    grid = pd.DataFrame([(code, year) for year, (covered, _, _) in coverage.items() for code in sorted(covered)],
                        columns=["la_code", "year"])
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
    table[COUNT_COLUMNS] = table[COUNT_COLUMNS].fillna(0)
    table.insert(1, "la_name", table["la_code"].map(known["la_name"]))
    table.insert(2, "region", table["la_code"].map(known["region_name"]))
    table = _with_rates(_with_dfe(_with_population(table, public), public))
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
    """The DfE's figure for each council at 31 March of the list's year, or the latest year before it; each
    figure with its own year and source file (`<column>_year`, `<column>_source`)."""
    for column in DFE_MEASURES:
        table[column], table[f"{column}_year"], table[f"{column}_source"] = np.nan, np.nan, ""
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
            codes = table.loc[here, "la_code"]
            table.loc[here, column] = codes.map(latest["value"])
            table.loc[here, f"{column}_year"] = codes.map(latest["year"])
            table.loc[here, f"{column}_source"] = codes.map(latest["source"]).fillna("")
    return table


def _areas(homes: pd.DataFrame, councils: pd.DataFrame, public: PublicData, coverage: dict) -> pd.DataFrame:
    """Regions, the RCC pathfinders and England: council figures summed, owners' concentration recomputed; an
    area only in the years its every council is covered."""
    table = register().table
    groups = [("england", "E92000001", "England", table["country"].eq("england"))]
    for name in sorted(table.loc[table["country"].eq("england"), "region_name"].unique()):
        code = table.loc[table["region_name"].eq(name), "region_code"].iloc[0]
        groups.append(("region", code, name, table["region_name"].eq(name)))
    for key, members in RCCS.items():
        groups.append(("rcc", key, RCC_NAMES[key], table["la_code"].isin(members)))
    counts = COUNT_COLUMNS
    published = _published_area_figures(public)
    rows = []
    for level, code, name, members in groups:
        members = set(table.loc[members, "la_code"])
        part = councils[councils["la_code"].isin(members)]
        for year, frame in part.groupby("year"):
            covered, national, in_force = coverage[year]
            if (level == "england" and not national) or not (members & in_force) <= covered:
                continue
            row = {"level": level, "area_code": code, "area_name": name, "year": year, "councils": len(frame)}
            row |= {c: float(frame[c].sum()) for c in counts}
            # a total over councils is only a total when no council's figure is missing (suppressed or not
            # published): a partial sum would understate the area, so it is left blank instead
            row |= {c: float(frame[c].sum()) if frame[c].notna().all() else np.nan
                    for c in ("population_0_17", *DFE_MEASURES)}
            for column in DFE_MEASURES:
                measure_year = frame[f"{column}_year"].max()
                row[f"{column}_year"] = measure_year
                if (code, measure_year) in published and column in published[(code, measure_year)]:
                    row[column] = published[(code, measure_year)][column]
            here = homes[homes["year"].eq(year) & homes["la_code"].isin(frame["la_code"])]
            independent = here[here["sector"].isin(INDEPENDENT_SECTORS)]
            row |= owner_concentration(independent.groupby("provider_id")["places"].sum(),
                                       independent.groupby("provider_id")["owner_name"].first())
            row["owners_known"] = bool(here["owners_listed"].all()) if len(here) else True
            row["source"] = frame["source"].dropna().iloc[0] if frame["source"].notna().any() else ""
            rows.append(row)
    table = _with_rates(pd.DataFrame(rows))
    unknown = ~table["owners_known"]
    table.loc[unknown, ["owners", "hhi", "top3_share", "top_share"]] = np.nan
    table.loc[unknown, ["top_owner", "top_owner_name"]] = ""
    return table


def _published_area_figures(public: PublicData) -> dict[tuple[str, float], dict[str, float]]:
    """(area code, year) -> the DfE's own figures for England and the regions, where it publishes them: exact
    where a sum of councils would hit a suppressed cell."""
    if public.dfe is None:
        return {}
    series = public.dfe.table
    series = series[series["level"].isin(["national", "regional"]) & series["value"].notna()]
    found: dict = {}
    for column, (measure, group) in DFE_MEASURES.items():
        cells = series[series["measure"].eq(measure) & series["group"].eq(group)]
        for r in cells.itertuples(index=False):
            found.setdefault((r.area_code, float(r.year)), {})[column] = float(r.value)
    return found


def _owners(homes: pd.DataFrame) -> pd.DataFrame:
    """The national owners of children's homes, per year; rank and growth for the largest in the latest year."""
    named = homes[homes["owners_listed"]]
    if named.empty:
        return pd.DataFrame(columns=["year", "owner", "sector", "homes", "places", "share", "rank"])
    table = (named.groupby(["year", "provider_id"])
             .agg(owner=("owner_name", "first"), sector=("sector", "first"), homes=("urn", "size"),
                  places=("places", "sum"), councils=("la_code", "nunique"), source=("source", "first"))
             .reset_index())
    table["share"] = table["places"] / table.groupby("year")["places"].transform("sum")
    table["rank"] = table.groupby("year")["places"].rank(ascending=False, method="min").astype(int)
    latest = table["year"].max()
    first = table["year"].min()
    top = table[table["year"].eq(latest)].nsmallest(TOP_OWNERS, "rank")["provider_id"]
    start = table[table["year"].eq(first)].set_index("provider_id")
    table["first_year"] = first
    table["homes_first_year"] = table["provider_id"].map(start["homes"]).fillna(0)
    table["places_first_year"] = table["provider_id"].map(start["places"]).fillna(0)
    table["largest_now"] = table["provider_id"].isin(top)
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


def _notes(public: PublicData, coverage: dict) -> tuple[str, ...]:
    partial = sorted(year for year, (_, national, _) in coverage.items() if not national)
    notes = ([f"The provider lists read ({public.folder}) cover some councils only (those with a provider in the "
              f"file, in {', '.join(map(str, partial))}): England's figures and owner rankings need Ofsted's whole "
              "list."] if partial else []) + [
             "Children's homes are Ofsted's 'all children's homes' (secure homes and residential special schools "
             "registered as children's homes included); places as registered, not vacancies, which are not "
             "published.",
             "Sufficiency ratio: places in homes located in the council (Ofsted, 31 March) per child the council "
             "looks after in a children's home (DfE, 31 March of that year or the latest year before it). The DfE's "
             "group counted semi-independent hostels with children's homes until 2017.",
             "Concentration is over independent places (private, voluntary, health authority): HHI on 0-10,000, "
             "above 2,500 a highly concentrated market."]
    missing_owner = [o for o in public.ofsted if not o.summary.get("owners_listed", True)]
    if missing_owner:
        notes.append("No owner column in " + ", ".join(o.file for o in missing_owner)
                     + ": owners and concentration are not shown for those years.")
    if any(o.summary.get("added_from_places_sheet") for o in public.ofsted):
        notes.append("Homes the provider-level sheet leaves out (no full inspection yet) were added from the same "
                     "workbook's providers-and-places sheet.")
    return tuple(notes)


def _with_rates(table: pd.DataFrame) -> pd.DataFrame:
    """The rates every area row carries, from its counts (one definition for councils, regions and England)."""
    table["private_share"] = _ratio(table["places_private"], table["places"])
    table["places_per_10k"] = _ratio(table["places"] * PER_CHILDREN, table["population_0_17"])
    table["sufficiency_ratio"] = _ratio(table["places"], table["children_in_homes"])
    table["outside_la_share"] = _ratio(table["children_placed_outside_la"], table["children_looked_after"])
    table["over_20_miles_share"] = _ratio(table["children_placed_over_20_miles"], table["children_looked_after"])
    return table


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    numerator, denominator = numerator.astype(float), denominator.astype(float)
    return (numerator / denominator).where(denominator > 0)
