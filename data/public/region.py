"""A region folder built from published data alone, for any set of councils: what rcc can know of a region's
supply and demand without a single child's record.

- authorities: real names and ONS codes, label points (ONS) and children aged 0-17 (ONS);
- providers: the owners of the region's homes and the fostering agencies based there (Ofsted's owner column:
  the company, which is both provider and parent group, since Ofsted does not name ultimate owners);
- settings: every registered children's home, secure children's home, residential special school registered
  as a children's home and supported accommodation service in the councils (Ofsted's latest list), placed at
  the council's label point and marked `location_approximate` (addresses are redacted). Vacancies and fees are
  not published: they are blank, and rcc treats them as unknown, never as zero;
- cla_annual: the DfE's yearly children looked after per council (the demand history a public region has);
- boundaries.geojson: the councils' real boundaries (ONS), which the dashboard's map uses.

There are no children and no referrals: those are a council's own records. The folder says so in
`public_region.json` and README.md, with every source file and what it would take to match or forecast.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data.authorities import register
from data.public.ofsted import KINDS
from data.public.read import PublicData
from data.schema import TABLES

SUPPORTED_AGES = (16, 17)
OWNERSHIP_BY_SECTOR = {"local_authority": "council", "voluntary": "charity", "health_authority": "nhs",
                       "private": "other"}
NOT_PUBLISHED = ("vacancies (places free now)", "weekly fees", "the needs each home meets", "staffing ratios",
                 "exact locations (addresses are redacted; settings sit at their council's label point)",
                 "ultimate owners (Ofsted names the company that owns the provider)", "provider accounts")
WHAT_TO_ADD = {
    "match": "referrals.csv (the children who need a home now) and, for every setting they could go to, its "
             "vacancies in settings.csv",
    "forecast": "the councils' SSDA903 returns (header.csv, episodes.csv): the yearly figures in cla_annual.csv "
                "cannot drive a monthly forecast",
    "flags on placements": "children.csv (where each child lives and what is paid)",
}


@dataclass(frozen=True)
class PublicRegion:
    name: str
    tables: dict[str, pd.DataFrame]  # rcc's input tables, by table name
    boundaries: object | None  # GeoDataFrame of the councils, or None
    about: dict  # sources, dates, counts and what is not there


def council_codes(codes: Sequence[str]) -> list[str]:
    """Today's English councils for the codes given; ValueError naming every code that is not one."""
    known = register()
    current = set(known.current()["la_code"])
    problems = []
    for code in codes:
        if code not in current:
            hint = known.abolished_note(code) if code in known.table["la_code"].values else known.suggest(code)
            problems.append(f"{code}" + (f" ({hint})" if hint else ": not an English council's ONS code"))
    if problems:
        raise ValueError("not today's English councils: " + "; ".join(problems))
    return list(dict.fromkeys(codes))


def build_public_region(public: PublicData, codes: Sequence[str], name: str) -> PublicRegion:
    codes = council_codes(codes)
    ofsted = public.latest_ofsted
    if ofsted is None:
        raise ValueError(f"no Ofsted provider list found in {public.folder / 'ofsted'}: download 'Children's social "
                         "care data in England' (provider level) from Ofsted's statistics page")
    authorities = _authorities(public, codes)
    listed = ofsted.supply[ofsted.supply["la_code"].isin(codes)]
    homes = listed[listed["setting_type"].ne("") & listed["kind"].map(lambda k: KINDS[k][2])]
    short_breaks = homes["short_breaks_only"].fillna(False).astype(bool)
    settings = _settings(homes[~short_breaks], authorities)
    every = ofsted.table[ofsted.table["la_code"].isin(codes) & ofsted.table["registration_status"].isin(
        ["active", "suspended"])]
    agencies = every[every["kind"].eq("foster_agency")]
    providers = _providers(pd.concat([homes[~short_breaks], agencies]))
    annual = public.dfe.for_councils(codes) if public.dfe is not None else _empty("cla_annual")
    boundaries = None
    if public.boundaries is not None:
        boundaries = public.boundaries[public.boundaries["la_code"].isin(codes)].reset_index(drop=True)
    tables = {"authorities": authorities, "providers": providers, "settings": settings,
              "children": _empty("children"), "referrals": _empty("referrals"), "cla_annual": annual}
    about = {
        "region": name, "councils": len(codes), "built_from": str(public.folder),
        "sources": public.sources(),
        "supply_as_of": ofsted.as_of.isoformat(),
        "settings": len(settings), "places": int(settings["places"].sum()),
        "by_type": settings.groupby("setting_type")["places"].agg(["size", "sum"]).rename(
            columns={"size": "settings", "sum": "places"}).astype(int).to_dict("index"),
        "fostering_agencies": len(agencies),
        "left_out": {"short_breaks_only_homes": int(short_breaks.sum()),
                     "not_commissioned": int((ofsted.table["la_code"].isin(codes) & ~ofsted.table["in_supply"]
                                              & ofsted.table["kind"].ne("foster_agency")).sum())},
        "cla_annual_years": sorted(int(y) for y in annual["year"].unique()) if len(annual) else [],
        "boundaries": boundaries is not None and len(boundaries) == len(codes),
        "not_published": list(NOT_PUBLISHED),
        "no_children": "A region built from public data has no children and no referrals.",
        "to_add": WHAT_TO_ADD,
    }
    return PublicRegion(name, tables, boundaries, about)


