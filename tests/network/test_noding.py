"""Noding rules on small layers: bridges, tunnels, ferries, rail, near-miss ends, crossings."""
from __future__ import annotations

import json

import numpy as np
import pytest

from grid_app.coverage.graph import WalkGraph, snap
from grid_app.network.lines import load_lines

LON, LAT = 117.48, 30.66
M = 1 / 111_000  # about a metre in degrees of latitude


def _write(tmp_path, features, name="roads.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "LineString", "coordinates": coords}}
        for coords, props in features]}))
    return str(path)


def _ew(y_m, props, x0=-100, x1=100):
    return [[LON + x0 * M, LAT + y_m * M], [LON + x1 * M, LAT + y_m * M]], props


def _ns(x_m, props, y0=-100, y1=100):
    return [[LON + x_m * M, LAT + y0 * M], [LON + x_m * M, LAT + y1 * M]], props


def test_same_level_crossing_is_a_junction(tmp_path):
    net, _ = load_lines(_write(tmp_path, [_ew(0, {"highway": "residential"}), _ns(0, {"highway": "footway"})]))
    assert net.n_nodes == 5 and net.n_edges == 4
    assert len(net.components()[1]) == 1


def test_bridge_over_a_road_makes_no_junction(tmp_path):
    net, _ = load_lines(_write(tmp_path, [
        _ew(0, {"highway": "residential"}),
        _ns(0, {"highway": "footway", "bridge": "yes", "layer": "1"}),
    ]))
    assert net.n_nodes == 4 and net.n_edges == 2
    assert len(net.components()[1]) == 2
    assert list(net.ground[np.argsort([h for h in net.highway])]) == [False, True]


def test_shared_vertex_on_different_levels_is_not_a_junction(tmp_path):
    mid = [LON, LAT]
    net, _ = load_lines(_write(tmp_path, [
        ([[LON - 100 * M, LAT], mid, [LON + 100 * M, LAT]], {"highway": "residential"}),
        ([[LON, LAT - 100 * M], mid, [LON, LAT + 100 * M]], {"highway": "footway", "tunnel": "yes", "layer": "-1"}),
        ([[LON, LAT + 100 * M], [LON + 100 * M, LAT + 100 * M]], {"highway": "footway"}),
    ]))
    # The footway tunnel joins the street at its ends, not where it passes under the road.
    assert net.n_edges == 3 and len(net.components()[1]) == 2


def test_tunnel_ferry_and_rail_are_dropped_footway_tunnel_kept(tmp_path):
    net, tally = load_lines(_write(tmp_path, [
        _ew(0, {"highway": "primary", "tunnel": "yes", "layer": "-1"}),
        _ew(50, {"route": "ferry"}),
        _ew(100, {"railway": "rail"}),
        _ew(150, {"highway": "footway", "tunnel": "yes", "layer": "-1"}),
        _ew(200, {"route": "ferry", "foot": "yes"}),
        _ew(250, {"highway": "motorway"}),
        _ew(300, {"highway": "mystery_road"}),
    ]))
    assert tally.dropped == {"car tunnel": 1, "class ferry": 1, "class rail": 1, "class motorway": 1}
    assert tally.unknown == {"mystery_road": 1}
    assert sorted(net.highway) == ["ferry", "footway", "mystery_road"]


def test_keep_and_drop_override_the_table(tmp_path):
    path = _write(tmp_path, [_ew(0, {"highway": "motorway"}), _ew(50, {"highway": "footway"})])
    net, _ = load_lines(path, keep=frozenset({"motorway"}), drop=frozenset({"footway"}))
    assert list(net.highway) == ["motorway"]


@pytest.mark.parametrize("snap_m, pieces", [(0.5, 1), (0.0, 2)])
def test_ends_0_3_m_apart_join_within_snap(tmp_path, snap_m, pieces):
    net, tally = load_lines(_write(tmp_path, [
        _ew(0, {"highway": "footway"}, -100, 0), _ew(0, {"highway": "footway"}, 0.3, 100),
        _ns(100.2, {"highway": "footway"}, 0, 100),  # a T-junction that stops 0.2 m short
    ]), snap_m=snap_m)
    assert len(net.components()[1]) == pieces + (snap_m == 0)
    assert tally.snapped_ends == (2 if snap_m else 0)


def test_geofabrik_fclass_and_kind_and_class_field(tmp_path):
    gf, tally = load_lines(_write(tmp_path, [
        _ew(0, {"fclass": "footway", "bridge": "F", "tunnel": "F", "layer": 0}),
        _ew(50, {"fclass": "motorway", "bridge": "F", "tunnel": "F", "layer": 0}),
        _ew(100, {"fclass": "primary", "bridge": "F", "tunnel": "T", "layer": -1}),
    ], "gf.geojson"))
    assert tally.scheme == "fclass" and list(gf.highway) == ["footway"]
    kind, tally = load_lines(_write(tmp_path, [
        _ew(0, {"kind": "path", "kind_detail": "footway"}), _ew(50, {"kind": "rail", "kind_detail": "rail"}),
        _ew(100, {"kind": "ferry"}), _ew(150, {"kind": "minor_road"}),
    ], "kind.geojson"))
    assert tally.scheme == "kind" and sorted(kind.highway) == ["footway", "minor_road"]
    plain, tally = load_lines(_write(tmp_path, [_ew(0, {"DLDJ": "steps"}), _ew(50, {"DLDJ": "motorway"})],
                                     "plain.geojson"), class_field="DLDJ")
    assert list(plain.highway) == ["steps"]
    with pytest.raises(ValueError, match="no field 'nope'"):
        load_lines(_write(tmp_path, [_ew(0, {"DLDJ": "steps"})], "p2.geojson"), class_field="nope")


def test_oneway_foot_both_spellings(tmp_path):
    net, _ = load_lines(_write(tmp_path, [
        _ew(0, {"highway": "footway", "oneway:foot": "yes"}), _ew(50, {"highway": "footway", "oneway_foot": "-1"})]))
    assert list(net.directed) == [True, True]
    assert net.lon[net.u[1]] > net.lon[net.v[1]]


def test_homes_attach_to_the_ground_not_the_bridge_above(tmp_path):
    net, _ = load_lines(_write(tmp_path, [
        _ew(0, {"highway": "footway", "bridge": "yes", "layer": "1"}),
        _ew(30, {"highway": "residential"}),
    ]))
    g = WalkGraph(net)
    s = snap(g, np.array([[LON, LAT + 1 * M]]), 150)  # 1 m from the bridge, 29 m from the street
    assert net.ground[s.edge[0]] and s.access_m[0] == pytest.approx(29, abs=0.5)
