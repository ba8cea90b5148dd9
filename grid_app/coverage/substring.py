"""Vectorised line substrings: many (line, start fraction, end fraction) at once."""
from __future__ import annotations

import numpy as np
import shapely


class LineTable:
    """Flattened vertices of a fixed set of LineStrings, for cutting pieces out of them quickly."""

    def __init__(self, lines: np.ndarray) -> None:
        self.lines = np.asarray(lines, dtype=object)
        coords, idx = shapely.get_coordinates(self.lines, return_index=True)
        self.coords = coords
        counts = np.bincount(idx, minlength=len(self.lines))
        self.start = np.zeros(len(self.lines) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.start[1:])
        seg = np.zeros(len(coords))
        same = idx[1:] == idx[:-1]
        seg[1:] = np.where(same, np.hypot(*(coords[1:] - coords[:-1]).T), 0.0)
        cum = np.cumsum(seg)
        base = cum[self.start[:-1]]
        total = cum[self.start[1:] - 1] - base
        rel = cum - np.repeat(base, counts)
        tot = np.repeat(total, counts)
        # Fraction of each vertex along its line, by the same (planar) length line_locate_point uses.
        self.vertex_frac = np.divide(rel, tot, out=np.zeros_like(rel), where=tot > 0)

    def substrings(self, line: np.ndarray, f0: np.ndarray, f1: np.ndarray) -> np.ndarray:
        """LineStrings of lines[line] between normalised fractions f0 <= f1."""
        line = np.asarray(line, dtype=np.int64)
        f0 = np.clip(np.asarray(f0, dtype=np.float64), 0.0, 1.0)
        f1 = np.clip(np.asarray(f1, dtype=np.float64), 0.0, 1.0)
        k = len(line)
        if k == 0:
            return np.zeros(0, dtype=object)
        geoms = self.lines[line]
        p0 = shapely.get_coordinates(shapely.line_interpolate_point(geoms, f0, normalized=True))
        p1 = shapely.get_coordinates(shapely.line_interpolate_point(geoms, f1, normalized=True))
        counts = self.start[line + 1] - self.start[line]
        owner = np.repeat(np.arange(k), counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        vert = self.start[line][owner] + offset
        vf = self.vertex_frac[vert]
        inner = (vf > f0[owner]) & (vf < f1[owner])
        # Order: start point, inner vertices in line order, end point; rank keeps them sorted.
        piece_of = np.concatenate([np.arange(k), owner[inner], np.arange(k)])
        rank = np.concatenate([np.full(k, -1), offset[inner], np.full(k, np.iinfo(np.int64).max)])
        xy = np.vstack([p0, self.coords[vert[inner]], p1])
        order = np.lexsort((rank, piece_of))
        return shapely.linestrings(xy[order], indices=piece_of[order])
