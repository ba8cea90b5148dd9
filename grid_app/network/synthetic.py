"""Generated street networks (perturbed grids) for tests and benchmarks."""
from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer

from grid_app.network.model import WalkNetwork, build_network, metric_crs_for

# Anqing-like default origin (30.66N 117.48E); any lon/lat works.
DEFAULT_ORIGIN = (117.48, 30.66)


def metric_to_lonlat(x: np.ndarray, y: np.ndarray, origin: tuple[float, float] = DEFAULT_ORIGIN
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Convert metre offsets from `origin` (in its UTM zone) to lon/lat arrays."""
    epsg = metric_crs_for(*origin)
    fwd = Transformer.from_crs(4326, epsg, always_xy=True)
    inv = Transformer.from_crs(epsg, 4326, always_xy=True)
    ox, oy = fwd.transform(*origin)
    lon, lat = inv.transform(np.asarray(x, dtype=float) + ox, np.asarray(y, dtype=float) + oy)
    return np.asarray(lon), np.asarray(lat)


def grid_network(
    nx_: int,
    ny_: int,
    spacing_m: float = 60.0,
    jitter_m: float = 8.0,
    diag_prob: float = 0.05,
    drop_prob: float = 0.05,
    oneway_foot_prob: float = 0.0,
    origin: tuple[float, float] = DEFAULT_ORIGIN,
    seed: int = 0,
) -> WalkNetwork:
    """A perturbed nx_ x ny_ grid with some diagonals, dropped edges and bent (3-vertex) edges."""
    if nx_ < 2 or ny_ < 2:
        raise ValueError("grid needs at least 2 x 2 nodes")
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(nx_) * spacing_m, np.arange(ny_) * spacing_m)
    x = gx.ravel() + rng.uniform(-jitter_m, jitter_m, gx.size)
    y = gy.ravel() + rng.uniform(-jitter_m, jitter_m, gy.size)
    idx = np.arange(nx_ * ny_).reshape(ny_, nx_)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    diag = rng.random((ny_ - 1) * (nx_ - 1)) < diag_prob
    u = np.concatenate([u, idx[:-1, :-1].ravel()[diag]])
    v = np.concatenate([v, idx[1:, 1:].ravel()[diag]])
    keep = rng.random(len(u)) >= drop_prob
    u, v = u[keep], v[keep]
    # A bent midpoint gives every edge an intermediate vertex, like real OSM ways.
    mx = (x[u] + x[v]) / 2 + rng.uniform(-jitter_m, jitter_m, len(u)) / 2
    my = (y[u] + y[v]) / 2 + rng.uniform(-jitter_m, jitter_m, len(u)) / 2
    lon, lat = metric_to_lonlat(x, y, origin)
    mlon, mlat = metric_to_lonlat(mx, my, origin)
    coords = np.stack([
        np.column_stack([lon[u], lat[u]]),
        np.column_stack([mlon, mlat]),
        np.column_stack([lon[v], lat[v]]),
    ], axis=1)
    geoms = shapely.linestrings(coords)
    directed = rng.random(len(u)) < oneway_foot_prob
    highway = np.full(len(u), "residential", dtype=object)
    return build_network(np.arange(len(x)), lon, lat, u, v, geoms, directed, highway)
