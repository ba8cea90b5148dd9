"""The prepared network's parts as plain numeric arrays and back, for the disk cache (no pickling).

Geometries travel as flat coordinates with per-geometry counts, text as codes into its distinct values,
sparse matrices as their three arrays; each part comes back equal to the one that was stored.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely
from scipy import sparse

from grid_app.coverage.augment import Augmented
from grid_app.coverage.faces import FaceIndex
from grid_app.coverage.graph import Snaps, WalkGraph
from grid_app.network.model import LazyLines, WalkNetwork

_NETWORK_ARRAYS = ("node_ids", "lon", "lat", "u", "v", "length_m", "directed", "ground")


def lines_arrays(prefix: str, lines: np.ndarray) -> dict[str, np.ndarray]:
    """LineStrings as their coordinates and point counts."""
    coords, index = shapely.get_coordinates(lines, return_index=True)
    return {f"{prefix}.xy": coords, f"{prefix}.n": np.bincount(index, minlength=len(lines)).astype(np.int64)}


def lines_from(a: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    """The LineStrings of lines_arrays."""
    return lines_maker(a, prefix)()


def lines_maker(a: dict[str, np.ndarray], prefix: str) -> Callable[[], np.ndarray]:
    """What makes the LineStrings of lines_arrays, the stored counts checked now (ValueError)."""
    counts, xy = a[f"{prefix}.n"], a[f"{prefix}.xy"]
    if int(counts.sum()) != len(xy) or (len(counts) and counts.min() < 2):
        raise ValueError(f"{prefix}: point counts do not match the coordinates")

    def make() -> np.ndarray:
        lines = shapely.linestrings(xy, indices=np.repeat(np.arange(len(counts)), counts))
        return np.asarray(lines, dtype=object).reshape(len(counts))
    return make


def network_arrays(network: WalkNetwork) -> dict[str, np.ndarray]:
    """A WalkNetwork's nodes and edges."""
    if not all(isinstance(h, str) for h in network.highway):
        raise TypeError("highway values must be text")
    values, codes = np.unique(network.highway.astype(str), return_inverse=True)
    return {**{f"network.{name}": getattr(network, name) for name in _NETWORK_ARRAYS},
            "network.highway_values": values, "network.highway_codes": codes.astype(np.int32),
            **lines_arrays("network.geometry", network.geometry)}


def network_from(a: dict[str, np.ndarray]) -> WalkNetwork:
    """The WalkNetwork of network_arrays; its geometry was checked when it was built, sizes are checked again."""
    highway = a["network.highway_values"].astype(object)[a["network.highway_codes"]]
    geometry = LazyLines(len(a["network.geometry.n"]), lines_maker(a, "network.geometry"))  # only suggestions use them
    return WalkNetwork(**{name: a[f"network.{name}"] for name in _NETWORK_ARRAYS},
                       geometry=geometry, highway=highway, check_geometry=False)


def csr_arrays(prefix: str, matrix: sparse.csr_matrix) -> dict[str, np.ndarray]:
    """A CSR matrix as data, indices, indptr and shape."""
    return {f"{prefix}.data": matrix.data, f"{prefix}.indices": matrix.indices, f"{prefix}.indptr": matrix.indptr,
            f"{prefix}.shape": np.asarray(matrix.shape, dtype=np.int64)}


def csr_from(a: dict[str, np.ndarray], prefix: str) -> sparse.csr_matrix:
    """The CSR matrix of csr_arrays (its arrays as stored: csgraph takes them without a copy)."""
    shape = tuple(int(n) for n in a[f"{prefix}.shape"])
    return sparse.csr_matrix((a[f"{prefix}.data"], a[f"{prefix}.indices"], a[f"{prefix}.indptr"]), shape=shape)


def graph_arrays(graph: WalkGraph) -> dict[str, np.ndarray]:
    """What WalkGraph computes from its network that takes time: the projected edges and the routing matrix."""
    return {"graph.epsg": np.asarray(graph.epsg, dtype=np.int64), **lines_arrays("graph.edges_xy", graph.edges_xy),
            **csr_arrays("graph.csr", graph.csr)}


def graph_from(network: WalkNetwork, a: dict[str, np.ndarray]) -> WalkGraph:
    """The WalkGraph of graph_arrays over its network (the cheap rest, and the spatial index, built again)."""
    edges_xy = lines_from(a, "graph.edges_xy")
    if len(edges_xy) != network.n_edges:
        raise ValueError("projected edges do not match the network")
    return WalkGraph(network, int(a["graph.epsg"]), edges_xy=edges_xy, csr=csr_from(a, "graph.csr"))


