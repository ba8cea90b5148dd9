"""Tiles since migration 0020 (stored Web-Mercator centroids, joins as key probes): the same features as before."""
from __future__ import annotations

import math
import random

import pytest
from sqlalchemy import text

from grid_app.maps import vector_tiles

from .. import district as d
from ..geo import lonlat
from .test_tile_zooms import _fields, _tile_of, _varint

# The tiles as they were before migration 0020: every building's centroid computed and projected per tile,
# the popups' and colours' tables joined plainly.
_WHERE = """b.geom && ST_Transform(ST_Expand(bounds.geom, :pad), 4326)
    AND (CAST(:community AS text) IS NULL OR b.community_id = (SELECT id FROM community WHERE code = :community))
    AND (CAST(:visible AS integer[]) IS NULL OR b.community_id = ANY(CAST(:visible AS integer[])))"""
_PREVIOUS_OVERVIEW = """
WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS geom)
SELECT ST_AsMVT(t, 'buildings', 256, 'geom') FROM (
  SELECT fill, count(*)::integer AS buildings, sum(residents)::integer AS residents, geom FROM (
    SELECT b.residents, {fill} AS fill,
           ST_AsMVTGeom(ST_Translate(ST_Transform(ST_Centroid(b.geom), 3857), :dx, :dy), bounds.geom,
                        256, 0, true) AS geom
    FROM building b CROSS JOIN bounds {join}
    WHERE """ + _WHERE + """
  ) p WHERE p.geom IS NOT NULL GROUP BY geom, fill
) t
"""
_PREVIOUS_DETAIL = """
WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS geom)
SELECT ST_AsMVT(t, 'buildings', 4096, 'geom') FROM (
  SELECT {attributes}, {fill} AS fill,
         ST_AsMVTGeom(ST_Translate(ST_Transform(b.geom, 3857), :dx, :dy), bounds.geom, 4096, 64, true) AS geom
  FROM building b CROSS JOIN bounds {join}
  WHERE """ + _WHERE + """
) t WHERE t.geom IS NOT NULL
"""
_PREVIOUS_JOINS = {
    "buildings": ("", "LEFT JOIN party_organisation p ON p.building_id = b.id"),
    "coverage": ("LEFT JOIN coverage_result r ON r.building_id = b.id AND r.facility_type_id = :t",) * 2}
STATUSES = ("ok", "ok", "ok", "beyond", "unsnapped", "nofacility")


def _value(buf: bytes):
    number, _, value = next(iter(_fields(buf)))
    return value.decode() if number == 1 else value


def _packed(buf: bytes) -> list[int]:
    out, pos = [], 0
    while pos < len(buf):
        value, pos = _varint(buf, pos)
        out.append(value)
    return out


def features(tile: bytes) -> list[tuple]:
    """Every feature of the 'buildings' layer as (geometry commands, sorted attributes), sorted."""
    found = []
    for _, _, layer in _fields(tile):
        keys, values, raw = [], [], []
        for n, _, value in _fields(layer):
            if n == 3:
                keys.append(value.decode())
            elif n == 4:
                values.append(_value(value))
            elif n == 2:
                raw.append(dict((f, v) for f, _, v in _fields(value)))
        for f in raw:
            tags = _packed(f.get(2, b""))
            geometry = tuple(f[4])
            found.append((geometry, tuple(sorted((keys[k], values[v]) for k, v in zip(tags[::2], tags[1::2])))))
    return sorted(found)


@pytest.fixture
def crowded(session):
    """900 small buildings over the district (many sharing a low-zoom cell), coverage of one type, party groups."""
    rng = random.Random(20)
    ids = dict(session.execute(text("SELECT code, id FROM community")).all())
    type_id = session.execute(text("SELECT min(id) FROM facility_type")).scalar()
    rows = []
    for i in range(900):
        x, y = rng.uniform(0, 995), rng.uniform(0, 995)
        ring = [lonlat(x, y), lonlat(x + 5, y), lonlat(x + 5, y + 4), lonlat(x, y + 4), lonlat(x, y)]
        wkt = "MULTIPOLYGON(((" + ",".join(f"{lon} {lat}" for lon, lat in ring) + ")))"
        community = d.COMM_A if x < 500 else d.COMM_B
        rows.append({"code": f"{community}T{i:04d}", "community_id": ids[community], "wkt": wkt,
                     "residents": rng.choice([0, 10, 49, 50, 51, 120, 151, 299, 301, 800])})
    session.execute(text("INSERT INTO building (code, name, community_id, households, residents, geom) "
                         "VALUES (:code, 'T', :community_id, 1, :residents, ST_GeomFromText(:wkt, 4326))"), rows)
    session.execute(text("DELETE FROM coverage_result WHERE facility_type_id = :t"), {"t": type_id})
    covered = [{"code": r["code"], "t": type_id, "status": rng.choice(STATUSES),
                "m": rng.choice([None, 100.0, 360.0, 500.0, 720.0, 900.0, 1080.0, 1500.0])}
               for r in rows if rng.random() < 0.9]  # a tenth have no row at all
    session.execute(text("INSERT INTO coverage_result (building_id, facility_type_id, distance_m, status) "
                         "SELECT id, :t, :m, :status FROM building WHERE code = :code"), covered)
    session.execute(text("INSERT INTO party_organisation (kind, name, building_id) "
                         "SELECT '党小组', code || '党小组', id FROM building WHERE name = 'T' AND id % 3 = 0"))
    return {"type_id": type_id, "ids": ids}


