"""Locate points to their community, grid, residential area and building in one query.

Tie rule: a point on a boundary shared by two polygons (ST_Covers is true for both) goes to the
one with the smallest code, so the answer never depends on row order. A point on no grid snaps
to the nearest grid within ``snap_m`` metres; farther than that it is unlocated (None).
"""
from __future__ import annotations

import math
import sys

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from grid_app.places import gcj02
from grid_app.places.locate_index import index_for
from grid_app.places.location import Location, Place
from grid_app.platform.errors import InvalidInput
from grid_app.platform.text import number

CRS_CHOICES = ("wgs84", "gcj02")

# Where each point of `pts` (i, g) lies, one row per point: each point probes the GiST indexes through
# LATERAL. Kept as SQL text so that intake can place its one point inside the statement that stores it.
LOCATED_SELECT = """
SELECT pts.i,
       gr.id AS grid_id, gr.code AS grid_code, gr.name AS grid_name,
       c.id AS community_id, c.code AS community_code, c.name AS community_name,
       CASE WHEN inside.id IS NULL THEN near.dist ELSE 0.0 END AS snapped_m,
       ra.id AS residential_area_id, ra.code AS residential_area_code, ra.name AS residential_area_name,
       b.id AS building_id, b.code AS building_code, b.name AS building_name,
       c.street_code
FROM pts
LEFT JOIN LATERAL (
    SELECT grid.id FROM grid WHERE ST_Covers(grid.geom, pts.g) ORDER BY grid.code LIMIT 1
) inside ON true
LEFT JOIN LATERAL (
    SELECT grid.id, ST_Distance(grid.geom::geography, pts.g::geography) AS dist
    FROM grid
    WHERE inside.id IS NULL
      -- a box in degrees (wide enough at this latitude) lets the GiST index pick the candidates
      AND grid.geom && ST_Expand(pts.g, :snap_m / (111000.0 * cos(radians(LEAST(abs(ST_Y(pts.g)), 89.0)))))
      AND ST_DWithin(grid.geom::geography, pts.g::geography, :snap_m)
    -- to the micrometre, as the in-process index: two grids sharing the nearest vertex are equally near,
    -- but the distances computed along their own edges differ in the last bits
    ORDER BY round(ST_Distance(grid.geom::geography, pts.g::geography)::numeric, 6), grid.code LIMIT 1
) near ON true
LEFT JOIN grid gr ON gr.id = COALESCE(inside.id, near.id)
LEFT JOIN community c ON c.id = gr.community_id
LEFT JOIN LATERAL (
    SELECT residential_area.id, residential_area.code, residential_area.name FROM residential_area
    WHERE ST_Covers(residential_area.geom, pts.g) ORDER BY residential_area.code LIMIT 1
) ra ON true
LEFT JOIN LATERAL (
    SELECT building.id, building.code, building.name FROM building
    WHERE ST_Covers(building.geom, pts.g) ORDER BY building.code LIMIT 1
) b ON true
"""

# One statement for any number of points.
_LOCATE_SQL = text("""
WITH pts AS (
    SELECT i, ST_SetSRID(ST_MakePoint(x, y), 4326) AS g
    FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS t(x, y, i)
)""" + LOCATED_SELECT + "ORDER BY pts.i")


def check_coordinates(lon, lat, crs: str = "wgs84") -> tuple[float, float]:
    """Validate one lon/lat pair in the given CRS and return it in WGS84."""
    if crs not in CRS_CHOICES:
        raise InvalidInput(f"crs must be one of {', '.join(CRS_CHOICES)}, not {crs!r}",
                           code="bad_crs")
    x, y = number(lon, "lon", "bad_coordinates"), number(lat, "lat", "bad_coordinates")
    if not (math.isfinite(x) and math.isfinite(y)):
        raise InvalidInput("lon and lat must be finite numbers", code="bad_coordinates")
    if not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
        raise InvalidInput(f"coordinates out of range: lon={x}, lat={y}", code="bad_coordinates")
    x, y = flush_tiny(x), flush_tiny(y)
    if crs == "gcj02":
        x, y = gcj02.gcj02_to_wgs84(x, y)
    return x, y


def flush_tiny(value: float) -> float:
    """0.0 for a subnormal float (below 2.2e-308), which PostgreSQL's float8 refuses as an underflow."""
    return value if value == 0.0 or abs(value) >= sys.float_info.min else 0.0


# From this many points on, a batch goes through the in-process index (same answers, far faster).
INDEX_MIN_POINTS = 200


def locate_many(session: Session, lons, lats, snap_m: float) -> list[Location]:
    """Locate WGS84 points (already validated); order is kept."""
    if len(lons) >= INDEX_MIN_POINTS:
        return locate_with_index(session, lons, lats, snap_m)
    return locate_with_sql(session, lons, lats, snap_m)


def locate_with_index(session: Session, lons, lats, snap_m: float) -> list[Location]:
    """Locate through the in-process STRtree index of the hierarchy."""
    index = index_for(session)
    grid, snapped, area, building = index.locate(lons, lats, snap_m)
    g = index.grids
    snapped = np.where(grid >= 0, snapped, np.nan).tolist()
    return [Location(*places, None if sm != sm else sm) for *places, sm in zip(
        g.parents_at(grid), g.places_at(grid), index.areas.places_at(area), index.buildings.places_at(building),
        snapped)]


def locate_with_sql(session: Session, lons, lats, snap_m: float) -> list[Location]:
    """Locate with one PostGIS query (each point probes the GiST indexes)."""
    xs = np.asarray(lons, dtype=float).tolist()
    ys = np.asarray(lats, dtype=float).tolist()
    if not xs:
        return []
    rows = session.execute(_LOCATE_SQL, {"xs": xs, "ys": ys, "snap_m": float(snap_m)}).all()
    return [Location(
        community=_place(r[4:7]), grid=_place(r[1:4]), residential_area=_place(r[8:11]),
        building=_place(r[11:14]), snapped_m=float(r[7]) if r[1] is not None else None) for r in rows]


def _place(row) -> Place | None:
    return Place(*row) if row[0] is not None else None


def locate_one(session: Session, lon: float, lat: float, snap_m: float) -> Location:
    """Locate one WGS84 point."""
    return locate_with_sql(session, [lon], [lat], snap_m)[0]