def snaps_arrays(prefix: str, snaps: Snaps) -> dict[str, np.ndarray]:
    """Snapped points: edge, fraction and access distance."""
    return {f"{prefix}.edge": snaps.edge, f"{prefix}.frac": snaps.frac, f"{prefix}.access_m": snaps.access_m}


def snaps_from(a: dict[str, np.ndarray], prefix: str) -> Snaps:
    """The Snaps of snaps_arrays."""
    return Snaps(a[f"{prefix}.edge"], a[f"{prefix}.frac"], a[f"{prefix}.access_m"])


_PIECES = ("piece_a", "piece_b", "piece_edge", "piece_t0", "piece_t1", "piece_len", "piece_two_way")


def augmented_arrays(prefix: str, aug: Augmented) -> dict[str, np.ndarray]:
    """A graph split at one set of points (the homes): its routing matrix, point nodes and pieces."""
    if len(aug.point_node) != 1 or aug.base_node is not None or (aug.source_node[0] >= 0).any():
        raise TypeError("only a whole graph split at one set of points, without start nodes, is stored")
    return {**csr_arrays(f"{prefix}.csr", aug.csr), f"{prefix}.n_base": np.asarray(aug.n_base, dtype=np.int64),
            f"{prefix}.point_node": aug.point_node[0], **{f"{prefix}.{name}": getattr(aug, name) for name in _PIECES}}


def augmented_from(a: dict[str, np.ndarray], prefix: str, graph: WalkGraph, n_points: int) -> Augmented:
    """The Augmented of augmented_arrays, checked against the graph and the points it was split at."""
    csr = csr_from(a, f"{prefix}.csr")
    pieces = [a[f"{prefix}.{name}"] for name in _PIECES]
    point_node = a[f"{prefix}.point_node"]
    n_base = int(a[f"{prefix}.n_base"])
    if n_base != graph.network.n_nodes or len(point_node) != n_points or len({len(p) for p in pieces}) != 1 or (
            csr.shape[0] != n_base + int((point_node >= 0).sum())):
        raise ValueError(f"{prefix}: the split does not match the network and its points")
    return Augmented(csr, n_base, [point_node], [np.full(n_points, -1, dtype=np.int64)], *pieces)


def faces_arrays(index: FaceIndex) -> dict[str, np.ndarray]:
    """Every attribute of a FaceIndex: numbers and arrays as they are, the face polygons as ragged arrays.

    Taken from the instance, so an attribute added to FaceIndex is stored too (or refused: TypeError)."""
    out: dict[str, np.ndarray] = {}
    for name, value in vars(index).items():
        if isinstance(value, np.ndarray) and value.dtype == object:
            out.update(_polygons_arrays(f"faces.geoms.{name}", value))
        elif isinstance(value, (np.ndarray, float, int, bool, np.number)):
            out[f"faces.value.{name}"] = np.asarray(value)
        else:
            raise TypeError(f"FaceIndex.{name} ({type(value).__name__}) cannot be stored")
    return out


def faces_from(a: dict[str, np.ndarray]) -> FaceIndex:
    """The FaceIndex of faces_arrays, every attribute set back (its constructor is what the cache saves)."""
    index = FaceIndex.__new__(FaceIndex)
    for key in a:
        group, _, name = key.removeprefix("faces.").partition(".")
        if group == "value":
            value = a[key]
            setattr(index, name, value.item() if value.ndim == 0 else value)
        elif group == "geoms" and name.endswith(".count"):
            name = name.removesuffix(".count")
            setattr(index, name, _polygons_from(a, f"faces.geoms.{name}"))
    return index


def _polygons_arrays(prefix: str, polygons: np.ndarray) -> dict[str, np.ndarray]:
    if not len(polygons):
        return {f"{prefix}.count": np.asarray(0)}
    if not np.all(shapely.get_type_id(polygons) == shapely.GeometryType.POLYGON):
        raise TypeError(f"{prefix}: only polygons can be stored")
    _kind, coords, (rings, polys) = shapely.to_ragged_array(polygons)
    return {f"{prefix}.count": np.asarray(len(polygons)), f"{prefix}.xy": coords,
            f"{prefix}.rings": rings, f"{prefix}.polys": polys}


def _polygons_from(a: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    count = int(a[f"{prefix}.count"])
    if count == 0:
        return np.empty(0, dtype=object)
    polygons = shapely.from_ragged_array(shapely.GeometryType.POLYGON, a[f"{prefix}.xy"],
                                         (a[f"{prefix}.rings"], a[f"{prefix}.polys"]))
    if len(polygons) != count:
        raise ValueError(f"{prefix}: {len(polygons)} polygons, expected {count}")
    return np.asarray(polygons, dtype=object)
