"""Building test geometries in metres around the demo district's origin, and writing them as files."""
from __future__ import annotations

import json
import math

from shapely.geometry import MultiPolygon, Polygon, mapping

ORIGIN_LON, ORIGIN_LAT = 117.48, 30.66
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(ORIGIN_LAT))


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of the origin → lon/lat."""
    return ORIGIN_LON + x / M_PER_DEG_LON, ORIGIN_LAT + y / M_PER_DEG_LAT


def box(x0, y0, x1, y1, holes=()) -> Polygon:
    """A rectangle in metres (with optional rectangular holes) as a lon/lat polygon."""
    def ring(a, b, c, d):
        return [lonlat(a, b), lonlat(c, b), lonlat(c, d), lonlat(a, d), lonlat(a, b)]
    return Polygon(ring(x0, y0, x1, y1), [ring(*h) for h in holes])


def ring_polygon(coords_m) -> Polygon:
    """A polygon from a ring of metre coordinates (may be invalid on purpose)."""
    return Polygon([lonlat(x, y) for x, y in coords_m])


def feature(geom, **props) -> dict:
    """A GeoJSON feature."""
    return {"type": "Feature", "properties": props, "geometry": mapping(geom) if geom is not None else None}


def write_layer(path, features) -> str:
    """Write a FeatureCollection file and return its path as a string."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"type": "FeatureCollection", "features": features}, fh, ensure_ascii=False)
    return str(path)


def multi(*polys) -> MultiPolygon:
    """A MultiPolygon of the given polygons."""
    return MultiPolygon(list(polys))
