"""Distances and extents. Great-circle distance is what DATA.md's coarse coordinates can support."""

from __future__ import annotations

import numpy as np

from data.schema import GB_LAT, GB_LON

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
KM_PER_MILE = 1.609344
TWENTY_MILES_KM = 20 * KM_PER_MILE  # DfE reports placements "more than 20 miles" from home


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between arrays (or scalars) of WGS84 points; NaN where any input is NaN."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def in_great_britain(lat, lon) -> np.ndarray:
    """True where a point lies in Great Britain's bounding box (NaN counts as outside)."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    return (lat >= GB_LAT[0]) & (lat <= GB_LAT[1]) & (lon >= GB_LON[0]) & (lon <= GB_LON[1])
