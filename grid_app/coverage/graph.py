"""Sparse routing graph over a WalkNetwork, and snapping of points onto its edges."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from scipy import sparse

from grid_app.network.model import WalkNetwork

# scipy's csgraph must not see a zero weight (a stored zero can vanish in sparse ops and then
# reads as "no edge"); a nanometre is far below any distance we report.
MIN_WEIGHT_M = 1e-9


def csr_from_arcs(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> sparse.csr_matrix:
    """n x n CSR matrix of arcs src->dst; self-loops dropped, parallel arcs kept side by side.

    Parallel arcs are not merged: csgraph's Dijkstra relaxes each stored entry, so the
    shortest wins, whereas the usual COO->CSR conversion would add their weights up.
    """
    keep = src != dst
    src, dst, weight = src[keep], dst[keep], np.maximum(weight[keep], MIN_WEIGHT_M)
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    # int32 indices are what csgraph uses internally; this avoids a copy per call.
    return sparse.csr_matrix((weight[order], dst[order].astype(np.int32), indptr), shape=(n, n))


@dataclass
class Snaps:
    """Points tied to the network: edge index (-1 = unsnapped), fraction u->v, access metres (inf)."""

    edge: np.ndarray
    frac: np.ndarray
    access_m: np.ndarray

    @property
    def snapped(self) -> np.ndarray:
        """Boolean mask of points that were tied to an edge."""
        return self.edge >= 0

    def __len__(self) -> int:
        return len(self.edge)

    def subset(self, mask_or_index: np.ndarray) -> Snaps:
        """The snaps selected by a boolean mask or index array."""
        return Snaps(self.edge[mask_or_index], self.frac[mask_or_index], self.access_m[mask_or_index])

    @staticmethod
    def concat(parts: list[Snaps]) -> Snaps:
        """All snaps of `parts`, in order."""
        return Snaps(np.concatenate([p.edge for p in parts]).astype(np.int64),
                     np.concatenate([p.frac for p in parts]),
                     np.concatenate([p.access_m for p in parts]))


class WalkGraph:
    """A WalkNetwork with its metric projection, spatial index and walking-direction arcs."""

    def __init__(self, network: WalkNetwork, epsg: int | None = None, *, edges_xy: np.ndarray | None = None,
                 csr: sparse.csr_matrix | None = None) -> None:
        """edges_xy and csr: this network's projected edges and routing matrix computed before (the disk cache)."""
        if network.n_edges == 0:
            raise ValueError("network has no edges")
        self.network = network
        self.epsg = network.metric_crs() if epsg is None else epsg
        self.to_metric = Transformer.from_crs(4326, self.epsg, always_xy=True)
        self.to_wgs84 = Transformer.from_crs(self.epsg, 4326, always_xy=True)
        self.edges_xy = self._project_lines(network.geometry) if edges_xy is None else edges_xy
        # Points attach only to edges at ground level (not to a bridge deck or a tunnel under them).
        ground = np.flatnonzero(network.ground)
        self.snap_edges = ground if len(ground) else np.arange(network.n_edges)
        self.tree = shapely.STRtree(self.edges_xy[self.snap_edges])
        self.n_nodes = network.n_nodes
        two_way = ~network.directed
        edge_ids = np.arange(network.n_edges)
        # Arcs in the direction a person walks: u->v always, v->u unless oneway:foot.
        self.arc_from = np.concatenate([network.u, network.v[two_way]])
        self.arc_to = np.concatenate([network.v, network.u[two_way]])
        self.arc_edge = np.concatenate([edge_ids, edge_ids[two_way]])
        self.arc_len = network.length_m[self.arc_edge]
        self.csr = csr_from_arcs(self.n_nodes, self.arc_from, self.arc_to, self.arc_len) if csr is None else csr

    def _project_lines(self, lines: np.ndarray) -> np.ndarray:
        """The network's LineStrings in the metric CRS, rebuilt from one flat coordinate array.

        Same coordinates as project(), without shapely.transform's per-geometry copy (seconds at 1M edges);
        every edge has at least two points (WalkNetwork checks), so each line gets its own index."""
        coords, index = shapely.get_coordinates(lines, return_index=True)
        return shapely.linestrings(self._fwd(coords), indices=index)

    def project(self, geoms: np.ndarray) -> np.ndarray:
        """WGS84 geometries -> this graph's metric CRS."""
        return shapely.transform(np.asarray(geoms, dtype=object), self._fwd)

    def unproject(self, geoms: np.ndarray) -> np.ndarray:
        """Metric-CRS geometries -> WGS84."""
        return shapely.transform(np.asarray(geoms, dtype=object), self._inv)

    def _fwd(self, xy: np.ndarray) -> np.ndarray:
        return np.column_stack(self.to_metric.transform(xy[:, 0], xy[:, 1]))

    def _inv(self, xy: np.ndarray) -> np.ndarray:
        return np.column_stack(self.to_wgs84.transform(xy[:, 0], xy[:, 1]))

    def nodes_xy(self) -> np.ndarray:
        """Node positions in the metric CRS, shape (n, 2)."""
        return self._fwd(np.column_stack([self.network.lon, self.network.lat]))


def snap(graph: WalkGraph, points_lonlat: np.ndarray, max_access_m: float) -> Snaps:
    """Tie each lon/lat point to the nearest point of the nearest edge within max_access_m."""
    pts = np.asarray(points_lonlat, dtype=np.float64).reshape(-1, 2)
    n = len(pts)
    edge = np.full(n, -1, dtype=np.int64)
    frac = np.full(n, np.nan)
    access = np.full(n, np.inf)
    if n == 0:
        return Snaps(edge, frac, access)
    if not max_access_m >= 0:
        raise ValueError(f"max_access_m must be >= 0, got {max_access_m}")
    xy = graph._fwd(pts)
    ok = np.isfinite(xy).all(axis=1)
    geoms = shapely.points(xy[ok])
    (qi, ei), dist = graph.tree.query_nearest(geoms, max_distance=max_access_m,
                                              return_distance=True, all_matches=False)
    rows = np.flatnonzero(ok)[qi]
    ei = graph.snap_edges[ei]
    edge[rows] = ei
    access[rows] = dist
    lines = graph.edges_xy[ei]
    t = shapely.line_locate_point(lines, geoms[qi], normalized=True)
    # A zero-length edge has no direction: any fraction is the same place.
    frac[rows] = np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0)
    return Snaps(edge, frac, access)
