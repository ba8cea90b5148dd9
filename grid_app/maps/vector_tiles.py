"""Vector tiles (ST_AsMVT) for layers too large to embed, and the folium layer that draws them."""
from __future__ import annotations

import hashlib
import math

from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template
from sqlalchemy import text
from sqlalchemy.orm import Session

from grid_app.maps.assets import VECTORGRID_JS
from grid_app.maps.colours import COVERED, NO_FACILITY, NO_RESIDENTS, UNCOVERED, UNSNAPPED
from grid_app.maps.tile_cache import TileCache
from grid_app.places.gcj02 import wgs84_to_gcj02
from grid_app.platform.errors import InvalidInput, NotFound

EXTENT = 4096
MAX_ZOOM = 22
_R = 6378137.0

DETAIL_ZOOM = 14  # from here on a tile holds each building's outline and attributes (clicks, popups)
OVERVIEW_EXTENT = 256  # below it, one point per occupied cell (a screen pixel of a 256-px tile) and colour

# Each layer: the building attributes its popups show, the join they need, the fill colour (kept in SQL
# so tiles carry it) and the join the fill alone needs (the overview reads no more than that).
_BUILDING_FILL = """CASE WHEN b.residents <= 0 THEN '#e5e7eb' WHEN b.residents <= 50 THEN '#fde68a'
              WHEN b.residents <= 150 THEN '#fbbf24' WHEN b.residents <= 300 THEN '#f97316'
              ELSE '#c2410c' END"""  # by residents, as community.RESIDENT_CLASSES
# Coloured as coverage.minutes_colour: thirds of the threshold, red when not covered, and the colours of
# homes off the network or of a type with no facility.
_COVERAGE_FILL = """CASE WHEN b.residents <= 0 THEN '{none}'
              WHEN r.status = 'unsnapped' THEN '{unsnapped}' WHEN r.status = 'nofacility' THEN '{nofacility}'
              WHEN r.distance_m IS NULL OR r.distance_m > :threshold THEN '{uncovered}'
              WHEN r.distance_m <= :threshold / 3 THEN '{near}'
              WHEN r.distance_m <= :threshold * 2 / 3 THEN '{mid}' ELSE '{far}' END""".format(
    none=NO_RESIDENTS, unsnapped=UNSNAPPED, nofacility=NO_FACILITY, uncovered=UNCOVERED,
    near=COVERED[0], mid=COVERED[1], far=COVERED[2])
# Joins as LATERAL ... OFFSET 0 (kept apart from the outer query): a probe of the primary key per building
# of the tile. As plain joins the planner hashed the whole table instead: all 300k results of a type, or
# all 100k party organisations of a city, for the few thousand buildings of a tile (half a z14 tile's time).
_COVERAGE_JOIN = """LEFT JOIN LATERAL (SELECT r.distance_m, r.status FROM coverage_result r
              WHERE r.building_id = b.id AND r.facility_type_id = :t OFFSET 0) r ON true"""
_PARTY_JOIN = """LEFT JOIN LATERAL (SELECT p.name FROM party_organisation p WHERE p.building_id = b.id OFFSET 0) p
              ON true"""
_LAYERS = {
    "buildings": {"attributes": "b.code, b.name, b.floors, b.households, b.residents, p.name AS party",
                  "join": _PARTY_JOIN,
                  "fill": _BUILDING_FILL, "fill_join": ""},
    "coverage": {"attributes": "b.code, b.name, b.residents, CASE WHEN r.distance_m IS NULL THEN NULL "
                               "ELSE round(r.distance_m / :speed / 60.0) || ' min' END AS walk",
                 "join": _COVERAGE_JOIN, "fill": _COVERAGE_FILL, "fill_join": _COVERAGE_JOIN},
}
_IN_SCOPE = """(CAST(:community AS text) IS NULL OR b.community_id = (SELECT id FROM community WHERE code = :community))
    AND (CAST(:visible AS integer[]) IS NULL OR b.community_id = ANY(CAST(:visible AS integer[])))"""
