"""Step 1: the street network, a warped irregular grid of roads, and the blocks it encloses.

Arterial and local roads plus diagonal / bent roads are noded, dangles pruned and polygonized
into blocks; a north-west corner and a south-east river bank are cut off; slivers and a few
random pairs of blocks are merged.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from grid_app.demo_data.constants import X0, Y0
from grid_app.demo_data.geometry import densify
from grid_app.demo_data.names import ARTERIAL_NAMES, DIAGONAL_NAMES, LOCAL_NAMES
from grid_app.demo_data.topology import incidence, node_and_attr, prune_dangles

OVERSHOOT = 40.0          # roads run this far past the domain border (m)
MIN_BLOCK_AREA = 22000.0  # blocks smaller than this merge with a neighbour (m²)
MAX_MERGED_AREA = 120000.0


@dataclass
class Blocks:
    """Road segments (class, name) and the blocks they enclose, with adjacency and west-east position."""
    segs: np.ndarray
    cls: np.ndarray
    names: np.ndarray
    geoms: np.ndarray
    areas: np.ndarray
    cent: np.ndarray                # a point on each block's surface
    nbrs: dict[int, list[int]]      # blocks sharing a road segment
    segs_of: dict[int, list[int]]   # the segments around each block
    xmin: float
    xmax: float
    xn: np.ndarray                  # each block's x scaled to 0 (west) .. 1 (east)


def build_blocks(rng, scale) -> Blocks:
    """The road segments and blocks of a district of `scale` times the demo's size."""
    segs, cls, names, geoms = _segments_and_blocks(rng, scale)
    cent = shapely.get_coordinates(shapely.point_on_surface(geoms))
    nbrs, segs_of = _adjacency(segs, geoms)
    allx = cent[:, 0]
    xmin, xmax = float(allx.min()), float(allx.max())
    return Blocks(segs, cls, names, geoms, shapely.area(geoms), cent, nbrs, segs_of,
                  xmin, xmax, (allx - xmin) / (xmax - xmin))


def _adjacency(segs, geoms):
    """(neighbours of each block, segments around each block)."""
    nb = len(geoms)
    si, bi = incidence(segs, geoms)
    seg_bl: dict[int, list[int]] = {}
    for a, b in zip(si, bi):
        seg_bl.setdefault(int(a), []).append(int(b))
    nbrs: dict[int, list[int]] = {i: [] for i in range(nb)}
    for sidx in sorted(seg_bl):
        bl = seg_bl[sidx]
        if len(bl) == 2 and bl[1] not in nbrs[bl[0]]:
            nbrs[bl[0]].append(bl[1])
            nbrs[bl[1]].append(bl[0])
    segs_of: dict[int, list[int]] = {i: [] for i in range(nb)}
    for a, b in zip(si, bi):
        segs_of[int(b)].append(int(a))
    return nbrs, segs_of


def _make_warp(rng, W, H):
    """A smooth map from the (u, v) design plane to UTM: sine wiggles, a rotation, centred on X0, Y0."""
    th = math.radians(rng.uniform(14, 24))
    comps = []
    for _ in range(2):
        comps.append((rng.uniform(45, 75), rng.uniform(1800, 3200), rng.uniform(0, 2 * math.pi),
                      rng.uniform(-0.5, 0.5)))
    compsy = []
    for _ in range(2):
        compsy.append((rng.uniform(45, 75), rng.uniform(1800, 3200), rng.uniform(0, 2 * math.pi),
                       rng.uniform(-0.5, 0.5)))
    cu, cv = W / 2, H / 2
    ct, st = math.cos(th), math.sin(th)

    def warp(uv):
        uv = np.asarray(uv, float)
        u, v = uv[:, 0], uv[:, 1]
        dx = sum(a * np.sin(2 * np.pi * (v + m * u) / lam + ph) for a, lam, ph, m in comps)
        dy = sum(a * np.sin(2 * np.pi * (u + m * v) / lam + ph) for a, lam, ph, m in compsy)
        x, y = u + dx - cu, v + dy - cv
        return np.column_stack([X0 + ct * x - st * y, Y0 + st * x + ct * y])
    return warp


def _positions(rng, L, mean_sp):
    """Road positions from 0 to L, irregularly spaced about mean_sp apart."""
    pos = [0.0]
    while True:
        nxt = pos[-1] + rng.uniform(0.72, 1.28) * mean_sp
        if nxt > L - 0.6 * mean_sp:
            break
        pos.append(nxt)
    pos.append(L)
    return pos