def _previous(session, layer, z, x, y, *, visible, community, gcj02, params) -> bytes:
    dx, dy = vector_tiles.gcj02_offset_m(z, x, y) if gcj02 else (0.0, 0.0)
    pad = 2 * math.pi * vector_tiles._R / 2 ** z * 64 / vector_tiles.EXTENT + abs(dx) + abs(dy)
    spec = vector_tiles._LAYERS[layer]
    fill_join, join = _PREVIOUS_JOINS[layer]
    sql = (_PREVIOUS_DETAIL.format(attributes=spec["attributes"], fill=spec["fill"], join=join)
           if z >= vector_tiles.DETAIL_ZOOM else _PREVIOUS_OVERVIEW.format(fill=spec["fill"], join=fill_join))
    return bytes(session.execute(text(sql), {"z": z, "x": x, "y": y, "dx": dx, "dy": dy, "pad": pad,
                                             "visible": visible, "community": community, **params}).scalar() or b"")


@pytest.mark.parametrize("z", [10, 12, 13, 14])
@pytest.mark.parametrize("layer, threshold", [("buildings", None), ("coverage", 1080.0), ("coverage", 500.0)])
@pytest.mark.parametrize("scope", ["all", "community", "visible"])
@pytest.mark.parametrize("gcj02", [False, True])
def test_tiles_equal_the_previous_sql(session, crowded, z, layer, threshold, scope, gcj02):
    params = {"t": crowded["type_id"], "threshold": threshold, "speed": 1.2} if threshold else {}
    limits = {"visible": [crowded["ids"][d.COMM_B]] if scope == "visible" else None,
              "community": d.COMM_A if scope == "community" else None}
    shown = 0
    for at in ((250, 250), (750, 750), (1250, 50)):  # tiles over both communities and the exclave
        z_, x, y = _tile_of(*at, z)
        now = vector_tiles.tile(session, layer, z_, x, y, gcj02=gcj02, params=params, **limits)
        before = _previous(session, layer, z_, x, y, gcj02=gcj02, params=params, **limits)
        assert features(now) == features(before)
        shown += len(features(now))
    assert shown > 10  # the comparison saw real cells, not two empty tiles


def test_many_buildings_share_a_cell_with_their_counts(session, crowded):
    z, x, y = _tile_of(500, 500, 12)
    cells = features(vector_tiles.tile(session, "buildings", z, x, y, visible=None))
    counted = sum(dict(attrs)["buildings"] for _, attrs in cells)
    assert len(cells) < counted
    inside = session.execute(text(
        "SELECT count(*) FROM building WHERE ST_Intersects(point_3857, ST_TileEnvelope(:z, :x, :y))"),
        {"z": z, "x": x, "y": y}).scalar()
    assert counted == inside


def _count(session, z, x, y) -> int:
    return sum(dict(a)["buildings"] for _, a in features(vector_tiles.tile(session, "buildings", z, x, y,
                                                                          visible=None)))


def _tile_at(lon, lat, z):
    n = 2 ** z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def test_stored_point_follows_the_geometry(session, crowded):
    """PostgreSQL keeps the point on update: a moved building is counted where it went, not where it was."""
    code = session.execute(text("SELECT min(code) FROM building WHERE name = 'T'")).scalar()
    centre = text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) c FROM building WHERE code = :c) s")
    old = _tile_at(*session.execute(centre, {"c": code}).one(), 13)
    before = _count(session, *old)
    session.execute(text("UPDATE building SET geom = ST_Translate(geom, 0.03, 0) WHERE code = :c"), {"c": code})
    new = _tile_at(*session.execute(centre, {"c": code}).one(), 13)  # ~3 km east, beyond the district
    assert new != old
    assert _count(session, *old) == before - 1 and _count(session, *new) == 1
    assert session.execute(text("SELECT ST_Equals(point_3857, ST_Transform(ST_Centroid(geom), 3857)) "
                                "FROM building WHERE code = :c"), {"c": code}).scalar()