_IN_TILE_AND_SCOPE = "b.geom && ST_Transform(ST_Expand(bounds.geom, :pad), 4326) AND " + _IN_SCOPE
# The overview reads each building's stored Web-Mercator centroid (GiST-indexed, migration 0020): the
# same point ST_Transform(ST_Centroid(geom), 3857) gave, without computing it for every building.
_POINT_IN_TILE_AND_SCOPE = "b.point_3857 && ST_Expand(bounds.geom, :pad) AND " + _IN_SCOPE
_DETAIL_SQL = """
WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS geom)
SELECT ST_AsMVT(t, 'buildings', {extent}, 'geom') FROM (
  SELECT {attributes}, {fill} AS fill,
         ST_AsMVTGeom(ST_Translate(ST_Transform(b.geom, 3857), :dx, :dy), bounds.geom, {extent}, 64, true) AS geom
  FROM building b CROSS JOIN bounds {join}
  WHERE {where}
) t WHERE t.geom IS NOT NULL
"""
# Below DETAIL_ZOOM a building is a few pixels: its centroid stands for it, and the buildings whose points
# fall in one cell with one colour become one point carrying their count and residents. Each point is put in
# tile space once (OFFSET 0 keeps the "inside the tile" test from computing it a second time) and cells are
# grouped by their two pixel numbers, not by comparing geometries: a third less time for a city's z12 tile.
_OVERVIEW_SQL = """
WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS geom)
SELECT ST_AsMVT(t, 'buildings', {extent}, 'geom') FROM (
  SELECT fill, count(*)::integer AS buildings, sum(residents)::integer AS residents, ST_Point(px, py) AS geom FROM (
    SELECT residents, fill, ST_X(cell) AS px, ST_Y(cell) AS py FROM (
      SELECT b.residents, {fill} AS fill,
             ST_AsMVTGeom(ST_Translate(b.point_3857, :dx, :dy), bounds.geom, {extent}, 0, true) AS cell
      FROM building b CROSS JOIN bounds {fill_join}
      WHERE {where} OFFSET 0
    ) placed
  ) p WHERE px IS NOT NULL GROUP BY px, py, fill
) t
"""
TILE_LAYERS = {name: (_DETAIL_SQL.format(extent=EXTENT, where=_IN_TILE_AND_SCOPE, **spec),
                      _OVERVIEW_SQL.format(extent=OVERVIEW_EXTENT, where=_POINT_IN_TILE_AND_SCOPE, **spec))
               for name, spec in _LAYERS.items()}  # tile layers (detail, overview), not hierarchy layers


def _tile_centre(z: int, x: int, y: int) -> tuple[float, float]:
    n = 2 ** z
    lon = (x + 0.5) / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lon, lat


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    return _R * math.radians(lon), _R * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def gcj02_offset_m(z: int, x: int, y: int) -> tuple[float, float]:
    """The GCJ-02 shift at the tile's centre in Web-Mercator metres.

    One translation per tile: the shift changes by well under a metre across a tile at street zooms."""
    lon, lat = _tile_centre(z, x, y)
    glon, glat = wgs84_to_gcj02(lon, lat)
    x0, y0 = _mercator(lon, lat)
    x1, y1 = _mercator(float(glon), float(glat))
    return x1 - x0, y1 - y0


# What an overview's cells, colours and counts are made of, as one string: the buildings and the hierarchy
# (store.bump_version by the importer and the register) and, for coverage, the type's last run (written in
# the transaction that replaces its results). xmin tells apart two changes stamped with one transaction time.
_DATA_VERSION = text("""
SELECT coalesce((SELECT string_agg(name || ':' || version || '@' || changed_at || '/' || xmin, ',' ORDER BY name)
                 FROM dataset_version WHERE name IN ('buildings', 'hierarchy')), '')
    || '|' || coalesce((SELECT computed_at || '/' || data_versions || '/' || xmin FROM coverage_run
                        WHERE facility_type_id = CAST(:t AS integer)), '')
""")


