"""City blocks (faces of the street network) that a buffer of their boundary streets fills entirely.

Why: unioning thousands of buffered street pieces per isochrone is slow. If every street around a
block is reached and the block is narrower than twice the buffer, buffer(block) equals the union
of its streets' buffers, and adjacent blocks union cheaply as a polygon coverage. The result is
the same shape as buffering every reached street piece, computed from far fewer inputs.
"""
from __future__ import annotations

import numpy as np
import shapely

from grid_app.coverage.graph import WalkGraph

# Side probes sit this far (metres) left and right of an edge's first segment.
_PROBE_M = 0.01


class FaceIndex:
    """Faces of the planar street graph, which edges bound each, and which faces are usable."""

    def __init__(self, graph: WalkGraph, buffer_m: float, quad_segs: int = 2) -> None:
        self.buffer_m = buffer_m
        edges = graph.edges_xy
        faces = shapely.get_parts(shapely.polygonize(edges))
        self.faces = faces
        n_faces, n_edges = len(faces), len(edges)
        # A face no farther than buffer_m from its boundary at any point is filled by that buffer.
        thin = shapely.is_empty(shapely.buffer(faces, -buffer_m * 0.999, quad_segs=quad_segs))
        # Edges crossing without a shared node (bridges) make overlapping faces: not a coverage.
        invalid = shapely.coverage_invalid_edges(faces) if n_faces else np.zeros(0, dtype=object)
        clean = shapely.is_empty(invalid) | shapely.is_missing(invalid)
        self.usable = thin & clean

        p0 = shapely.get_coordinates(shapely.get_point(edges, 0))
        p1 = shapely.get_coordinates(shapely.get_point(edges, 1))
        d = p1 - p0
        norm = np.hypot(d[:, 0], d[:, 1])
        normal = np.column_stack([-d[:, 1], d[:, 0]]) / np.where(norm > 0, norm, 1.0)[:, None]
        mid = (p0 + p1) / 2
        probes = shapely.points(np.vstack([mid + _PROBE_M * normal, mid - _PROBE_M * normal]))
        pi, fi = shapely.STRtree(faces).query(probes, predicate="within") if n_faces else (
            np.zeros(0, np.int64), np.zeros(0, np.int64))
        pair = np.unique(np.column_stack([pi % n_edges, fi]), axis=0)
        # Every edge with a probe inside a face counts as bounding it (dangling streets too):
        # requiring them all reached is conservative, never wrong.
        self.pair_edge, self.pair_face = pair[:, 0], pair[:, 1]
        self.required = np.bincount(self.pair_face, minlength=n_faces)
        order = np.argsort(self.pair_edge, kind="stable")
        self.edge_faces = self.pair_face[order]
        self.edge_ptr = np.zeros(n_edges + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.pair_edge, minlength=n_edges), out=self.edge_ptr[1:])

    @property
    def n_faces(self) -> int:
        """Number of faces."""
        return len(self.faces)

    def _expand(self, edge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in `edge`, face) for every face each edge bounds."""
        counts = self.edge_ptr[edge + 1] - self.edge_ptr[edge]
        owner = np.repeat(np.arange(len(edge)), counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return owner, self.edge_faces[self.edge_ptr[edge][owner] + offset]

    def filled(self, group: np.ndarray, full_edge: np.ndarray) -> np.ndarray:
        """Keys group * n_faces + face of usable faces whose bounding edges are all fully reached."""
        owner, face = self._expand(full_edge)
        keys, counts = np.unique(group[owner].astype(np.int64) * self.n_faces + face, return_counts=True)
        face_of = keys % self.n_faces
        return keys[(counts == self.required[face_of]) & self.usable[face_of]]

    def absorbed(self, group: np.ndarray, edge: np.ndarray, filled_keys: np.ndarray) -> np.ndarray:
        """Mask of (group, edge) stretches lying on the boundary of a filled face of that group."""
        owner, face = self._expand(edge)
        hit = np.isin(group[owner].astype(np.int64) * self.n_faces + face, filled_keys)
        return np.bincount(owner[hit], minlength=len(edge)) > 0


def face_index(graph: WalkGraph, buffer_m: float, quad_segs: int = 2) -> FaceIndex:
    """The FaceIndex for this graph and buffer, built on first use and kept on the graph."""
    cache = graph.__dict__.setdefault("_face_cache", {})
    key = (float(buffer_m), int(quad_segs))
    if key not in cache:
        cache[key] = FaceIndex(graph, buffer_m, quad_segs)
    return cache[key]


def keep_face_index(graph: WalkGraph, index: FaceIndex, buffer_m: float, quad_segs: int = 2) -> None:
    """Keep a FaceIndex built before for this graph and buffer (the prepared network's disk cache)."""
    graph.__dict__.setdefault("_face_cache", {})[(float(buffer_m), int(quad_segs))] = index
