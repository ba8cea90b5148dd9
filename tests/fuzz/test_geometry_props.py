"""Properties of the coordinate functions: GCJ-02 round trips, input checking, and the two locate paths."""
from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from grid_app.places import gcj02, locate
from grid_app.platform.errors import InvalidInput

from ..geo import lonlat

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 50))
PURE = settings(max_examples=EXAMPLES * 4, deadline=None, database=None)  # no database: cheap, so more examples
WITH_DB = settings(max_examples=EXAMPLES, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])
M_PER_DEG = 111_320.0

# Mainland China's extent, kept off the edges of GCJ-02's own rectangle: a shifted point near that
# rectangle's edge can fall outside it, where the inverse no longer applies the offset (inherent to GCJ-02).
CHINA = st.tuples(st.floats(73.5, 135.0), st.floats(18.0, 53.5))
OUTSIDE = st.one_of(
    st.tuples(st.floats(-180, 72.0), st.floats(-90, 90)),
    st.tuples(st.floats(137.9, 180), st.floats(-90, 90)),
    st.tuples(st.floats(-180, 180), st.floats(-90, 0.82)),
    st.tuples(st.floats(-180, 180), st.floats(55.83, 90)),
)


def metres_between(lon1, lat1, lon2, lat2) -> float:
    """Small distances on the sphere, good to far under a millimetre at these scales."""
    dx = (lon2 - lon1) * M_PER_DEG * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * M_PER_DEG
    return math.hypot(dx, dy)


@PURE
@given(CHINA)
def test_gcj02_round_trip_inside_china_is_under_a_millimetre(point):
    lon, lat = point
    g_lon, g_lat = gcj02.wgs84_to_gcj02(lon, lat)
    assert 1.0 < metres_between(lon, lat, g_lon, g_lat) < 1_000.0  # the shift is really applied
    back_lon, back_lat = gcj02.gcj02_to_wgs84(g_lon, g_lat)
    assert metres_between(lon, lat, back_lon, back_lat) < 0.001


@PURE
@given(OUTSIDE)
def test_gcj02_is_the_identity_outside_china(point):
    lon, lat = point
    assert gcj02.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02.gcj02_to_wgs84(lon, lat) == (lon, lat)


@PURE
@given(st.lists(CHINA, min_size=1, max_size=20))
def test_gcj02_arrays_agree_with_scalars(points):
    import numpy as np
    lons, lats = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    a_lon, a_lat = gcj02.gcj02_to_wgs84(lons, lats)
    for i, (lon, lat) in enumerate(points):
        s_lon, s_lat = gcj02.gcj02_to_wgs84(lon, lat)
        assert metres_between(s_lon, s_lat, a_lon[i], a_lat[i]) < 0.001


ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30), st.binary(max_size=10),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(["1e400", "-1e400", "nan", "inf", " 117.5 ", "117,5", "١١٧", "0x10", "1_000", "²"]),
    st.integers(10**300, 10**400),
)


@PURE
@given(ANYTHING, ANYTHING, st.one_of(st.sampled_from(["wgs84", "gcj02"]), ANYTHING))
def test_check_coordinates_raises_only_invalid_input(lon, lat, crs):
    try:
        x, y = locate.check_coordinates(lon, lat, crs)
    except InvalidInput:
        return
    assert math.isfinite(x) and math.isfinite(y)
    assert -180.0 <= x <= 180.0 and -90.0 <= y <= 90.0


# Points over the test district and a margin around it (snapping reaches 30 m out), some on edges.
DISTRICT_X = st.one_of(st.floats(-60, 1360), st.sampled_from([0.0, 250.0, 500.0, 1000.0, 1200.0, 1300.0]))
DISTRICT_Y = st.one_of(st.floats(-60, 1060), st.sampled_from([0.0, 100.0, 500.0, 1000.0]))


@WITH_DB
@given(st.lists(st.tuples(DISTRICT_X, DISTRICT_Y), min_size=1, max_size=40))
def test_index_and_sql_locate_agree(session, points):
    lons, lats = zip(*[lonlat(x, y) for x, y in points])
    by_sql = locate.locate_with_sql(session, lons, lats, 30.0)
    by_index = locate.locate_with_index(session, lons, lats, 30.0)
    assert len(by_sql) == len(by_index) == len(points)
    for point, s, i in zip(points, by_sql, by_index):
        a, b = s.as_dict(), i.as_dict()
        for key in ("community", "grid", "residential_area", "building"):
            assert a[key] == b[key], (point, key, a, b)
        if s.snapped_m is None:
            assert i.snapped_m is None, point
        else:
            assert i.snapped_m == pytest.approx(s.snapped_m, abs=0.05), point


@WITH_DB
@given(st.tuples(st.floats(5, 495), st.floats(5, 995)))
def test_points_inside_community_a_locate_there(session, point):
    """Anywhere strictly inside community A (x 0..500) is located to one of its two grids, unsnapped."""
    assume(abs(point[1] - 500) > 0.01)
    (place,) = locate.locate_with_sql(session, *zip(lonlat(*point)), 30.0)
    assert place.community.code.endswith("001") and place.snapped_m == 0.0