def _road_lines(rng, scale):
    """(source roads as (LineString, class, name), cut-off corner, warp, (W, H))."""
    s = math.sqrt(scale)
    W, H = 2600.0 * s, 1900.0 * s
    warp = _make_warp(rng, W, H)
    src = _grid_roads(rng, W, H) + _diagonal_roads(rng, W, H, s)
    lines = [(LineString(warp(densify(uv, 20.0))), cls, name) for uv, cls, name in src]
    return lines, _cut_corner(warp, W, H), warp, (W, H)


def _grid_roads(rng, W, H):
    """The wavy roads of the grid, as (coords in uv, class, name)."""
    us = _positions(rng, W, 265.0)
    vs = _positions(rng, H, 245.0)
    art_u = {0, len(us) - 1} | {i for i in range(len(us)) if i % 3 == 0}
    art_v = {0, len(vs) - 1} | {i for i in range(len(vs)) if i % 3 == 1}
    ov = OVERSHOOT
    src = []
    an = iter(ARTERIAL_NAMES * 100)
    ln_pool = list(LOCAL_NAMES)
    order = rng.permutation(len(ln_pool))
    lnames = iter([ln_pool[i] for i in order] * 1000)
    for fam, poss, arts, L2 in (("u", us, art_u, H), ("v", vs, art_v, W)):
        for i, p in enumerate(poss):
            if i in arts:
                cls = "primary" if (i % 6 == 0 and 0 < i < len(poss) - 1) or rng.random() < 0.15 else "secondary"
                amp, name = rng.uniform(0, 6), next(an)
            else:
                cls = "tertiary" if rng.random() < 0.35 else "residential"
                amp = rng.uniform(3, 14)
                name = next(lnames) if (cls == "tertiary" or rng.random() < 0.6) else None
            lam, ph = rng.uniform(500, 1400), rng.uniform(0, 2 * math.pi)
            t = np.arange(-ov, L2 + ov + 1e-9, 20.0)
            off = p + amp * np.sin(2 * np.pi * t / lam + ph) * (0 < i < len(poss) - 1)
            uv = np.column_stack([off, t]) if fam == "u" else np.column_stack([t, off])
            src.append((uv, cls, name))
    return src


