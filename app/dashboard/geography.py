"""What the Overview map draws: council areas and settings, at a resolution that never shows a home.

Settings are grouped on a grid of about 5 km (GRID_DEGREES), so a children's home or a foster family's house is
never shown at its own location, only as part of a count in its grid cell. Council areas come from the region's
`boundaries.geojson` when it has one (DATA.md), else from an ONS boundary file in the public data that covers
every council of the region; otherwise they are approximate: the Voronoi cells of the councils' centroids, clipped
to the area the region's settings cover. The page says which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data.region import Region
from data.vocabulary import SETTING_TYPE_LABELS

GRID_DEGREES = 0.05  # about 5.6 km north-south and 3.3 km east-west at Manchester's latitude
MARGIN_DEGREES = 0.05
SPREAD_DEGREES = 0.012
REGISTERED = "registered (active)"
NOT_REGISTERED = "not registered or not active (unregistered, suspended, resigned, cancelled, applied)"


@dataclass(frozen=True)
class AreaSource:
    """Where the council shapes came from: the region's own file, an ONS boundary file, or approximate cells."""
    kind: str  # "region" | "ons" | "approximate"
    file: str = ""

    @property
    def approximate(self) -> bool:
        return self.kind == "approximate"

    def caption(self) -> str:
        if self.kind == "region":
            return "Council boundaries from the region's own boundaries.geojson."
        if self.kind == "ons":
            return (f"Council boundaries from ONS ({self.file}, ultra-generalised; Crown copyright, Open Government "
                    "Licence v3.0).")
        return ("Council areas are approximate (drawn around each council's centre because neither the region nor "
                "the public data has boundaries for all its councils); they are not legal boundaries.")


def council_areas(region: Region, source: Path, public_data: Path | None = None) -> tuple[dict, AreaSource]:
    """(GeoJSON FeatureCollection with la_code and la_name per feature, where the shapes came from): the region's
    boundaries.geojson when it has one; else the first ONS boundary file in the public data's ons/ folder that
    holds every council of the region; else approximate cells."""
    folder = source if source.is_dir() else source.parent
    boundary_file = folder / "boundaries.geojson"
    names = region.authorities[["la_code", "la_name"]]
    if boundary_file.exists():
        areas = gpd.read_file(boundary_file)[["la_code", "geometry"]].merge(names, on="la_code")
        return json.loads(for_vega(areas.to_crs(4326)).to_json()), AreaSource("region", boundary_file.name)
    for file in sorted((public_data / "ons").glob("*.geojson")) if public_data is not None else []:
        ons = ons_boundaries(file)
        if set(region.la_codes) <= set(ons["la_code"]):
            # rcc's own names (the register's) go with the shapes, so the map and the tables say the same
            areas = ons[ons["la_code"].isin(region.la_codes)][["la_code", "geometry"]].merge(names, on="la_code")
            return json.loads(for_vega(areas).to_json()), AreaSource("ons", file.name)
    return json.loads(for_vega(_approximate_areas(region)).to_json()), AreaSource("approximate")


def ons_boundaries(file: Path) -> gpd.GeoDataFrame:
    """An ONS boundary file read by data.public.ons (code and name properties found by pattern, WGS84)."""
    from data.public.ons import read_boundaries

    return read_boundaries(file)


def for_vega(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rings wound clockwise, as Vega's spherical geometry reads them: GeoJSON's own (anticlockwise) winding
    makes Vega draw the whole world except the council."""
    return areas.assign(geometry=areas.geometry.map(lambda g: shapely.geometry.polygon.orient(g, sign=-1.0)
                                                    if g.geom_type == "Polygon" else
                                                    shapely.MultiPolygon([shapely.geometry.polygon.orient(p, -1.0)
                                                                          for p in g.geoms])))


def _approximate_areas(region: Region) -> gpd.GeoDataFrame:
    authorities = region.authorities
    points = shapely.points(authorities["lon"].to_numpy(), authorities["lat"].to_numpy())
    inside = region.settings[region.settings["la_code"].isin(authorities["la_code"])]
    extent = shapely.MultiPoint(list(zip(inside["lon"], inside["lat"]))).convex_hull.buffer(MARGIN_DEGREES)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=extent)
    polygons = []
    for point in points:
        cell = next(c for c in cells.geoms if c.contains(point))
        polygons.append(cell.intersection(extent))
    return gpd.GeoDataFrame(authorities[["la_code", "la_name"]].reset_index(drop=True), geometry=polygons,
                            crs=4326)


def coarse_settings(region: Region) -> pd.DataFrame:
    """Settings in the region's councils counted per grid cell x type x registration: cell centre, settings,
    places and vacancies. Nothing finer than the grid leaves this function."""
    s = region.settings[region.settings["la_code"].isin(region.authorities["la_code"])]
    cells = pd.DataFrame({
        "lat": ((s["lat"] / GRID_DEGREES).round() * GRID_DEGREES).round(3),
        "lon": ((s["lon"] / GRID_DEGREES).round() * GRID_DEGREES).round(3),
        "setting_type": s["setting_type"].map(SETTING_TYPE_LABELS).fillna(s["setting_type"]),
        "registration": s["registration_status"].eq("active").map({True: REGISTERED, False: NOT_REGISTERED}),
        "places": s["places"], "vacancies": s["vacancies"]})
    grouped = cells.groupby(["lat", "lon", "setting_type", "registration"], as_index=False).agg(
        settings=("places", "size"), places=("places", "sum"),
        vacancies=("vacancies", lambda v: v.sum(min_count=1)))  # blank where not known (published supply)
    # Each type gets its own spot around the cell's centre so the marks of one cell do not hide each other; the
    # spots stay well inside the cell.
    types = sorted(SETTING_TYPE_LABELS.values())
    angle = grouped["setting_type"].map({t: 2 * np.pi * i / len(types) for i, t in enumerate(types)}).fillna(0)
    grouped["lat"] = (grouped["lat"] + SPREAD_DEGREES * np.sin(angle)).round(4)
    grouped["lon"] = (grouped["lon"] + 1.6 * SPREAD_DEGREES * np.cos(angle)).round(4)
    return grouped
