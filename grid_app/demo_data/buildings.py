"""Step 4: building (楼栋) codes, names, floors, households and residents; street-side shops and old houses."""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon
from shapely.strtree import STRtree

from grid_app.demo_data.geometry import polys

# floor area per household (m²) by building kind
UNIT = {"slab": 98.0, "tower": 108.0, "low": 115.0, "courtyard": 100.0, "shop": 120.0}


def area_buildings(res_areas, rng) -> list[dict]:
    """The buildings of every residential area, numbered in layout order, with households and residents."""
    buildings = []
    for ra in res_areas:
        occ, hh = rng.uniform(0.52, 0.74), rng.uniform(2.3, 2.8)
        for k, bd in enumerate(ra["blds"]):
            fp = bd["geom"].area
            house = max(1, int(round(fp * bd["floors"] * 0.78 / UNIT[bd["kind"]])))
            res = max(1, int(round(house * rng.uniform(occ - 0.08, occ + 0.08) * hh)))
            buildings.append(dict(code=f"{ra['code']}B{k + 1:03d}", name=f"{k + 1}栋",
                                  community=ra["community"], area=ra, geom=bd["geom"],
                                  floors=int(bd["floors"]), households=house, residents=res,
                                  kind=bd["kind"]))
    return buildings


def street_buildings(blocks, kinds, areas, h, n_res_b, rng) -> list[dict]:
    """Street-side shops / old houses on the commercial blocks, outside any residential area (~1.5 %)."""
    buildings = []
    target = max(10, int(round(0.015 * n_res_b)))
    com_blocks = [(b, BA, ls) for b, BA, ls in areas.nonres if kinds[b] == "commercial"]
    seg_tree = STRtree(blocks.segs)
    comm_out_count = np.zeros(len(h.comms), int)
    named_no = {}
    for j, (b, BA, ls) in enumerate(com_blocks):
        tj = target // len(com_blocks) + (1 if j < target % len(com_blocks) else 0)
        for g in shops(BA, rng, tj, shapely.union_all([x.buffer(5.0) for x in ls]) if ls else None):
            ci = int(h.block_comm[b])
            comm_out_count[ci] += 1
            # numbered along the nearest named road (秋浦路3号), else within the community
            rn = blocks.names[seg_tree.nearest(g.centroid)]
            if rn:
                named_no[rn] = named_no.get(rn, 0) + 1
                nm = f"{rn}{named_no[rn]}号"
            else:
                nm = f"{comm_out_count[ci]}栋"
            fl = int(rng.integers(1, 4))
            house = max(1, int(round(g.area * fl * 0.78 / UNIT["shop"])))
            res = max(1, int(round(house * rng.uniform(1.5, 2.8))))
            buildings.append(dict(code=f"{h.comms[ci]['code']}B{comm_out_count[ci]:03d}", name=nm,
                                  community=ci, area=None, geom=g, floors=fl, households=house,
                                  residents=res, kind="shop"))
    return buildings


def shops(blockA, rng, target, avoid=None):
    """Street-side shops / old houses along the edge of a non-residential block."""
    out = []
    ring = blockA.buffer(-3.0, join_style="mitre")
    parts = polys(ring, 500)
    if not parts:
        return out
    ext = parts[0].exterior
    if not ext.is_ccw:
        ext = LineString(list(ext.coords)[::-1])
    placed = []
    d = rng.uniform(0, 10)
    spacing = max(3.0, ext.length / max(1, target) - 16.0)
    within = blockA.buffer(-2.5, join_style="mitre")
    if avoid is not None:
        within = within.difference(avoid)
    while d < ext.length - 20 and len(out) < target:
        L, D = rng.uniform(10, 16), rng.uniform(8, 11)
        p0 = np.array(ext.interpolate(d).coords[0])
        p1 = np.array(ext.interpolate(d + L).coords[0])
        t = p1 - p0
        if np.hypot(*t) < L * 0.98:   # corner
            d += 6
            continue
        t /= np.hypot(*t)
        nrm = np.array([-t[1], t[0]])   # interior is on the left of a ccw ring
        g = Polygon([p0, p0 + t * L, p0 + t * L + nrm * D, p0 + nrm * D])
        if g.within(within) and not any(g.distance(q) < 2.0 for q in placed):
            placed.append(g)
            out.append(g)
            d += L + spacing * rng.uniform(0.6, 1.4)
        else:
            d += 4
    return out