def _diagonal_roads(rng, W, H, s):
    """Diagonal roads across the grid, every other one bent, as (coords in uv, class, name)."""
    ov = OVERSHOOT
    src = []
    n_diag = max(2, int(round(2 * s)))
    for k in range(n_diag):
        for _try in range(100):
            a = np.array([rng.uniform(0, W), rng.uniform(0, H)])
            ang = rng.uniform(math.radians(28), math.radians(62)) * (1 if rng.random() < 0.5 else -1)
            d = np.array([math.cos(ang), math.sin(ang)])
            ts = [_to_border(a, sgn * d, W, H) * sgn for sgn in (1, -1)]
            length = ts[0] - ts[1]
            if length > 0.6 * min(W, H):
                break
        p0, p1 = a + ts[1] * d, a + ts[0] * d
        bend = rng.uniform(-0.12, 0.12) * length if k % 2 else 0.0
        nrm = np.array([-d[1], d[0]])
        t = np.linspace(0, 1, max(3, int(length // 20)))
        uv = p0[None] + (p1 - p0)[None] * t[:, None] + nrm[None] * (bend * 4 * t * (1 - t))[:, None]
        keep = (uv[:, 0] > -ov) & (uv[:, 0] < W + ov) & (uv[:, 1] > -ov) & (uv[:, 1] < H + ov)
        uv = uv[keep]
        if len(uv) >= 2:
            src.append((uv, "secondary" if k % 2 == 0 else "tertiary", DIAGONAL_NAMES[k % len(DIAGONAL_NAMES)]))
    return src


def _to_border(a, d, W, H):
    """How far (in 20 m steps) from a along d before leaving the domain plus its overshoot."""
    ov = OVERSHOOT
    tt = 0.0
    while True:
        q = a + (tt + 20) * d
        if not (-ov < q[0] < W + ov and -ov < q[1] < H + ov):
            return tt
        tt += 20


def _cut_corner(warp, W, H):
    """The cut-off north-west corner (river bank / hills)."""
    ov = OVERSHOOT
    cu_, cv_ = 0.34 * W, 0.38 * H
    t = np.linspace(0, 1, 40)
    curve = np.column_stack([cu_ * t, H - cv_ * (1 - t) ** 1.3])
    cut_uv = np.vstack([[-3 * ov, H + 3 * ov], [-3 * ov, H - cv_], curve, [cu_, H + 3 * ov]])
    return Polygon(warp(cut_uv)).buffer(0)


def _polygonize(segs):
    """The blocks enclosed by the segments."""
    return np.asarray(shapely.get_parts(shapely.polygonize(list(segs))), dtype=object)


def _around(segs, cls, names, blocks):
    """The segments (class, name) that bound one of the blocks."""
    si, _bi = incidence(segs, blocks)
    used = np.zeros(len(segs), bool)
    used[si] = True
    return segs[used], cls[used], names[used]


def _segments_and_blocks(rng, scale):
    """(segments, classes, names, blocks) after the cuts and merges."""
    lines, cut, warp, (W, H) = _road_lines(rng, scale)
    segs, cls, names = node_and_attr(lines)
    keep = prune_dangles(segs, all_dangles=True)
    segs, cls, names = segs[keep], cls[keep], names[keep]
    blocks = _polygonize(segs)
    blocks = blocks[~shapely.within(shapely.point_on_surface(blocks), cut)]
    segs, cls, names = _around(segs, cls, names, blocks)

    # a river bank along the south-east: drop blocks south of a wavy curve
    uu = np.linspace(-200, W + 200, 120)
    vv = 0.10 * H + 0.09 * H * np.sin(2 * np.pi * uu / (0.9 * W) + rng.uniform(0, 2 * np.pi)) \
        + 0.10 * H * (uu / W)
    river = Polygon(warp(np.vstack([np.column_stack([uu, vv]), [[W + 200, -500], [-200, -500]]]))).buffer(0)
    blocks = _polygonize(segs)
    keepb = ~shapely.within(shapely.point_on_surface(blocks), river)
    # only if what is left stays in one piece
    if shapely.union_all(list(blocks[keepb])).geom_type == "Polygon":
        segs, cls, names = _around(segs, cls, names, blocks[keepb])

    for it in range(30):
        remove = _merges(rng, segs, cls, names, random_pairs=it == 0)
        if not remove:
            break
        keep = np.array([i not in remove for i in range(len(segs))])
        segs, cls, names = segs[keep], cls[keep], names[keep]
        keep = prune_dangles(segs, all_dangles=True)
        segs, cls, names = segs[keep], cls[keep], names[keep]
    return segs, cls, names, _polygonize(segs)


def _merges(rng, segs, cls, names, random_pairs):
    """Segments to remove so that each small block merges with a neighbour (and, on the first
    round, a few random pairs of residential blocks merge)."""
    blocks = _polygonize(segs)
    areas = shapely.area(blocks)
    pairs, nbrs = _shared_segments(segs, blocks)
    remove, usedb = set(), set()
    seglen = shapely.length(segs)
    for b in np.argsort(areas, kind="stable"):
        b = int(b)
        if areas[b] >= MIN_BLOCK_AREA:
            break
        if b in usedb:
            continue
        best, bestv = None, -1.0
        for n in sorted(nbrs.get(b, [])):
            if n in usedb:
                continue
            ss = pairs[(min(b, n), max(b, n))]
            # merge across a long shared side, but rather not across a main road
            prim = all(cls[i] == "primary" or names[i] in DIAGONAL_NAMES for i in ss)
            v = sum(seglen[i] for i in ss) * (0.2 if prim else 1.0)
            if v > bestv:
                best, bestv = n, v
        if best is not None:
            usedb |= {b, best}
            remove |= set(pairs[(min(b, best), max(b, best))])
    if random_pairs:
        for (a, b) in sorted(pairs):
            ss = pairs[(a, b)]
            if a in usedb or b in usedb or areas[a] + areas[b] > MAX_MERGED_AREA:
                continue
            if all(cls[i] == "residential" for i in ss) and rng.random() < 0.14:
                usedb |= {a, b}
                remove |= set(ss)
    return remove


def _shared_segments(segs, blocks):
    """({(block a, block b): segments between them}, neighbours of each block)."""
    si, bi = incidence(segs, blocks)
    pairs: dict[tuple[int, int], list[int]] = {}
    seg_bl: dict[int, list[int]] = {}
    for a, b in zip(si, bi):
        seg_bl.setdefault(int(a), []).append(int(b))
    for sidx in sorted(seg_bl):
        bl = seg_bl[sidx]
        if len(bl) == 2:
            pairs.setdefault((min(bl), max(bl)), []).append(sidx)
    nbrs: dict[int, list[int]] = {}
    for (a, b) in pairs:
        nbrs.setdefault(a, []).append(b)
        nbrs.setdefault(b, []).append(a)
    return pairs, nbrs
