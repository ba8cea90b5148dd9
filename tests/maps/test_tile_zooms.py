"""Vector tiles below DETAIL_ZOOM: points per pixel and colour, smaller, still the 'buildings' layer."""
from __future__ import annotations

import math

import pytest

from grid_app.maps import vector_tiles

from .. import district as d
from ..geo import lonlat


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _fields(buf: bytes):
    """(field number, wire type, value) of a protobuf message: ints for varints, bytes for length-delimited."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def decode(tile: bytes) -> dict:
    """Layers of a Mapbox vector tile: name -> extent, keys and the geometry type of each feature."""
    layers = {}
    for number, _, layer in _fields(tile):
        assert number == 3
        found = {"keys": [], "types": [], "extent": 4096}
        for n, _, value in _fields(layer):
            if n == 1:
                name = value.decode()
            elif n == 3:
                found["keys"].append(value.decode())
            elif n == 5:
                found["extent"] = value
            elif n == 2:
                found["types"].append(dict((f, v) for f, _, v in _fields(value)).get(3))
        layers[name] = found
    return layers


def _tile_of(x_m, y_m, z):
    lon, lat = lonlat(x_m, y_m)
    n = 2 ** z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


@pytest.mark.parametrize("layer, params", [("buildings", {}),
                                           ("coverage", {"t": 1, "speed": 1.2, "threshold": 1080.0})])
def test_low_zoom_tile_is_points_and_smaller(session, monkeypatch, layer, params):
    z, x, y = _tile_of(315, 315, vector_tiles.DETAIL_ZOOM - 2)
    low = vector_tiles.tile(session, layer, z, x, y, visible=None, params=params)
    monkeypatch.setattr(vector_tiles, "DETAIL_ZOOM", 0)
    outlines = vector_tiles.tile(session, layer, z, x, y, visible=None, params=params)
    assert 0 < len(low) < len(outlines)
    points, detail = decode(low)["buildings"], decode(outlines)["buildings"]
    assert set(points["types"]) == {1} and points["extent"] == vector_tiles.OVERVIEW_EXTENT
    assert {"fill", "buildings", "residents"} <= set(points["keys"]) and "code" not in points["keys"]
    assert set(detail["types"]) == {3} and "code" in detail["keys"]
    assert len(points["types"]) <= len(detail["types"])


def test_street_zoom_tile_keeps_outlines_and_popup_fields(session):
    z, x, y = _tile_of(315, 315, vector_tiles.DETAIL_ZOOM)
    found = decode(vector_tiles.tile(session, "buildings", z, x, y, visible=None, community=d.COMM_A))["buildings"]
    assert set(found["types"]) == {3} and {"code", "name", "residents", "party", "fill"} <= set(found["keys"])