def cache_key(session: Session, layer: str, z: int, x: int, y: int, *, visible: list[int] | None,
              community: str | None, gcj02: bool, params: dict) -> tuple:
    """Everything that shapes an overview tile: layer, parameters, tile, scope, shift and the data's version."""
    version = session.execute(_DATA_VERSION, {"t": params.get("t")}).scalar()
    scope = None if visible is None else tuple(sorted(visible))
    return layer, tuple(sorted(params.items())), z, x, y, community, scope, gcj02, version


def seed_digest(key: tuple) -> str:
    """The tile_seed key of a cache key: a digest of everything that shaped the tile."""
    return hashlib.sha256(repr(key).encode()).hexdigest()


_SEEDED = text("SELECT body FROM tile_seed WHERE key = :key")


def tile(session: Session, layer: str, z: int, x: int, y: int, *, visible: list[int] | None,
         community: str | None = None, gcj02: bool = False, params: dict | None = None,
         cache: TileCache | None = None, seeded: bool = True) -> bytes:
    """One Mapbox vector tile of a layer limited to the visible community ids (None: all); empty bytes when nothing is there.

    From DETAIL_ZOOM on, each building's outline and attributes; below it, points per cell and colour, kept
    in `cache` when given (read before the tile, so a change committed meanwhile only makes a fresher entry)
    and, unscoped, rendered ahead by the coverage job (maps/tile_seed.py) when `seeded`."""
    if layer not in TILE_LAYERS:
        raise NotFound(f"no tile layer {layer!r}; one of {', '.join(TILE_LAYERS)}", code="layer_not_found")
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise InvalidInput(f"tile {z}/{x}/{y} does not exist", code="bad_tile")
    key = None
    from_seed = seeded and visible is None and community is None
    if z < DETAIL_ZOOM and (cache is not None or from_seed):
        key = cache_key(session, layer, z, x, y, visible=visible, community=community, gcj02=gcj02,
                        params=params or {})
        found = cache.get(key) if cache is not None else None
        if found is None and from_seed:
            found = session.execute(_SEEDED, {"key": seed_digest(key)}).scalar()
            if found is not None and cache is not None:
                cache.put(key, bytes(found))
        if found is not None:
            return bytes(found)
    dx, dy = gcj02_offset_m(z, x, y) if gcj02 else (0.0, 0.0)
    pad = 2 * math.pi * _R / 2 ** z * 64 / EXTENT + abs(dx) + abs(dy)  # the buffer, and what the shift moves in
    detail, overview = TILE_LAYERS[layer]
    # ST_AsMVTGeom's high cost estimate makes the planner JIT-compile a query that runs in tens of
    # milliseconds: compiling took ~400 ms of a z12 tile. Off for this transaction only.
    session.execute(text("SELECT set_config('jit', 'off', true)"))
    data = session.execute(text(detail if z >= DETAIL_ZOOM else overview),
                           {"z": z, "x": x, "y": y, "dx": dx, "dy": dy, "pad": pad, "community": community,
                            "visible": visible, **(params or {})}).scalar()
    body = bytes(data or b"")
    if key is not None and cache is not None:
        cache.put(key, body)
    return body


class VectorTileLayer(JSCSSMixin, Layer):
    """A Leaflet.VectorGrid layer over one of the tile routes, with escaped click popups."""

    local_assets = ([VECTORGRID_JS], [])
    default_js = [VECTORGRID_JS]
    default_css: list = []
    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = gridDesk.vectorTiles({{ this.url|tojson }}, {{ this.layer|tojson }},
                {{ this.style|tojson }}, {{ this.spec|tojson }});
        {% endmacro %}
    """)

    def __init__(self, url: str, layer: str, name: str, *, style: dict, spec: dict, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "VectorTileLayer"
        self.url, self.layer, self.style, self.spec = url, layer, style, spec
