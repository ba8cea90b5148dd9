"""Step 4: the buildings (楼栋) and internal paths of one residential area, in rows along its block.

Everything is laid out in a frame rotated so that the rows run along the x axis, then rotated back.
"""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from grid_app.demo_data.geometry import polys, rotate


def row_spec(atype, rng, prev):
    """The kind, size, spacing and floor range of the next row of buildings in an area of type atype."""
    r = rng.random()
    if atype == "new":
        if r < 0.45:
            L = rng.uniform(22, 27)
            return dict(kind="tower", L=L, D=rng.uniform(19, 23), side=rng.uniform(15, 22),
                        gap=rng.uniform(30, 38), floors=(11, 26))
        return dict(kind="slab", L=float(rng.choice([48, 54, 60, 66])), D=12.5,
                    side=rng.uniform(12, 16), gap=rng.uniform(26, 30), floors=(6, 11))
    if atype == "old":
        if r < 0.03:
            S = rng.uniform(32, 40)
            return dict(kind="courtyard", L=S, D=S, side=rng.uniform(10, 14), gap=rng.uniform(14, 18),
                        floors=(2, 4))
        return dict(kind="slab", L=float(rng.choice([36, 42, 48, 54, 60])), D=rng.uniform(10.5, 12),
                    side=rng.uniform(8, 12), gap=rng.uniform(18, 22), floors=(4, 7))
    if atype == "mixed":
        if prev is not None and prev["kind"] == "low" or (prev is None and r < 0.5):
            return dict(kind="slab", L=float(rng.choice([36, 42, 48, 60])), D=rng.uniform(10.5, 12),
                        side=rng.uniform(8, 12), gap=rng.uniform(18, 22), floors=(4, 6))
        return dict(kind="low", L=rng.uniform(13, 17), D=rng.uniform(9, 11), side=rng.uniform(3.5, 6),
                    gap=rng.uniform(9, 12), floors=(2, 4))
    # village / old houses
    if r < 0.05:
        S = rng.uniform(30, 36)
        return dict(kind="courtyard", L=S, D=S, side=rng.uniform(8, 10), gap=rng.uniform(10, 12),
                    floors=(2, 3))
    return dict(kind="low", L=rng.uniform(12, 16), D=rng.uniform(9, 11), side=rng.uniform(3.5, 7),
                gap=rng.uniform(9, 12), floors=(2, 4))

def layout_area(A, block, theta, atype, rng, corner_tree):
    """Lay out buildings and internal paths of one residential area (UTM).

    Returns (buildings, lines, overshoot_points): buildings as list of dicts
    with 'geom','kind','floors','row'; lines as (LineString, highway)."""
    c = (A.centroid.x, A.centroid.y)
    Al = rotate(A, -theta, c)
    inner = Al.buffer(-6.5, join_style="mitre")
    ringp = MultiPolygon(polys(Al.buffer(-4.0, join_style="mitre").simplify(0.3), 150.0))
    if inner.is_empty or inner.area < 200 or ringp.is_empty:
        return [], [], []
    shapely.prepare(inner)
    rows = _rows(inner, atype, rng)
    blds = _buildings(inner, rows, rng)
    lines, over, path_geoms = _row_paths(Al, inner, rows)
    for r in ringp.geoms:   # the ring road inside the area's edge
        lines.append((LineString(r.exterior.coords), "service"))
        path_geoms.append(r.exterior)
    allb = shapely.union_all([b["geom"] for b in blds]) if blds else None
    if blds:
        _entrances(blds, path_geoms, allb, lines, over)
    _gates(rotate(block, -theta, c), ringp, theta, c, corner_tree, allb, rng, lines, over)
    for b in blds:
        b["geom"] = rotate(b["geom"], theta, c)
    lines = [(rotate(g, theta, c), h) for g, h in lines]
    if over:
        over = [tuple(p) for p in shapely.get_coordinates(rotate(shapely.points(np.array(over)), theta, c))]
    return blds, lines, over


def _rows(inner, atype, rng):
    """[y, row spec] of the rows that fit in the area, centred south to north."""
    _minx, miny, _maxx, maxy = inner.bounds
    rows, v, prev = [], miny, None
    while True:
        sp = row_spec(atype, rng, prev)
        if v + sp["D"] > maxy:
            break
        rows.append([v, sp])
        prev = sp
        v += sp["D"] + sp["gap"]
    if rows:
        used = rows[-1][0] + rows[-1][1]["D"] - miny
        off = (maxy - miny - used) / 2
        for r in rows:
            r[0] += off
    return rows


