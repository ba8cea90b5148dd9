"""Read a walking network from a line layer (GeoJSON, GeoPackage, ...) with pyogrio."""
from __future__ import annotations

import os

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from .model import WalkNetwork, build_network

# Endpoints closer than this (in degrees, ~1 cm) are the same node.
NODE_DECIMALS = 7
_FORWARD = {"yes", "true", "1"}
_REVERSE = {"-1", "reverse"}


def _to_wgs84(geoms: np.ndarray, crs_text: str | None, path: str) -> np.ndarray:
    """Reproject geometries to EPSG:4326, or check they already look like lon/lat."""
    if crs_text:
        try:
            crs = CRS.from_user_input(crs_text)
        except CRSError as exc:
            raise ValueError(f"{path}: unreadable CRS {crs_text!r}: {exc}") from exc
        if not crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
            tr = Transformer.from_crs(crs, 4326, always_xy=True)
            geoms = shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    if bad.any():
        raise ValueError(f"{path}: feature {int(idx[np.argmax(bad)])}: coordinates are not lon/lat "
                         f"(CRS {crs_text or 'missing'}; expected EPSG:4326 or a declared CRS)")
    return geoms


def _direction(values: np.ndarray | None, n: int) -> np.ndarray:
    """+1 forward-only, -1 reverse-only, 0 two-way, from oneway_foot property values."""
    out = np.zeros(n, dtype=np.int8)
    if values is None:
        return out
    text = np.array([str(x).strip().lower() if x is not None else "" for x in values], dtype=object)
    out[np.isin(text, list(_FORWARD))] = 1
    out[np.isin(text, list(_REVERSE))] = -1
    return out


def read_lines(path: str | os.PathLike, layer: str | int | None = None) -> WalkNetwork:
    """Build a WalkNetwork from a line layer; lines must be split at intersections already."""
    path = os.fspath(path)
    try:
        meta, _, wkb, field_data = pyogrio.raw.read(path, layer=layer)
    except pyogrio.errors.DataSourceError as exc:
        raise ValueError(f"{path}: cannot read line layer: {exc}") from exc
    fields = list(meta["fields"])
    geoms = shapely.from_wkb(wkb)
    n = len(geoms)
    if n == 0:
        raise ValueError(f"{path}: no features")
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        raise ValueError(f"{path}: feature {int(np.argmax(empty))}: empty geometry")
    not_line = ~np.isin(shapely.get_type_id(geoms), (1, 5))  # LineString, MultiLineString
    if not_line.any():
        i = int(np.argmax(not_line))
        raise ValueError(f"{path}: feature {i}: geometry type {geoms[i].geom_type} is not a line")
    geoms = _to_wgs84(geoms, meta.get("crs"), path)

    direction = _direction(field_data[fields.index("oneway_foot")] if "oneway_foot" in fields else None, n)
    highway_vals = (field_data[fields.index("highway")] if "highway" in fields else np.full(n, ""))
    # Multi-part features become one edge per part.
    parts, feat = shapely.get_parts(geoms, return_index=True)
    direction, highway = direction[feat], np.asarray(highway_vals, dtype=object)[feat]
    rev = direction == -1
    if rev.any():
        parts[rev] = shapely.reverse(parts[rev])
    too_short = shapely.get_num_points(parts) < 2
    if too_short.any():
        raise ValueError(f"{path}: feature {int(feat[np.argmax(too_short)])}: line has fewer than 2 points")

    first = shapely.get_coordinates(shapely.get_point(parts, 0))
    last = shapely.get_coordinates(shapely.get_point(parts, -1))
    ends = np.round(np.vstack([first, last]), NODE_DECIMALS)
    nodes, inverse = np.unique(ends, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    m = len(parts)
    u, v = inverse[:m], inverse[m:]
    # Snap the geometry's ends onto the rounded node so edges start/end exactly at their nodes.
    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    starts = np.r_[0, np.flatnonzero(np.diff(cidx)) + 1]
    stops = np.r_[starts[1:], len(cidx)] - 1
    coords[starts] = nodes[u]
    coords[stops] = nodes[v]
    parts = shapely.linestrings(coords, indices=cidx)
    highway = np.array(["" if h is None else str(h) for h in highway], dtype=object)
    return build_network(np.arange(len(nodes)), nodes[:, 0], nodes[:, 1], u, v, parts,
                         direction != 0, highway)
