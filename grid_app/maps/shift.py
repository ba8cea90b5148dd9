"""Shift WGS84 geometries to GCJ-02 for base maps drawn in that datum (vectorised with shapely)."""
from __future__ import annotations

import json

import numpy as np
import shapely

from grid_app.places.gcj02 import wgs84_to_gcj02

DECIMALS = 6  # 0.1 m: finer than any base map shows


def _shift_coords(coords: np.ndarray) -> np.ndarray:
    lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.round(np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)]), DECIMALS)


def shift_geojson(geometries: list[str]) -> list[str]:
    """GeoJSON geometry strings in WGS84 → the same geometries in GCJ-02."""
    if not geometries:
        return []
    shapes = shapely.from_geojson(np.asarray(geometries, dtype=object))
    return list(shapely.to_geojson(shapely.transform(shapes, _shift_coords)))


def shift_features(features: list[dict]) -> list[dict]:
    """Shift the geometries of GeoJSON features in place; return them."""
    moved = shift_geojson([json.dumps(f["geometry"]) for f in features])
    for feature, geometry in zip(features, moved):
        feature["geometry"] = json.loads(geometry)
    return features


def shift_points(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """Shift arrays of WGS84 lon/lat to GCJ-02."""
    lon, lat = wgs84_to_gcj02(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    return np.atleast_1d(lon), np.atleast_1d(lat)