def _authorities(public: PublicData, codes: list[str]) -> pd.DataFrame:
    known = register().table.set_index("la_code")
    frame = pd.DataFrame({"la_code": codes, "la_name": [known.at[c, "la_name"] for c in codes],
                          "lat": [known.at[c, "lat"] for c in codes], "lon": [known.at[c, "lon"] for c in codes]})
    frame["population_0_17"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    if public.population is not None and len(public.population):
        population = public.population[public.population["la_code"].isin(codes)]
        latest = population.sort_values("year").groupby("la_code").tail(1).set_index("la_code")
        frame["population_0_17"] = frame["la_code"].map(latest["population_0_17"]).round().astype("Int64")
    return frame


def _settings(homes: pd.DataFrame, authorities: pd.DataFrame) -> pd.DataFrame:
    point = authorities.set_index("la_code")
    supported = homes["setting_type"].eq("supported_accommodation")
    frame = pd.DataFrame({
        "setting_id": homes["urn"], "provider_id": homes["provider_id"], "setting_type": homes["setting_type"],
        "registration_status": homes["registration_status"], "la_code": homes["la_code"],
        "lat": homes["la_code"].map(point["lat"]), "lon": homes["la_code"].map(point["lon"]),
        "places": homes["places"].round().astype("Int64"),
        "vacancies": pd.array([pd.NA] * len(homes), dtype="Int64"),
        "age_min": supported.map({True: SUPPORTED_AGES[0], False: 0}),
        "age_max": supported.map({True: SUPPORTED_AGES[1], False: 17}),
        "ofsted_grade": homes["ofsted_grade"], "location_approximate": True,
        "setting_name": homes["setting_name"],
    })
    return frame.sort_values(["la_code", "setting_type", "setting_id"], kind="stable").reset_index(drop=True)


# The owner of homes whose row in Ofsted's list names none (all of them before 2019): one placeholder, never an owner.
OWNER_NOT_PUBLISHED = "owner not published"


def _providers(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per owner: its most frequent spelling and sector (an owner can run homes in several councils)."""
    if rows.empty:
        return _empty("providers")
    first = (rows.groupby(["provider_id", "owner"]).size().rename("n").reset_index()
             .sort_values(["provider_id", "n", "owner"], ascending=[True, False, True])
             .drop_duplicates("provider_id").set_index("provider_id")["owner"])
    sector = (rows.groupby(["provider_id", "sector"]).size().rename("n").reset_index()
              .sort_values(["provider_id", "n", "sector"], ascending=[True, False, True])
              .drop_duplicates("provider_id").set_index("provider_id")["sector"])
    name = first.where(first.ne(""), OWNER_NOT_PUBLISHED)
    return pd.DataFrame({"provider_id": first.index, "provider_name": name.to_numpy(),
                         "sector": sector.reindex(first.index).to_numpy(), "parent_group": name.to_numpy(),
                         "ownership": sector.reindex(first.index).map(OWNERSHIP_BY_SECTOR).to_numpy()})


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame(columns=TABLES[table].column_names)


def write_public_region(region: PublicRegion, folder: str | Path, issues: pd.DataFrame | None = None) -> list[Path]:
    """The region folder: rcc's tables as CSV, boundaries.geojson, public_region.json, a README and (when given)
    the problems found reading the publications, public_issues.csv."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in region.tables.items():
        path = folder / TABLES[name].file_name
        frame.to_csv(path, index=False, float_format="%.5f" if name in ("authorities", "settings") else None)
        written.append(path)
    if region.boundaries is not None:
        path = folder / "boundaries.geojson"
        path.write_text(region.boundaries[["la_code", "la_name", "geometry"]].to_json(drop_id=True), encoding="utf-8")
        written.append(path)
    about = folder / "public_region.json"
    about.write_text(json.dumps(region.about, indent=2) + "\n", encoding="utf-8")
    readme = folder / "README.md"
    readme.write_text(_readme(region), encoding="utf-8")
    written += [about, readme]
    if issues is not None:
        written.append(folder / "public_issues.csv")
        issues.to_csv(written[-1], index=False)
    return written


def _readme(region: PublicRegion) -> str:
    a = region.about
    sources = "\n".join(f"- {kind}: {', '.join(files) or 'none'}" for kind, files in a["sources"].items())
    return "\n".join([
        f"# {region.name}: a region built from published data", "",
        f"{a['councils']} councils; {a['settings']} registered settings with {a['places']:,} places (Ofsted, "
        f"{a['supply_as_of']}); {a['fostering_agencies']} independent fostering agencies based here.", "",
        "## Sources (Crown copyright, Open Government Licence v3.0)", sources, "",
        "## Not published, so not here", *[f"- {item}" for item in a["not_published"]], "",
        "## No children", a["no_children"] + " To use this folder for more than the market picture, add:",
        *[f"- to {job}: {what}" for job, what in a["to_add"].items()], "",
        "`rcc validate` checks the folder; `rcc flags` shows market concentration on the real owners; `rcc app` "
        "draws the councils' real boundaries.", ""])
