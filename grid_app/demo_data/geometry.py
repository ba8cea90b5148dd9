"""Plane geometry helpers of the generator (metric coordinates)."""
from __future__ import annotations

import math

import numpy as np
import shapely


def rotate(geom, ang, origin):
    """Rotate a geometry (or array of geometries) by ang radians about origin."""
    ca, sa = math.cos(ang), math.sin(ang)
    ox, oy = origin

    def f(c):
        x, y = c[:, 0] - ox, c[:, 1] - oy
        return np.column_stack([ox + ca * x - sa * y, oy + sa * x + ca * y])
    return shapely.transform(geom, f)


def polys(geom, min_area=0.0):
    """The polygon parts of a geometry larger than min_area."""
    return [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > min_area]


def block_axes(poly):
    """(row angle ~ closest to east-west, long-axis angle) of a polygon's min. rotated rect."""
    c = np.asarray(shapely.minimum_rotated_rectangle(poly).exterior.coords)
    e1, e2 = c[1] - c[0], c[2] - c[1]
    angs = []
    for e in (e1, e2):
        a = math.atan2(e[1], e[0])
        while a <= -math.pi / 2:
            a += math.pi
        while a > math.pi / 2:
            a -= math.pi
        angs.append(a)
    row = angs[0] if abs(angs[0]) <= abs(angs[1]) else angs[1]
    long_ = angs[0] if np.hypot(*e1) >= np.hypot(*e2) else angs[1]
    return row, long_


def densify(pts, step=20.0):
    """A polyline's vertices with extra ones at most `step` apart."""
    pts = np.asarray(pts, float)
    out = [pts[0]]
    for a, b in zip(pts[:-1], pts[1:]):
        n = max(1, int(math.ceil(np.hypot(*(b - a)) / step)))
        for k in range(1, n + 1):
            out.append(a + (b - a) * k / n)
    return np.array(out)

