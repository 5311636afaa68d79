"""Rebuild `authorities.csv`, rcc's register of the councils whose codes it accepts, from ONS and DfE files.

Run from the repository root with a folder of the public data beside it (the layout of ../shared/public-data):

    .venv/bin/python -m data.reference.build_authorities ../shared/public-data

Sources (Open Government Licence v3.0):
- the 153 English upper-tier authorities (counties and unitary authorities: the children's services
  authorities), their names and label points: ONS, "Counties and Unitary Authorities (May 2023) Boundaries EN
  BUC" (`ons/counties_unitary_authorities_may2023_england_buc.geojson`);
- the 22 Welsh principal areas (a provider in Wales may appear in Ofsted's lists; a child may be placed there):
  ONS, "LTLA to UTLA (April 2023) Lookup in England and Wales";
- English regions and the DfE's three-digit LA numbers: DfE, "Children looked after in England including
  adoptions" (`dfe/cla_number_and_rate_per_10k_children.csv` and the 2011-2017 SFR underlying data);
- the authorities abolished or recoded since 2009 (PREDECESSORS below): ONS Register of Geographic Codes, and the
  structural-change orders for Dorset (2019), Buckinghamshire (2020), Northamptonshire (2021), Cumbria, North
  Yorkshire and Somerset (2023); Gateshead's and Northumberland's 2013 recodes.
"""

from __future__ import annotations

import glob
import json
import sys
from pathlib import Path

import pandas as pd

OUT = Path(__file__).with_name("authorities.csv")

# code, name, DfE number, last day, successor codes, change, approximate lat/lon (the successor's area)
PREDECESSORS = [
    ("E06000028", "Bournemouth", "837", "2019-03-31", "E06000058", "merged", 50.7429, -1.8605),
    ("E06000029", "Poole", "836", "2019-03-31", "E06000058", "merged", 50.7346, -1.9637),
    ("E10000009", "Dorset", "835", "2019-03-31", "E06000059;E06000058", "split", 50.8311, -2.3295),
    ("E10000002", "Buckinghamshire", "825", "2020-03-31", "E06000060", "recoded", None, None),
    ("E10000021", "Northamptonshire", "928", "2021-03-31", "E06000061;E06000062", "split", 52.2729, -0.8755),
    ("E10000006", "Cumbria", "909", "2023-03-31", "E06000063;E06000064", "split", 54.5733, -2.9088),
    ("E10000023", "North Yorkshire", "815", "2023-03-31", "E06000065", "recoded", None, None),
    ("E10000027", "Somerset", "933", "2023-03-31", "E06000066", "recoded", None, None),
    ("E06000048", "Northumberland", "929", "2013-03-31", "E06000057", "recoded", None, None),
    ("E08000020", "Gateshead", "390", "2013-03-31", "E08000037", "recoded", None, None),
]
# First day of the authorities created since 2009 (blank for the others: older than any file rcc reads).
CREATED = {"E06000057": "2013-04-01", "E08000037": "2013-04-01", "E06000058": "2019-04-01",
           "E06000059": "2019-04-01", "E06000060": "2020-04-01", "E06000061": "2021-04-01",
           "E06000062": "2021-04-01", "E06000063": "2023-04-01", "E06000064": "2023-04-01",
           "E06000065": "2023-04-01", "E06000066": "2023-04-01"}
# Names publications use that normalising (data/authorities.py) does not reach.
ALIASES = {"E06000058": "Bournemouth, Christchurch & Poole;BCP", "E06000023": "Bristol City",
           "E06000010": "Hull", "E06000047": "Durham"}
REGIONS = {"E13000001": ("E12000007", "London"), "E13000002": ("E12000007", "London")}


def build(data_dir: Path) -> pd.DataFrame:
    boundaries = json.loads((data_dir / "ons" / "counties_unitary_authorities_may2023_england_buc.geojson")
                            .read_text(encoding="utf-8"))
    england = pd.DataFrame([{"la_code": f["properties"]["CTYUA23CD"], "la_name": f["properties"]["CTYUA23NM"],
                             "lat": f["properties"]["LAT"], "lon": f["properties"]["LONG"]}
                            for f in boundaries["features"]]).assign(country="england")
    lookup = pd.read_csv(data_dir / "ons" / "LTLA-UTLA_Apr23_Lookup_England-Wales.csv", dtype=str,
                         encoding="utf-8-sig")
    wales = (lookup.loc[lookup["UTLA23CD"].str.startswith("W"), ["UTLA23CD", "UTLA23NM"]].drop_duplicates()
             .rename(columns={"UTLA23CD": "la_code", "UTLA23NM": "la_name"}).assign(country="wales"))
    dfe = pd.read_csv(data_dir / "dfe" / "cla_number_and_rate_per_10k_children.csv", dtype=str)
    dfe = dfe[dfe["geographic_level"].eq("Local authority")].drop_duplicates("new_la_code")
    region = dfe.set_index("new_la_code")[["region_code", "region_name"]]
    for sub, (code, name) in REGIONS.items():
        region.loc[region["region_code"].eq(sub), ["region_code", "region_name"]] = [code, name]
    numbers = dfe.set_index("new_la_code")["old_la_code"].to_dict()
    for path in sorted(glob.glob(str(data_dir / "dfe" / "sfr_la_tables_2010_2017" / "201[1-7]" / "*.csv"))):
        sfr = pd.read_csv(path, dtype=str, encoding="cp1252")
        sfr = sfr[sfr["geog_l"].eq("LA")]
        for code, number in zip(sfr["New_geog_code"], sfr["geog_c"]):
            numbers.setdefault(code, number)

    old = pd.DataFrame(PREDECESSORS, columns=["la_code", "la_name", "old_la_code", "valid_to", "successors",
                                              "change", "lat", "lon"]).assign(country="england")
    current_points = england.set_index("la_code")[["lat", "lon"]]
    first = old["successors"].str.split(";").str[0]
    old["lat"] = old["lat"].fillna(first.map(current_points["lat"]))
    old["lon"] = old["lon"].fillna(first.map(current_points["lon"]))
    old_region = first.map(region["region_code"])
    old["region_code"], old["region_name"] = old_region, first.map(region["region_name"])

    table = pd.concat([england, wales], ignore_index=True)
    table["old_la_code"] = table["la_code"].map(numbers)
    table["region_code"] = table["la_code"].map(region["region_code"])
    table["region_name"] = table["la_code"].map(region["region_name"])
    table.loc[table["country"].eq("wales"), ["region_code", "region_name"]] = ["W92000004", "Wales"]
    table = pd.concat([table, old], ignore_index=True)
    table["valid_from"] = table["la_code"].map(CREATED).fillna("")
    table["aliases"] = table["la_code"].map(ALIASES).fillna("")
    for column in ("valid_to", "successors", "change", "old_la_code"):
        table[column] = table[column].fillna("")
    columns = ["la_code", "la_name", "country", "region_code", "region_name", "old_la_code", "lat", "lon",
               "valid_from", "valid_to", "successors", "change", "aliases"]
    return table[columns].sort_values("la_code", kind="stable").reset_index(drop=True)


if __name__ == "__main__":
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/public-data")
    build(source).to_csv(OUT, index=False, float_format="%.5f")
    print(OUT)
