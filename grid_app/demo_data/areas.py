"""Step 3: what each block is used for, and its residential areas (小区) with their buildings and paths.

A block's area is the block minus the road reserve; some residential blocks are split in two along
the short axis with a lane between; parks get paths across, commercial blocks a pedestrian lane.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiPolygon, box

from grid_app.demo_data.constants import ROAD_HW
from grid_app.demo_data.geometry import block_axes, polys, rotate
from grid_app.demo_data.layout import layout_area
from grid_app.demo_data.topology import node_ids

AREA_TYPES = ["new", "old", "mixed", "village"]


@dataclass
class Areas:
    """Residential areas, the other blocks (block, net area, lines through it), and the network lines so far."""
    net_lines: list[tuple]    # (LineString, highway, name)
    res_areas: list[dict] = field(default_factory=list)
    nonres: list[tuple] = field(default_factory=list)
    over_pts: list[tuple] = field(default_factory=list)   # free ends meant to overshoot


def block_kinds(blocks, rng) -> np.ndarray:
    """Each block's use: residential, or a few parks, schools and commercial (street-side) blocks."""
    nb, areas, xn = len(blocks.geoms), blocks.areas, blocks.xn
    kinds = np.array(["residential"] * nb, dtype=object)
    n_park = max(2, int(round(0.03 * nb)))
    n_school = max(3, int(round(0.04 * nb)))
    n_comm_blk = max(2, int(round(0.035 * nb)))
    order = list(rng.permutation(nb))
    big = [b for b in order if areas[b] > 30000]
    mid = [b for b in order if 25000 < areas[b] < 65000]
    if len(mid) < n_comm_blk:
        mid = big
    # commercial (street-side shops, old houses): mid-sized central-ish blocks
    w_c = np.array([math.exp(-((xn[b] - 0.5) ** 2) / 0.08) + 0.05 for b in mid])
    for b in rng.choice(mid, size=min(n_comm_blk, len(mid)), replace=False, p=w_c / w_c.sum()):
        kinds[b] = "commercial"
    rest = [b for b in big if kinds[b] == "residential"]
    for b in rest[:n_park]:
        kinds[b] = "park"
    rest = [b for b in rest if kinds[b] == "residential"]
    w_s = np.array([0.3 + xn[b] for b in rest])
    for b in rng.choice(rest, size=min(n_school, len(rest)), replace=False, p=w_s / w_s.sum()):
        kinds[b] = "school"
    return kinds


def lay_out_areas(blocks, kinds, h, rng) -> Areas:
    """The residential areas of every block with their buildings, and the paths of every block."""
    nodes, s_i, e_i = node_ids(blocks.segs)
    deg = np.bincount(np.concatenate([s_i, e_i]), minlength=len(nodes))
    corner_tree = cKDTree(nodes[deg >= 3])   # junctions: no gate right next to one
    seg_hw = np.array([ROAD_HW[c] for c in blocks.cls])
    out = Areas([(g, c, n) for g, c, n in zip(blocks.segs, blocks.cls, blocks.names)])
    comm_area_count = np.zeros(len(h.comms), int)
    for b in range(len(blocks.geoms)):
        Bk = blocks.geoms[b]
        BA = _net_area(blocks, b, seg_hw)
        if BA.is_empty:
            continue
        theta, longa = block_axes(Bk)
        if kinds[b] != "residential":
            out.nonres.append((b, BA, _open_block_paths(out, Bk, kinds[b], theta, longa, rng)))
            continue
        for A in _split(out, Bk, BA, longa, rng):
            xa = min(1.0, max(0.0, (A.centroid.x - blocks.xmin) / (blocks.xmax - blocks.xmin)))
            # newer estates in the east, old ones and villages in the west
            p = np.array([0.08 + 0.55 * xa, 0.40 - 0.15 * xa, 0.45 * (1 - xa), max(0.0, 0.30 - 0.5 * xa)])
            atype = AREA_TYPES[int(rng.choice(4, p=p / p.sum()))]
            A = MultiPolygon(polys(shapely.make_valid(A.simplify(0.3)), 800.0))
            blds, lines, ov = layout_area(A, Bk, theta, atype, rng, corner_tree)
            ci = int(h.block_comm[b])
            comm_area_count[ci] += 1
            out.res_areas.append(dict(code=f"{h.comms[ci]['code']}R{comm_area_count[ci]:03d}",
                                      name=next(h.area_names), community=ci, geom=A, atype=atype,
                                      block=b, blds=blds))
            out.net_lines += [(g, hw, None) for g, hw in lines]
            out.over_pts += ov
    return out


