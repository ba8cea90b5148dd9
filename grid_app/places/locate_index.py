"""An in-process spatial index of the hierarchy for locating many points at once.

PostGIS stays the source of truth: the index is loaded from it and rebuilt when the hierarchy's
dataset version changes. It answers exactly as the SQL path in locate.py does (ties go to the
smallest code; snapping to the nearest grid within snap_m), but with shapely 2's vectorised
STRtree queries instead of one index probe per point per layer, which is what makes batches fast.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy import text
from sqlalchemy.orm import Session

from grid_app.network.model import metric_crs_for
from grid_app.network.store import versions
from grid_app.places.location import Place

_lock = threading.Lock()
_cache: dict = {}


@dataclass
class Layer:
    """One level's ids, codes, names and polygons, sorted by code, with its STRtree."""

    ids: np.ndarray
    codes: np.ndarray
    names: np.ndarray
    tree: shapely.STRtree
    places: list
    parents: list | None = None  # grids: their community's Place

    def covering(self, points: np.ndarray) -> np.ndarray:
        """Index of the smallest-code polygon covering each point, -1 where none does."""
        best = np.full(len(points), -1, dtype=np.int64)
        if len(self.ids) == 0:
            return best
        qi, ti = self.tree.query(points, predicate="covered_by")
        if len(qi):
            # Layers are sorted by code, so the smallest tree index is the smallest code.
            order = np.lexsort((ti, qi))
            qi, ti = qi[order], ti[order]
            first = np.r_[True, qi[1:] != qi[:-1]]
            best[qi[first]] = ti[first]
        return best


class LocateIndex:
    """Grids, residential areas and buildings of the database, for batch locating."""

    def __init__(self, session: Session):
        self.grids = _layer(session, "SELECT g.id, g.code, g.name, ST_AsBinary(g.geom), c.id, c.code, c.name "
                                     "FROM grid g JOIN community c ON c.id = g.community_id ORDER BY g.code")
        self.areas = _layer(session, "SELECT id, code, name, ST_AsBinary(geom) FROM residential_area ORDER BY code")
        self.buildings = _layer(session, "SELECT id, code, name, ST_AsBinary(geom) FROM building ORDER BY code")
        polys = self.grids.tree.geometries
        if len(polys):
            lon, lat = shapely.get_coordinates(shapely.centroid(shapely.union_all(shapely.envelope(polys))))[0]
            self.to_metric = Transformer.from_crs(4326, metric_crs_for(lon, lat), always_xy=True)
            self.metric_tree = shapely.STRtree(shapely.transform(polys, self._project))
        else:
            self.to_metric, self.metric_tree = None, None

    def _project(self, xy: np.ndarray) -> np.ndarray:
        return np.column_stack(self.to_metric.transform(xy[:, 0], xy[:, 1]))

    def locate(self, lons, lats, snap_m: float):
        """Per point: (grid index, snapped metres, area index, building index); -1 where none."""
        pts = shapely.points(np.column_stack([np.asarray(lons, float), np.asarray(lats, float)]))
        grid = self.grids.covering(pts)
        snapped = np.where(grid >= 0, 0.0, np.nan)
        missing = np.flatnonzero(grid < 0)
        if len(missing) and self.metric_tree is not None:
            metric = shapely.transform(pts[missing], self._project)
            # Every grid within snap_m, not only query_nearest's: two grids sharing the nearest vertex are
            # equally near, but float noise in the projected distance would hide one of them.
            qi, ti = self.metric_tree.query(metric, predicate="dwithin", distance=snap_m)
            dist = shapely.distance(metric[qi], self.metric_tree.geometries[ti])
            if len(qi):
                # Equal distances (to a micrometre): the smallest code wins, as in SQL.
                best = np.full(len(missing), np.inf)
                np.minimum.at(best, qi, dist)
                near = dist <= best[qi] + 1e-6
                qi, ti, dist = qi[near], ti[near], dist[near]
                order = np.lexsort((ti, qi))
                qi, ti, dist = qi[order], ti[order], dist[order]
                first = np.r_[True, qi[1:] != qi[:-1]]
                grid[missing[qi[first]]] = ti[first]
                snapped[missing[qi[first]]] = dist[first]
        return grid, snapped, self.areas.covering(pts), self.buildings.covering(pts)


def _layer(session: Session, sql: str) -> Layer:
    rows = session.execute(text(sql)).all()
    geoms = shapely.from_wkb([bytes(r[3]) for r in rows]) if rows else np.array([], dtype=object)
    # Place objects made once per feature, so a batch only picks them (no per-point allocation).
    places = [Place(r[0], r[1], r[2]) for r in rows]
    parents = [Place(r[4], r[5], r[6]) for r in rows] if rows and len(rows[0]) > 4 else None
    return Layer(np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=object),
                 np.array([r[2] for r in rows], dtype=object), shapely.STRtree(geoms), places, parents)


def index_for(session: Session) -> LocateIndex:
    """The index for the current hierarchy (built once per hierarchy version and database)."""
    key = (str(session.get_bind().engine.url), versions(session, ("hierarchy",)))
    with _lock:
        found = _cache.get(key)
    if found is None:
        found = LocateIndex(session)
        with _lock:
            _cache.clear()  # one generation: the previous hierarchy is out of date
            _cache[key] = found
    return found
