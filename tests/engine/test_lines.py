"""Line-file networks: noding, oneway_foot, CRS handling, and errors naming file and feature."""
from __future__ import annotations

import json

import numpy as np
import pyogrio
import pytest
import shapely

from grid_app.network.lines import read_lines


def _write(path, geoms, props=None):
    feats = [{"type": "Feature", "properties": (props or [{}] * len(geoms))[i], "geometry": g}
             for i, g in enumerate(geoms)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return str(path)


def _line(*coords):
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


def test_noding_and_oneway(tmp_path):
    path = _write(tmp_path / "net.geojson", [
        _line((117.48, 30.66), (117.481, 30.6605), (117.482, 30.66)),
        _line((117.48200000001, 30.66), (117.483, 30.66)),  # within 1e-7 deg: same node
        _line((117.483, 30.66), (117.483, 30.661)),
    ], [{"highway": "footway"}, {"oneway_foot": "yes"}, {"oneway_foot": "-1"}])
    net = read_lines(path)
    assert net.n_nodes == 4 and net.n_edges == 3
    assert net.v[0] == net.u[1]
    assert list(net.directed) == [False, True, True]
    assert net.highway[0] == "footway"
    # -1 reverses the geometry so u -> v is the walkable direction.
    assert net.lat[net.u[2]] > net.lat[net.v[2]]
    labels, sizes = net.components()
    assert list(sizes) == [4]


def test_non_line_geometry_names_file_and_feature(tmp_path):
    path = _write(tmp_path / "bad.geojson", [
        _line((117.48, 30.66), (117.49, 30.66)),
        {"type": "Point", "coordinates": [117.48, 30.66]},
    ])
    with pytest.raises(ValueError, match=r"bad\.geojson.*feature 1.*Point"):
        read_lines(path)


def test_empty_geometry_names_feature(tmp_path):
    path = _write(tmp_path / "empty.geojson", [
        _line((117.48, 30.66), (117.49, 30.66)),
        _line((117.48, 30.66), (117.49, 30.66)),
        {"type": "LineString", "coordinates": []},
    ])
    with pytest.raises(ValueError, match=r"empty\.geojson.*feature 2.*empty"):
        read_lines(path)


def test_projected_coordinates_without_crs_rejected(tmp_path):
    path = _write(tmp_path / "metres.geojson", [_line((500000, 3390000), (500100, 3390000))])
    with pytest.raises(ValueError, match=r"metres\.geojson.*feature 0.*lon/lat"):
        read_lines(path)


def test_declared_projected_crs_is_reprojected(tmp_path):
    path = str(tmp_path / "utm.gpkg")
    geoms = np.array([shapely.LineString([(500000, 3390000), (500100, 3390000)])], dtype=object)
    pyogrio.raw.write(path, shapely.to_wkb(geoms), fields=[], field_data=[], geometry_type="LineString",
                      crs="EPSG:32650", driver="GPKG")
    net = read_lines(path)
    assert 116 < net.lon.min() < 118 and 30 < net.lat.min() < 31
    assert net.length_m[0] == pytest.approx(100, rel=2e-3)


def test_missing_file_is_value_error(tmp_path):
    with pytest.raises(ValueError, match="nope.geojson"):
        read_lines(tmp_path / "nope.geojson")