def _net_area(blocks, b, seg_hw):
    """Block b minus the reserve of the roads around it."""
    ss = blocks.segs_of[b]
    buf = shapely.union_all(shapely.buffer(blocks.segs[ss], seg_hw[ss], quad_segs=3))
    g = blocks.geoms[b].difference(buf)
    return MultiPolygon(polys(g, 300.0))


def _open_block_paths(out, Bk, kind, theta, longa, rng):
    """Paths across a park, a pedestrian lane through a commercial block (added to out); returns them."""
    ls = []
    if kind == "park":
        ls, ov = cross_lines(Bk, theta, 2, rng, wiggle=12.0)
        out.net_lines += [(g, "path", None) for g in ls]
        out.over_pts += ov
    elif kind == "commercial":
        ls, ov = cross_lines(Bk, longa, 1, rng)
        out.net_lines += [(g, "footway", None) for g in ls]
        out.over_pts += ov
    return ls


def _split(out, Bk, BA, longa, rng):
    """The net area, or for some long blocks its two halves across the long axis with a lane between."""
    rr = shapely.minimum_rotated_rectangle(Bk)
    cc = np.asarray(rr.exterior.coords)
    e1, e2 = np.hypot(*(cc[1] - cc[0])), np.hypot(*(cc[2] - cc[1]))
    if not (BA.area > 38000 and max(e1, e2) / min(e1, e2) > 1.25 and rng.random() < 0.5):
        return [BA]
    c0 = BA.centroid
    BAl = rotate(BA, -longa, (c0.x, c0.y))
    x0, y0, x1, y1 = BAl.bounds
    cx = c0.x + rng.uniform(-0.1, 0.1) * (x1 - x0)
    halves = [BAl.intersection(box(x0 - 10, y0 - 10, cx - 3, y1 + 10)),
              BAl.intersection(box(cx + 3, y0 - 10, x1 + 10, y1 + 10))]
    halves = [MultiPolygon(polys(rotate(h, longa, (c0.x, c0.y)), 800.0)) for h in halves]
    if not all(h.area > 0.3 * BA.area for h in halves):
        return [BA]
    lane = LineString([(cx, y0 - 500), (cx, y1 + 500)])
    lane = rotate(lane, longa, (c0.x, c0.y)).intersection(Bk.buffer(2.0, join_style="mitre"))
    for p in shapely.get_parts(lane):
        if p.geom_type == "LineString" and p.length > 10:
            out.net_lines.append((p, "path", None))
            out.over_pts += [p.coords[0], p.coords[-1]]
    return halves


def cross_lines(block, theta, n, rng, wiggle=0.0):
    """Lines across a block (through its centroid), overshooting the block
    boundary by 2 m; returns (lines, overshoot points)."""
    c = block.centroid
    out, over = [], []
    R = math.sqrt(block.area) * 3
    clip = block.buffer(2.0, join_style="mitre")
    for k in range(n):
        a = theta + k * math.pi / 2 + (rng.uniform(-0.3, 0.3) if wiggle else 0.0)
        t = np.linspace(-R, R, 80)
        w = wiggle * np.sin(t / 60.0 + rng.uniform(0, 6.28))
        xy = np.column_stack([c.x + t * math.cos(a) - w * math.sin(a), c.y + t * math.sin(a) + w * math.cos(a)])
        ln = LineString(xy).intersection(clip)
        for p in shapely.get_parts(ln):
            if p.geom_type == "LineString" and p.length > 10:
                out.append(p)
                over += [p.coords[0], p.coords[-1]]
    return out, over

