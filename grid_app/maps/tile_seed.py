"""Render the crowded low-zoom tiles ahead: the overviews a city-wide map opens on.

A city's z12 tile holds 16k buildings and takes 30-60 ms to render however it is written, so the coverage
job renders the unscoped overview tiles up to SEED_MAX_ZOOM holding at least SEED_MIN_BUILDINGS buildings, of the buildings
layer and of every facility type's coverage at its life-circle minutes, in the base map's coordinate
system, into tile_seed. Each is stored under the digest of its cache key, which holds the data's version: after a data
change a tile is rendered on request again until the next job. Scoped tiles hold only the reader's
communities and are always rendered on request.
"""
from __future__ import annotations

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from grid_app.coverage import service as coverage_service
from grid_app.maps import vector_tiles
from grid_app.models import CoverageRun, FacilityType, TileSeed

SEED_MIN_BUILDINGS = 2000  # a tile with fewer renders in a few milliseconds
SEED_MAX_ZOOM = 12  # a city's z13 tile holds a quarter of a z12's buildings and renders in ~15 ms
_HALF_WORLD_M = 20037508.342789244  # Web Mercator's half width

# Per zoom up to SEED_MAX_ZOOM, the tiles whose area holds at least :least buildings' centroids.
_CROWDED = text("""
SELECT z, x, y FROM (
    SELECT z, floor((ST_X(b.point_3857) + :half) / (2 * :half / 2 ^ z))::int AS x,
              floor((:half - ST_Y(b.point_3857)) / (2 * :half / 2 ^ z))::int AS y
    FROM building b, generate_series(0, :top) AS z
) t GROUP BY z, x, y HAVING count(*) >= :least ORDER BY z, x, y""")


def crowded_tiles(session: Session, least: int | None = None) -> list[tuple[int, int, int]]:
    """(z, x, y) of the overview tiles holding at least `least` (SEED_MIN_BUILDINGS) buildings."""
    least = SEED_MIN_BUILDINGS if least is None else least
    return [tuple(r) for r in session.execute(_CROWDED, {"half": _HALF_WORLD_M, "least": least,
                                                        "top": SEED_MAX_ZOOM})]


def layers(session: Session, speed_m_s: float) -> list[tuple[str, dict]]:
    """The tile layers a map opens with: the buildings, and each computed type's coverage at its circle minutes."""
    computed = select(FacilityType.code).join(CoverageRun, CoverageRun.facility_type_id == FacilityType.id)
    out = [("buildings", {})]
    for code in session.scalars(computed.order_by(FacilityType.code)):
        walk = coverage_service.walk(session, code, None, speed_m_s)
        out.append(("coverage", {"t": walk.type_id, "threshold": walk.threshold_m, "speed": walk.speed_m_s}))
    return out


def seed(session: Session, speed_m_s: float, *, gcj02: bool = False, least: int | None = None) -> int:
    """Replace the rendered tiles with those of the data as it is now, shifted to GCJ-02 when the base map
    is; returns how many were stored. The caller commits: until then requests read the previous ones."""
    rows = {}
    tiles = crowded_tiles(session, least)
    for layer, params in layers(session, speed_m_s) if tiles else ():
        for z, x, y in tiles:
            key = vector_tiles.cache_key(session, layer, z, x, y, visible=None, community=None,
                                         gcj02=gcj02, params=params)
            rows[vector_tiles.seed_digest(key)] = vector_tiles.tile(
                session, layer, z, x, y, visible=None, gcj02=gcj02, params=params, seeded=False)
    session.execute(delete(TileSeed))
    if rows:
        session.execute(insert(TileSeed), [{"key": k, "body": body} for k, body in rows.items()])
    return len(rows)
