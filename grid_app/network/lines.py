"""Read a walking network from a line layer (GeoJSON, GeoPackage, Shapefile) of whole ways with pyogrio."""
from __future__ import annotations

import os

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from grid_app.network.model import WalkNetwork, build_network, metric_crs_for
from grid_app.network.noding import node_lines
from grid_app.network.walkable import ONEWAY_FOOT_FIELDS, Tally, judge, kind_class, osm_class


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


def _class_of(columns: dict[str, np.ndarray], class_field: str | None, n: int, path: str
              ) -> tuple[str, list[str]]:
    """The class scheme of the layer and each feature's class (see walkable.py)."""
    if class_field:
        if class_field.lower() not in columns:
            raise ValueError(f"{path}: no field {class_field!r} (fields: {', '.join(sorted(columns))})")
        return class_field, [_clean(x) for x in columns[class_field.lower()]]
    rows = _rows(columns, n)
    if {"highway", "railway", "route"} & columns.keys():
        return "osm", [osm_class(r) for r in rows]
    if "fclass" in columns:
        return "fclass", [_clean(x) for x in columns["fclass"]]
    if "kind" in columns:
        return "kind", [kind_class(r) for r in rows]
    return "(none)", [""] * n


def _clean(value) -> str:
    return "" if value is None else str(value).strip().lower()


def _rows(columns: dict[str, np.ndarray], n: int) -> list[dict[str, object]]:
    names = [c for c in columns if c in _USED]
    return [{c: columns[c][i] for c in names} for i in range(n)]


_USED = frozenset({"highway", "railway", "route", "aerialway", "kind", "kind_detail", "foot", "access",
                   "tunnel", "bridge", "layer", "area", "sidewalk", *ONEWAY_FOOT_FIELDS})


def load_lines(path: str | os.PathLike, layer: str | int | None = None, *, snap_m: float = 0.5,
               class_field: str | None = None, keep: frozenset[str] = frozenset(),
               drop: frozenset[str] = frozenset()) -> tuple[WalkNetwork, Tally]:
    """Build a WalkNetwork from a line layer of whole ways: classify, then node (see noding.py)."""
    path = os.fspath(path)
    try:
        meta, _, wkb, field_data = pyogrio.raw.read(path, layer=layer)
    except pyogrio.errors.DataSourceError as exc:
        raise ValueError(f"{path}: cannot read line layer: {exc}") from exc
    columns = {str(f).lower(): np.asarray(v, dtype=object) for f, v in zip(meta["fields"], field_data)}
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
    scheme, classes = _class_of(columns, class_field, n, path)
    rows = _rows(columns, n)
    tally = Tally(scheme=scheme)
    verdicts = [judge(c, r, keep, drop) for c, r in zip(classes, rows)]
    for verdict in verdicts:
        tally.add(verdict)
    walk = np.array([v.walkable for v in verdicts], dtype=bool)
    if not walk.any():
        return _empty(), tally
    feat_ids = np.flatnonzero(walk)
    parts, feat = shapely.get_parts(geoms[walk], return_index=True)
    feat = feat_ids[feat]
    too_short = shapely.get_num_points(parts) < 2
    if too_short.any():
        raise ValueError(f"{path}: feature {int(feat[np.argmax(too_short)])}: line has fewer than 2 points")
    direction = np.array([verdicts[i].direction for i in feat], dtype=np.int8)
    rev = direction == -1
    if rev.any():
        parts[rev] = shapely.reverse(parts[rev])  # u -> v is then the walkable direction
    levels = [verdicts[i].level for i in feat]
    level_keys = {lv: k for k, lv in enumerate(dict.fromkeys(levels))}
    level_id = np.array([level_keys[lv] for lv in levels], dtype=np.int64)

    coords = shapely.get_coordinates(parts)
    epsg = metric_crs_for(float(np.median(coords[:, 0])), float(np.median(coords[:, 1])))
    fwd = Transformer.from_crs(4326, epsg, always_xy=True)
    inv = Transformer.from_crs(epsg, 4326, always_xy=True)
    noded = node_lines(shapely.transform(parts, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1]))),
                       level_id, snap_m)
    tally.snapped_ends = noded.snapped_ends
    lon, lat = inv.transform(noded.node_xy[:, 0], noded.node_xy[:, 1])
    geometry = shapely.transform(noded.geometry, lambda xy: np.column_stack(inv.transform(xy[:, 0], xy[:, 1])))
    src = feat[noded.source]
    return build_network(np.arange(len(lon)), np.asarray(lon), np.asarray(lat), noded.u, noded.v, geometry,
                         direction[noded.source] != 0, np.array([classes[i] for i in src], dtype=object),
                         ground=np.array([verdicts[i].ground for i in src], dtype=bool)), tally


def _empty() -> WalkNetwork:
    return build_network(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0),
                         np.zeros(0, dtype=object))


def read_lines(path: str | os.PathLike, layer: str | int | None = None, **options) -> WalkNetwork:
    """The WalkNetwork of a line layer (load_lines without the tally)."""
    return load_lines(path, layer, **options)[0]
