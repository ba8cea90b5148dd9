"""The low-zoom tile cache: bounded, keyed by scope and data version, never a tile of another scope or of old data."""
from __future__ import annotations

from shapely.geometry import Point

from grid_app.coverage.refresh import refresh
from grid_app.maps import vector_tiles
from grid_app.maps.tile_cache import TileCache
from grid_app.places.importer import import_files
from grid_app.platform.reference import facility_types

from .. import district as d
from ..coverage.test_coverage_service import SPEED, covered, street_network  # noqa: F401  (fixtures)
from ..geo import box, feature, lonlat, write_layer
from .test_tile_overview import crowded, features  # noqa: F401  (fixture)
from .test_tile_zooms import _tile_of


def test_least_recently_used_go_first_beyond_the_budget():
    cache = TileCache(10)
    cache.put("a", b"12345")
    cache.put("b", b"12345")
    assert cache.get("a") == b"12345"  # now b is the least recently used
    cache.put("c", b"12")
    assert cache.get("b") is None and cache.get("a") == b"12345" and cache.get("c") == b"12"
    cache.put("huge", b"x" * 11)
    assert cache.get("huge") is None and len(cache) == 2


def test_entries_expire():
    now = [0.0]
    cache = TileCache(100, max_age_s=300, clock=lambda: now[0])
    cache.put("a", b"1")
    now[0] = 299.0
    assert cache.get("a") == b"1"
    now[0] = 301.0
    assert cache.get("a") is None and len(cache) == 0


def test_only_low_zooms_are_cached(session):
    cache = TileCache(2 ** 24)
    for z in (vector_tiles.DETAIL_ZOOM - 1, vector_tiles.DETAIL_ZOOM):
        vector_tiles.tile(session, "buildings", *_tile_of(315, 315, z), visible=None, cache=cache)
    assert len(cache) == 1


def test_scope_is_part_of_the_key(session, crowded):  # noqa: F811
    cache = TileCache(2 ** 24)
    z, x, y = _tile_of(500, 500, 12)
    a, b = crowded["ids"][d.COMM_A], crowded["ids"][d.COMM_B]
    scopes = [{"visible": [b]}, {"visible": [a]}, {"visible": None}, {"visible": [a, b]},
              {"visible": None, "community": d.COMM_A}, {"visible": None, "gcj02": True}]
    first = [vector_tiles.tile(session, "buildings", z, x, y, cache=cache, **s) for s in scopes]
    assert len(cache) == len(scopes) and cache.hits == 0
    again = [vector_tiles.tile(session, "buildings", z, x, y, cache=cache, **s) for s in scopes]
    assert cache.hits == len(scopes)
    fresh = [vector_tiles.tile(session, "buildings", z, x, y, **s) for s in scopes]
    assert first == again == fresh
    assert features(first[0]) != features(first[1])  # B's tile is never served to A


def test_a_building_change_is_seen(session, tmp_path):
    cache = TileCache(2 ** 24)
    tile = _tile_of(300, 300, 12)
    before = vector_tiles.tile(session, "buildings", *tile, visible=None, cache=cache)
    import_files(session, [write_layer(tmp_path / "buildings.geojson", [
        feature(box(300, 300, 310, 310), code=d.AREA + "B990", name="新楼", community_code=d.COMM_A,
                residential_area_code=d.AREA, residents=900, households=300)])], progress=False)
    after = vector_tiles.tile(session, "buildings", *tile, visible=None, cache=cache)
    assert after == vector_tiles.tile(session, "buildings", *tile, visible=None)
    assert sum(dict(a)["buildings"] for _, a in features(after)) == \
        sum(dict(a)["buildings"] for _, a in features(before)) + 1


def test_a_coverage_change_is_seen(covered, tmp_path):  # noqa: F811
    cache = TileCache(2 ** 24)
    health = next(t.id for t in facility_types(covered) if t.code == "health_station")
    params = {"t": health, "threshold": 1080.0, "speed": SPEED}
    tile = _tile_of(885, 955, 13)
    before = vector_tiles.tile(covered, "coverage", *tile, visible=None, params=params, cache=cache)
    import_files(covered, [write_layer(tmp_path / "facilities.geojson", [
        feature(Point(lonlat(750, 1000)), code="F-health-T2", name="乙社区卫生服务站",
                type_code="health_station", community_code=d.COMM_B)])], progress=False)
    refresh(covered, SPEED)  # the far home is now 180 m from a station: its cell changes colour
    after = vector_tiles.tile(covered, "coverage", *tile, visible=None, params=params, cache=cache)
    assert after == vector_tiles.tile(covered, "coverage", *tile, visible=None, params=params)
    assert features(after) != features(before)
