"""What the Overview map draws: council areas and settings, at a resolution that never shows a home.

Settings are grouped on a grid of about 5 km (GRID_DEGREES), so a children's home or a foster family's house is
never shown at its own location, only as part of a count in its grid cell. Council areas come from the region's
`boundaries.geojson` when it has one (DATA.md); otherwise they are approximate: the Voronoi cells of the councils'
centroids, clipped to the area the region's settings cover, and the page says so.
"""

from __future__ import annotations

import json
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


def council_areas(region: Region, source: Path) -> tuple[dict, bool]:
    """(GeoJSON FeatureCollection with la_code and la_name per feature, approximate?)"""
    folder = source if source.is_dir() else source.parent
    boundary_file = folder / "boundaries.geojson"
    if boundary_file.exists():
        areas = gpd.read_file(boundary_file)[["la_code", "geometry"]].merge(
            region.authorities[["la_code", "la_name"]], on="la_code")
        return json.loads(for_vega(areas.to_crs(4326)).to_json()), False
    return json.loads(for_vega(_approximate_areas(region)).to_json()), True


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
