"""The walking network: nodes (intersections / way ends) and edges with WGS84 geometry."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import InitVar, dataclass

import numpy as np
import shapely
from pyproj import Geod
from scipy import sparse
from scipy.sparse.csgraph import connected_components

_GEOD = Geod(ellps="WGS84")
# An edge's geometry must start at its u node and end at its v node; 1e-6 deg is ~0.1 m.
_ENDPOINT_TOL_DEG = 1e-6


def metric_crs_for(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 UTM zone containing (lon, lat)."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"not a lon/lat position: ({lon}, {lat})")
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def geodesic_lengths(geoms: np.ndarray) -> np.ndarray:
    """Geodesic length in metres of each WGS84 LineString (vectorised over all segments)."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms), dtype=np.float64)
    if len(geoms) == 0:
        return out
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    same = idx[:-1] == idx[1:]
    if not same.any():
        return out
    a, b = coords[:-1][same], coords[1:][same]
    _, _, dist = _GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return np.bincount(idx[:-1][same], weights=dist, minlength=len(geoms))


class LazyLines:
    """Edge geometries made on first use: a network read back from the disk cache needs them only for
    scenario suggestions, and making a city's million LineStrings takes most of a second."""

    def __init__(self, count: int, make: Callable[[], np.ndarray]) -> None:
        self._count, self._make, self._lines = count, make, None
        self._lock = threading.Lock()

    def lines(self) -> np.ndarray:
        """The object array of LineStrings (made once)."""
        with self._lock:
            if self._lines is None:
                lines = np.asarray(self._make(), dtype=object)
                if len(lines) != self._count:
                    raise ValueError(f"{len(lines)} edge geometries made, expected {self._count}")
                self._lines = lines
        return self._lines

    def __len__(self) -> int:
        return self._count

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.asarray(self.lines(), dtype=dtype)

    def __getitem__(self, key):
        return self.lines()[key]


@dataclass
class WalkNetwork:
    """Nodes and edges of a walkable street network; edge i runs u[i] -> v[i] along geometry[i]."""

    node_ids: np.ndarray   # int64 source ids (OSM node ids, or 0..n-1)
    lon: np.ndarray        # float64
    lat: np.ndarray        # float64
    u: np.ndarray          # int64 index into the node arrays
    v: np.ndarray          # int64
    length_m: np.ndarray   # float64, geodesic
    directed: np.ndarray   # bool: walkable only u -> v (oneway:foot)
    geometry: np.ndarray | LazyLines  # object array of WGS84 LineStrings, u first
    highway: np.ndarray    # object array of str
    ground: np.ndarray | None = None  # bool: at ground level (not bridge/tunnel/layer); None = all
    # False only for arrays this code checked before (the prepared network's disk cache): sizes and
    # indexes are still checked, the per-edge geometry pass is not repeated.
    check_geometry: InitVar[bool] = True

    def __post_init__(self, check_geometry: bool = True) -> None:
        self.node_ids = np.asarray(self.node_ids, dtype=np.int64)
        self.lon = np.asarray(self.lon, dtype=np.float64)
        self.lat = np.asarray(self.lat, dtype=np.float64)
        self.u = np.asarray(self.u, dtype=np.int64)
        self.v = np.asarray(self.v, dtype=np.int64)
        self.length_m = np.asarray(self.length_m, dtype=np.float64)
        self.directed = np.asarray(self.directed, dtype=bool)
        if not isinstance(self.geometry, LazyLines):
            self.geometry = np.asarray(self.geometry, dtype=object)
        self.highway = np.asarray(self.highway, dtype=object)
        self.ground = (np.ones(len(self.u), dtype=bool) if self.ground is None
                       else np.asarray(self.ground, dtype=bool))
        self._validate(check_geometry)

    def _validate(self, check_geometry: bool = True) -> None:
        n, m = len(self.node_ids), len(self.u)
        if len(self.lon) != n or len(self.lat) != n:
            raise ValueError("node_ids, lon and lat must have the same length")
        for name in ("v", "length_m", "directed", "geometry", "highway", "ground"):
            if len(getattr(self, name)) != m:
                raise ValueError(f"edge array {name!r} has {len(getattr(self, name))} rows, expected {m}")
        if m == 0:
            return
        if self.u.min() < 0 or self.v.min() < 0 or self.u.max() >= n or self.v.max() >= n:
            raise ValueError("edge endpoint index out of range")
        if not np.all(np.isfinite(self.length_m)) or self.length_m.min() < 0:
            raise ValueError("edge lengths must be finite and non-negative")
        if not check_geometry:
            return
        if isinstance(self.geometry, LazyLines):
            raise ValueError("edge geometries made later cannot be checked: give the LineStrings")
        if not np.all(shapely.get_type_id(self.geometry) == 1):
            raise ValueError("every edge geometry must be a LineString")
        # Ends read from the flat coordinate array: one pass, no Point object per edge (seconds at 1M edges).
        counts = shapely.get_num_coordinates(self.geometry)
        if counts.min() < 2:
            raise ValueError(f"edge {int(np.argmin(counts))}: geometry has fewer than 2 points")
        coords = shapely.get_coordinates(self.geometry)
        ends = np.cumsum(counts)
        first, last = coords[ends - counts], coords[ends - 1]
        xy = np.column_stack([self.lon, self.lat])
        bad = (np.abs(first - xy[self.u]).max(axis=1) > _ENDPOINT_TOL_DEG) | (
            np.abs(last - xy[self.v]).max(axis=1) > _ENDPOINT_TOL_DEG)
        if bad.any():
            raise ValueError(f"edge {int(np.flatnonzero(bad)[0])}: geometry does not run from u to v")

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return len(self.u)

    def centroid(self) -> tuple[float, float]:
        """Mean lon/lat of the nodes (used to pick the metric CRS)."""
        if self.n_nodes == 0:
            raise ValueError("empty network has no centroid")
        return float(self.lon.mean()), float(self.lat.mean())

    def metric_crs(self) -> int:
        """UTM EPSG code for this network's centroid."""
        return metric_crs_for(*self.centroid())

    def components(self) -> tuple[np.ndarray, np.ndarray]:
        """Weakly connected components: (label per node, size per label), largest label first."""
        n = self.n_nodes
        adj = sparse.coo_matrix((np.ones(self.n_edges), (self.u, self.v)), shape=(n, n)).tocsr()
        _, labels = connected_components(adj, directed=True, connection="weak")
        sizes = np.bincount(labels)
        # Relabel so 0 is the largest component: callers usually keep or report "the main network".
        order = np.argsort(-sizes, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return rank[labels], sizes[order]


def build_network(
    node_ids: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    geometry: np.ndarray,
    directed: np.ndarray | None = None,
    highway: np.ndarray | None = None,
    ground: np.ndarray | None = None,
) -> WalkNetwork:
    """Assemble a WalkNetwork, computing geodesic edge lengths from the geometries."""
    m = len(u)
    return WalkNetwork(
        node_ids=node_ids,
        lon=lon,
        lat=lat,
        u=u,
        v=v,
        length_m=geodesic_lengths(np.asarray(geometry, dtype=object)),
        directed=np.zeros(m, dtype=bool) if directed is None else directed,
        geometry=geometry,
        highway=np.full(m, "", dtype=object) if highway is None else highway,
        ground=ground,
    )