def _buildings(inner, rows, rng):
    """The buildings of each row, west to east, wherever one fits inside the area."""
    minx, _miny, maxx, _maxy = inner.bounds
    blds = []
    for ri, (v, sp) in enumerate(rows):
        L, D = sp["L"], sp["D"]
        xs = np.arange(minx, maxx - L + 1e-9, 1.0)
        if len(xs) == 0:
            continue
        ok = shapely.contains(inner, shapely.box(xs, v, xs + L, v + D))
        xnext = -1e18
        fl = int(rng.integers(sp["floors"][0], sp["floors"][1] + 1))
        for i in np.flatnonzero(ok):
            x = xs[i]
            if x < xnext:
                continue
            if sp["kind"] == "courtyard":
                t = 10.0
                g = Polygon([(x, v), (x + L, v), (x + L, v + D), (x, v + D)],
                            [[(x + t, v + t), (x + t, v + D - t), (x + L - t, v + D - t), (x + L - t, v + t)]])
            else:
                g = box(x, v, x + L, v + D)
            f = fl
            if sp["kind"] in ("low", "courtyard") and rng.random() < 0.3:
                f = max(1, fl + int(rng.choice([-1, 1])))
            blds.append(dict(geom=g, kind=sp["kind"], floors=f, row=ri, door=(x + L / 2, v - 0.5)))
            xnext = x + L + sp["side"]
    return blds


def _row_paths(Al, inner, rows):
    """(footways between rows as (line, highway), their overshooting ends, path geometries)."""
    minx, _miny, maxx, _maxy = inner.bounds
    lines, over, path_geoms = [], [], []
    clipper = Al.buffer(-3.0, join_style="mitre")
    for ri in range(len(rows) - 1):
        vp = (rows[ri][0] + rows[ri][1]["D"] + rows[ri + 1][0]) / 2
        ln = LineString([(minx - 40, vp), (maxx + 40, vp)]).intersection(clipper)
        for piece in shapely.get_parts(ln):
            if piece.geom_type == "LineString" and piece.length > 5:
                lines.append((piece, "footway"))
                path_geoms.append(piece)
                over += [piece.coords[0], piece.coords[-1]]
    return lines, over, path_geoms


def _entrances(blds, path_geoms, allb, lines, over):
    """Append a footway stub from each building's door to the nearest path, unless it crosses a building."""
    pu = shapely.union_all(path_geoms)
    doors = shapely.points(np.array([b["door"] for b in blds]))
    sl = shapely.shortest_line(doors, pu)
    for s in sl:
        p0, p1 = np.array(s.coords[0]), np.array(s.coords[-1])
        d = p1 - p0
        n = np.hypot(*d)
        if n < 0.5 or n > 40:
            continue
        p2 = p1 + d / n * 1.0
        st = LineString([p0, p2])
        if allb is not None and st.intersection(allb).length > 0.01:
            continue
        lines.append((st, "footway"))
        over.append(tuple(p2))


def _gates(Bl, ringp, theta, c, corner_tree, allb, rng, lines, over):
    """Append up to three gates from each ring road to the surrounding streets, away from junctions."""
    ext = Bl.exterior
    dd = np.arange(0, ext.length, 8.0)
    cand = shapely.line_interpolate_point(ext, dd)
    cxy = shapely.get_coordinates(cand)
    if corner_tree is not None and len(cxy):
        cw = rotate(shapely.points(cxy), theta, c)
        dist_c, _ = corner_tree.query(shapely.get_coordinates(cw))
        far = dist_c > 25.0
    else:
        far = np.ones(len(cxy), bool)
    for r in ringp.geoms:
        dist = shapely.distance(cand, r)
        ok = np.flatnonzero((dist < 19.0) & far)
        if len(ok) == 0:
            continue
        ngate = min(len(ok), 1 + int(r.exterior.length // 450), 3)
        chosen = [ok[int(rng.integers(len(ok)))]]
        while len(chosen) < ngate:
            dmin = np.min(np.linalg.norm(cxy[ok][:, None] - cxy[chosen][None], axis=2), axis=1)
            chosen.append(ok[int(np.argmax(dmin))])
        for gi, ci in enumerate(chosen):
            T = np.array(cxy[ci])
            P = np.array(r.exterior.interpolate(r.exterior.project(Point(T))).coords[0])
            d = T - P
            n = np.hypot(*d)
            if n < 1:
                continue
            d /= n
            g = LineString([P - d * 1.0, T + d * 2.0])
            if allb is not None and g.intersects(allb):
                continue
            lines.append((g, "service" if gi == 0 else "footway"))
            over += [tuple(P - d * 1.0), tuple(T + d * 2.0)]
