"""England's 152 upper-tier councils, the regions built from them, and points scattered around them.

Centroids are approximate: hand-placed near each council's geographic middle (Greater Manchester's from the
mySociety list in FACTS.md), good to a few kilometres in towns and ~10-20 km in the large shire counties.
Populations are rounded 2021 census figures in thousands, used only for relative sizes. `kind` sets how widely
homes spread around the centroid: London borough, Metropolitan borough, compact Unitary, Rural unitary, County.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.geo import haversine_km
from data.schema import GB_LAT, GB_LON
from data.synthetic.facts import GREATER_MANCHESTER, SOUTH_EAST_CLA

# (ONS code, name, English region, kind, lat, lon, population in thousands)
COUNCILS = (
    # North East
    ("E06000047", "County Durham", "NE", "R", 54.68, -1.83, 522),
    ("E06000005", "Darlington", "NE", "U", 54.53, -1.55, 108),
    ("E08000037", "Gateshead", "NE", "M", 54.93, -1.66, 196),
    ("E06000001", "Hartlepool", "NE", "U", 54.67, -1.25, 92),
    ("E06000002", "Middlesbrough", "NE", "U", 54.55, -1.23, 143),
    ("E08000021", "Newcastle upon Tyne", "NE", "M", 55.00, -1.65, 300),
    ("E08000022", "North Tyneside", "NE", "M", 55.03, -1.51, 209),
    ("E06000057", "Northumberland", "NE", "R", 55.24, -2.05, 320),
    ("E06000003", "Redcar and Cleveland", "NE", "U", 54.55, -1.02, 137),
    ("E08000023", "South Tyneside", "NE", "M", 54.96, -1.44, 147),
    ("E06000004", "Stockton-on-Tees", "NE", "U", 54.56, -1.33, 197),
    ("E08000024", "Sunderland", "NE", "M", 54.88, -1.43, 274),
    # North West
    ("E06000008", "Blackburn with Darwen", "NW", "U", 53.70, -2.46, 154),
    ("E06000009", "Blackpool", "NW", "U", 53.82, -3.02, 141),
    ("E08000001", "Bolton", "NW", "M", 53.579, -2.467, 296),
    ("E08000002", "Bury", "NW", "M", 53.588, -2.313, 194),
    ("E06000049", "Cheshire East", "NW", "R", 53.16, -2.32, 399),
    ("E06000050", "Cheshire West and Chester", "NW", "R", 53.17, -2.74, 357),
    ("E06000063", "Cumberland", "NW", "R", 54.60, -3.20, 274),
    ("E06000006", "Halton", "NW", "U", 53.34, -2.72, 128),
    ("E08000011", "Knowsley", "NW", "M", 53.43, -2.85, 155),
    ("E10000017", "Lancashire", "NW", "C", 53.85, -2.60, 1235),
    ("E08000012", "Liverpool", "NW", "M", 53.41, -2.95, 487),
    ("E08000003", "Manchester", "NW", "M", 53.451, -2.233, 552),
    ("E08000004", "Oldham", "NW", "M", 53.552, -2.051, 242),
    ("E08000005", "Rochdale", "NW", "M", 53.617, -2.158, 223),
    ("E08000006", "Salford", "NW", "M", 53.490, -2.370, 270),
    ("E08000014", "Sefton", "NW", "M", 53.52, -3.00, 280),
    ("E08000013", "St Helens", "NW", "M", 53.45, -2.73, 183),
    ("E08000007", "Stockport", "NW", "M", 53.394, -2.128, 295),
    ("E08000008", "Tameside", "NW", "M", 53.477, -2.063, 231),
    ("E08000009", "Trafford", "NW", "M", 53.419, -2.355, 236),
    ("E06000007", "Warrington", "NW", "U", 53.40, -2.57, 211),
    ("E06000064", "Westmorland and Furness", "NW", "R", 54.40, -2.80, 225),
    ("E08000010", "Wigan", "NW", "M", 53.524, -2.590, 330),
    ("E08000015", "Wirral", "NW", "M", 53.37, -3.07, 320),
    # Yorkshire and the Humber
    ("E08000016", "Barnsley", "YH", "M", 53.53, -1.55, 245),
    ("E08000032", "Bradford", "YH", "M", 53.82, -1.85, 546),
    ("E08000033", "Calderdale", "YH", "M", 53.72, -1.95, 206),
    ("E08000017", "Doncaster", "YH", "M", 53.52, -1.10, 308),
    ("E06000011", "East Riding of Yorkshire", "YH", "R", 53.90, -0.60, 342),
    ("E06000010", "Kingston upon Hull", "YH", "U", 53.76, -0.34, 267),
    ("E08000034", "Kirklees", "YH", "M", 53.62, -1.78, 433),
    ("E08000035", "Leeds", "YH", "M", 53.81, -1.53, 812),
    ("E06000012", "North East Lincolnshire", "YH", "U", 53.53, -0.12, 157),
    ("E06000013", "North Lincolnshire", "YH", "U", 53.58, -0.60, 169),
    ("E06000065", "North Yorkshire", "YH", "R", 54.15, -1.40, 615),
    ("E08000018", "Rotherham", "YH", "M", 53.40, -1.30, 265),
    ("E08000019", "Sheffield", "YH", "M", 53.38, -1.50, 556),
    ("E08000036", "Wakefield", "YH", "M", 53.67, -1.45, 353),
    ("E06000014", "York", "YH", "U", 53.96, -1.08, 203),
    # East Midlands
    ("E06000015", "Derby", "EM", "U", 52.92, -1.47, 261),
    ("E10000007", "Derbyshire", "EM", "C", 53.10, -1.60, 795),
    ("E06000016", "Leicester", "EM", "U", 52.64, -1.13, 368),
    ("E10000018", "Leicestershire", "EM", "C", 52.70, -1.20, 713),
    ("E10000019", "Lincolnshire", "EM", "C", 53.10, -0.20, 768),
    ("E06000061", "North Northamptonshire", "EM", "R", 52.40, -0.65, 359),
    ("E06000018", "Nottingham", "EM", "U", 52.95, -1.16, 323),
    ("E10000024", "Nottinghamshire", "EM", "C", 53.10, -1.00, 824),
    ("E06000017", "Rutland", "EM", "R", 52.66, -0.64, 41),
    ("E06000062", "West Northamptonshire", "EM", "R", 52.23, -0.95, 425),
    # West Midlands
    ("E08000025", "Birmingham", "WM", "M", 52.48, -1.89, 1145),
    ("E08000026", "Coventry", "WM", "M", 52.41, -1.51, 345),
    ("E08000027", "Dudley", "WM", "M", 52.51, -2.09, 323),
    ("E06000019", "Herefordshire", "WM", "R", 52.08, -2.75, 187),
    ("E08000028", "Sandwell", "WM", "M", 52.51, -2.01, 341),
    ("E06000051", "Shropshire", "WM", "R", 52.65, -2.75, 323),
    ("E08000029", "Solihull", "WM", "M", 52.41, -1.73, 216),
    ("E10000028", "Staffordshire", "WM", "C", 52.80, -2.00, 876),
    ("E06000021", "Stoke-on-Trent", "WM", "U", 53.02, -2.17, 258),
    ("E06000020", "Telford and Wrekin", "WM", "U", 52.70, -2.45, 186),
    ("E08000030", "Walsall", "WM", "M", 52.59, -1.98, 284),
    ("E10000031", "Warwickshire", "WM", "C", 52.30, -1.55, 596),
    ("E08000031", "Wolverhampton", "WM", "M", 52.59, -2.13, 264),
    ("E10000034", "Worcestershire", "WM", "C", 52.20, -2.20, 603),
    # East of England
    ("E06000055", "Bedford", "EE", "U", 52.14, -0.47, 185),
    ("E10000003", "Cambridgeshire", "EE", "C", 52.35, 0.05, 679),
    ("E06000056", "Central Bedfordshire", "EE", "R", 52.00, -0.45, 295),
    ("E10000012", "Essex", "EE", "C", 51.80, 0.55, 1503),
    ("E10000015", "Hertfordshire", "EE", "C", 51.80, -0.25, 1198),
    ("E06000032", "Luton", "EE", "U", 51.88, -0.42, 225),
    ("E10000020", "Norfolk", "EE", "C", 52.65, 1.00, 917),
    ("E06000031", "Peterborough", "EE", "U", 52.59, -0.25, 216),
    ("E06000033", "Southend-on-Sea", "EE", "U", 51.55, 0.71, 181),
    ("E10000029", "Suffolk", "EE", "C", 52.20, 1.05, 761),
    ("E06000034", "Thurrock", "EE", "U", 51.50, 0.35, 176),
    # London
    ("E09000001", "City of London", "LN", "L", 51.515, -0.092, 9),
    ("E09000002", "Barking and Dagenham", "LN", "L", 51.55, 0.13, 219),
    ("E09000003", "Barnet", "LN", "L", 51.62, -0.21, 389),
    ("E09000004", "Bexley", "LN", "L", 51.46, 0.14, 246),
    ("E09000005", "Brent", "LN", "L", 51.56, -0.28, 339),
    ("E09000006", "Bromley", "LN", "L", 51.37, 0.05, 330),
    ("E09000007", "Camden", "LN", "L", 51.55, -0.16, 210),
    ("E09000008", "Croydon", "LN", "L", 51.37, -0.09, 391),
    ("E09000009", "Ealing", "LN", "L", 51.52, -0.31, 367),
    ("E09000010", "Enfield", "LN", "L", 51.65, -0.08, 330),
    ("E09000011", "Greenwich", "LN", "L", 51.47, 0.05, 289),
    ("E09000012", "Hackney", "LN", "L", 51.55, -0.06, 259),
    ("E09000013", "Hammersmith and Fulham", "LN", "L", 51.49, -0.22, 183),
    ("E09000014", "Haringey", "LN", "L", 51.59, -0.11, 264),
    ("E09000015", "Harrow", "LN", "L", 51.59, -0.34, 261),
    ("E09000016", "Havering", "LN", "L", 51.56, 0.24, 262),
    ("E09000017", "Hillingdon", "LN", "L", 51.54, -0.45, 306),
    ("E09000018", "Hounslow", "LN", "L", 51.46, -0.37, 288),
    ("E09000019", "Islington", "LN", "L", 51.55, -0.10, 217),
    ("E09000020", "Kensington and Chelsea", "LN", "L", 51.50, -0.19, 143),
    ("E09000021", "Kingston upon Thames", "LN", "L", 51.39, -0.29, 168),
    ("E09000022", "Lambeth", "LN", "L", 51.46, -0.12, 317),
    ("E09000023", "Lewisham", "LN", "L", 51.44, -0.02, 300),
    ("E09000024", "Merton", "LN", "L", 51.41, -0.19, 215),
    ("E09000025", "Newham", "LN", "L", 51.53, 0.03, 351),
    ("E09000026", "Redbridge", "LN", "L", 51.58, 0.07, 310),
    ("E09000027", "Richmond upon Thames", "LN", "L", 51.44, -0.33, 195),
    ("E09000028", "Southwark", "LN", "L", 51.47, -0.08, 307),
    ("E09000029", "Sutton", "LN", "L", 51.36, -0.17, 209),
    ("E09000030", "Tower Hamlets", "LN", "L", 51.52, -0.04, 311),
    ("E09000031", "Waltham Forest", "LN", "L", 51.59, -0.02, 278),
    ("E09000032", "Wandsworth", "LN", "L", 51.45, -0.19, 328),
    ("E09000033", "Westminster", "LN", "L", 51.51, -0.15, 205),
    # South East
    ("E06000036", "Bracknell Forest", "SE", "U", 51.41, -0.74, 125),
    ("E06000043", "Brighton and Hove", "SE", "U", 50.84, -0.15, 277),
    ("E06000060", "Buckinghamshire", "SE", "R", 51.78, -0.80, 553),
    ("E10000011", "East Sussex", "SE", "C", 50.92, 0.25, 546),
    ("E10000014", "Hampshire", "SE", "C", 51.05, -1.30, 1400),
    ("E06000046", "Isle of Wight", "SE", "R", 50.68, -1.30, 140),
    ("E10000016", "Kent", "SE", "C", 51.20, 0.75, 1576),
    ("E06000035", "Medway", "SE", "U", 51.40, 0.55, 279),
    ("E06000042", "Milton Keynes", "SE", "U", 52.04, -0.76, 287),
    ("E10000025", "Oxfordshire", "SE", "C", 51.75, -1.30, 725),
    ("E06000044", "Portsmouth", "SE", "U", 50.81, -1.07, 208),
    ("E06000038", "Reading", "SE", "U", 51.45, -0.97, 174),
    ("E06000039", "Slough", "SE", "U", 51.51, -0.59, 158),
    ("E06000045", "Southampton", "SE", "U", 50.92, -1.40, 249),
    ("E10000030", "Surrey", "SE", "C", 51.25, -0.40, 1203),
    ("E06000037", "West Berkshire", "SE", "R", 51.45, -1.28, 161),
    ("E10000032", "West Sussex", "SE", "C", 50.95, -0.45, 882),
    ("E06000040", "Windsor and Maidenhead", "SE", "U", 51.48, -0.68, 153),
    ("E06000041", "Wokingham", "SE", "U", 51.41, -0.88, 177),
    # South West
    ("E06000022", "Bath and North East Somerset", "SW", "U", 51.36, -2.45, 193),
    ("E06000058", "Bournemouth, Christchurch and Poole", "SW", "U", 50.73, -1.90, 400),
    ("E06000023", "Bristol", "SW", "U", 51.46, -2.59, 472),
    ("E06000052", "Cornwall", "SW", "R", 50.40, -4.90, 570),
    ("E10000008", "Devon", "SW", "C", 50.75, -3.80, 811),
    ("E06000059", "Dorset", "SW", "R", 50.80, -2.35, 379),
    ("E10000013", "Gloucestershire", "SW", "C", 51.85, -2.20, 645),
    ("E06000024", "North Somerset", "SW", "U", 51.39, -2.80, 216),
    ("E06000026", "Plymouth", "SW", "U", 50.39, -4.13, 264),
    ("E06000066", "Somerset", "SW", "R", 51.10, -3.00, 572),
    ("E06000025", "South Gloucestershire", "SW", "U", 51.53, -2.45, 291),
    ("E06000030", "Swindon", "SW", "U", 51.56, -1.78, 233),
    ("E06000027", "Torbay", "SW", "U", 50.46, -3.55, 139),
    ("E06000054", "Wiltshire", "SW", "R", 51.30, -1.95, 510),
)

# Standard deviation (km) of homes around the centroid, by kind of council: a rough stand-in for its area.
SPREAD_KM = {"L": 2.0, "M": 3.5, "U": 3.0, "R": 8.0, "C": 10.0}

# England's 13 secure children's homes (council-run) by host council; places per home are approximate (~217 in all).
SECURE_HOMES = (
    ("E08000006", 18), ("E08000013", 20), ("E08000035", 22), ("E08000019", 10), ("E06000047", 24),
    ("E06000057", 12), ("E10000024", 18), ("E10000019", 12), ("E06000031", 16), ("E10000008", 12),
    ("E10000014", 15), ("E06000025", 24), ("E06000010", 14),
)

REGION_NAMES = {"greater-manchester": "Greater Manchester", "south-east": "South East", "national": "England"}
NEAR_RING_KM = 40.0  # councils this close to a region's councils host many of its out-of-area placements
FAR_RING_KM = 160.0  # ... and beyond that, the nearest rural councils, where homes are cheaper to open
FAR_RING_SIZE = 8
KM_PER_DEGREE_LAT = 111.2


def councils() -> pd.DataFrame:
    """All 152 councils as a table (la_code, la_name, region9, kind, lat, lon, population_k, spread_km)."""
    df = pd.DataFrame(COUNCILS, columns=["la_code", "la_name", "region9", "kind", "lat", "lon", "population_k"])
    df["spread_km"] = df["kind"].map(SPREAD_KM)
    return df


def region_codes(region: str, table: pd.DataFrame) -> list[str]:
    """The councils that make up a region, in table order."""
    known = {"greater-manchester": GREATER_MANCHESTER, "south-east": SOUTH_EAST_CLA}
    if region in known:
        return [c for c in table["la_code"] if c in known[region]]
    if region == "national":
        return table["la_code"].tolist()
    raise ValueError(f"unknown region {region!r}; choose one of {tuple(REGION_NAMES)}")


def ring_codes(members: list[str], table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Councils outside a region that host its children: the near ring, and a few large ones further away."""
    outside = table[~table["la_code"].isin(members)]
    if outside.empty:
        return [], []
    inside = table[table["la_code"].isin(members)]
    gap = haversine_km(outside["lat"].to_numpy()[:, None], outside["lon"].to_numpy()[:, None],
                       inside["lat"].to_numpy()[None, :], inside["lon"].to_numpy()[None, :]).min(axis=1)
    near = outside[gap <= NEAR_RING_KM]
    rural = outside["kind"].isin(["R", "C"]).to_numpy() & (gap > NEAR_RING_KM) & (gap <= FAR_RING_KM)
    far = outside[rural].assign(gap=gap[rural]).sort_values(["gap", "la_code"]).head(FAR_RING_SIZE)
    return near["la_code"].tolist(), sorted(far["la_code"])


def scatter(rng: np.random.Generator, lat, lon, spread_km) -> tuple[np.ndarray, np.ndarray]:
    """Points scattered (normally, `spread_km` sd) around the given centres, kept inside Great Britain."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    spread = np.broadcast_to(np.asarray(spread_km, dtype=float), lat.shape)
    dlat = rng.normal(0.0, 1.0, lat.shape) * spread / KM_PER_DEGREE_LAT
    dlon = rng.normal(0.0, 1.0, lat.shape) * spread / (KM_PER_DEGREE_LAT * np.cos(np.radians(lat)))
    return (np.clip(lat + dlat, GB_LAT[0] + 0.1, GB_LAT[1] - 0.1),
            np.clip(lon + dlon, GB_LON[0] + 0.1, GB_LON[1] - 0.1))
