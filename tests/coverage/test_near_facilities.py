"""The facilities listed near a community (isochrones) are exactly those within the walk of it."""
from __future__ import annotations

import pytest
from shapely.geometry import Point
from sqlalchemy import text

from grid_app.coverage import service as coverage_service
from grid_app.places.importer import import_files

from .. import district as d
from ..geo import feature, lonlat, write_layer
from .test_coverage_service import covered  # noqa: F401  (fixture)

# Metres east/north of the district's origin: around community A's east edge (x = 500, shared with B)
# and its multipolygon exclave (x 1200..1300, y 0..100), at and around one minute's walk (72 m at 1.2 m/s).
SPOTS = {"F-east-in": (571, 300), "F-east-edge": (572, 300), "F-east-out": (574, 300), "F-far": (990, 990),
         "F-exclave-in": (1371, 50), "F-exclave-out": (1374, 50), "F-hole": (150, 150), "F-west-out": (-80, 500)}


def brute_force(session, community: str, type_id: int, metres: float) -> list[str]:
    """Every facility of the type tested against the community's polygon (the previous query)."""
    return list(session.scalars(text("""
        SELECT f.code FROM facility f WHERE f.type_id = :t AND ST_DWithin(f.geom::geography,
            (SELECT geom FROM community WHERE code = :c)::geography, :d) ORDER BY f.code"""),
        {"t": type_id, "c": community, "d": metres}))


@pytest.mark.parametrize("minutes", [1, 5, 15])
@pytest.mark.parametrize("community", [d.COMM_A, d.COMM_B, "999999999999"])
def test_near_facilities_are_those_within_the_walk(covered, tmp_path, community, minutes):  # noqa: F811
    (tmp_path / "more").mkdir()
    import_files(covered, [write_layer(tmp_path / "more" / "facilities.geojson", [
        feature(Point(lonlat(x, y)), code=code, name=code, type_code="health_station", community_code=d.COMM_B)
        for code, (x, y) in SPOTS.items()])], progress=False)
    w = coverage_service.walk(covered, "health_station", minutes, 1.2)
    total, features, xy = coverage_service._facilities(covered, w, community)
    assert total == len(SPOTS) + 1
    assert [f["id"] for f in features] == brute_force(covered, community, w.type_id, w.threshold_m)
    assert xy.shape == (len(features), 2)
    if community == d.COMM_A and minutes == 1:
        assert {"F-east-in", "F-exclave-in"} <= {f["id"] for f in features}
        assert not {"F-east-out", "F-exclave-out", "F-far"} & {f["id"] for f in features}
