"""Step 6: facilities (Points) on the edges of areas and blocks, denser in the east and centre than in
the west, each named after the community or a nearby residential area."""
from __future__ import annotations

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import Point
from shapely.strtree import STRtree

from grid_app.demo_data.constants import (FACILITY_COUNTS, FACILITY_EAST_BIAS, FACILITY_SPACING, FIFTEEN_MIN_COUNTS,
                                         FIFTEEN_MIN_SEED)
from grid_app.demo_data.geometry import polys
from grid_app.demo_data.names import area_prefix


def place_facilities(blocks, kinds, h, areas, buildings, scale, rng) -> list[dict]:
    """One party service centre per community, then each other type by weighted draws; dicts of type, name, community, pt."""
    sites = _Sites(blocks, h, areas, buildings)
    for ci, c in enumerate(h.comms):   # near the community's middle
        m = np.flatnonzero((sites.comm == ci) & sites.free)
        rp = c["geom"].point_on_surface()
        cc = np.array([c["geom"].centroid.x, c["geom"].centroid.y])
        tgt = cc if c["geom"].contains(Point(cc)) else np.array(rp.coords[0])
        idx = m[int(np.argmin(np.linalg.norm(sites.pts[m] - tgt, axis=1)))]
        sites.place("party_service", idx, ci)
    school_blocks = {b for b in range(len(blocks.geoms)) if kinds[b] == "school"}
    _draw(sites, FACILITY_COUNTS, school_blocks, scale, rng)
    # their own draws: the shipped layers drawn from rng keep their numbers
    _draw(sites, FIFTEEN_MIN_COUNTS, school_blocks, scale, np.random.default_rng(FIFTEEN_MIN_SEED))
    return sites.fac


def _draw(sites, counts, school_blocks, scale, rng) -> None:
    """Place counts[type] (times scale, at least one) facilities of each type by weighted draws, spaced apart."""
    for ftype, n0 in counts.items():
        n = max(1, int(round(n0 * scale)))
        w = sites.weights(ftype, school_blocks)
        for _ in range(n):
            if w.sum() <= 0:
                break
            idx = int(rng.choice(len(w), p=w / w.sum()))
            sites.place(ftype, idx, int(sites.comm[idx]))
            # no other facility of the type within its spacing
            w[sites.tree.query_ball_point(sites.pts[idx], FACILITY_SPACING[ftype])] = 0
            w[idx] = 0


class _Sites:
    """Candidate points every 20 m along the inner edge of each area and non-residential block."""

    def __init__(self, blocks, h, areas, buildings):
        self.res_areas, self.comms = areas.res_areas, h.comms
        self.street_names = {st["code"]: st["name"] for st in h.streets}
        pts, comm, block = [], [], []
        owners = [(ra["geom"], ra["community"], ra["block"]) for ra in areas.res_areas]
        owners += [(BA, int(h.block_comm[b]), b) for b, BA, _ls in areas.nonres]
        for geom, ci, b in owners:
            for p in polys(geom.buffer(-2.0, join_style="mitre"), 100):
                ext = p.exterior
                for d in np.arange(5, ext.length, 20.0):
                    pts.append(ext.interpolate(d).coords[0])
                    comm.append(ci)
                    block.append(b)
        self.pts, self.comm, self.block = np.array(pts), np.array(comm), np.array(block)
        btree = STRtree([b["geom"] for b in buildings])
        hit = btree.query(shapely.points(self.pts), predicate="dwithin", distance=1.5)
        self.free = np.ones(len(self.pts), bool)   # not on or next to a building
        self.free[hit[0]] = False
        self.cxn = (self.pts[:, 0] - blocks.xmin) / (blocks.xmax - blocks.xmin)
        cy = self.pts[:, 1]
        self.cyn = (cy - cy.min()) / (cy.max() - cy.min())
        self.area_tree = STRtree([ra["geom"] for ra in areas.res_areas])
        self.area_geoms = np.array([ra["geom"] for ra in areas.res_areas], dtype=object)
        self.tree = cKDTree(self.pts)
        self.used_names: set[str] = set()
        self.taken = np.zeros(len(self.pts), bool)
        self.fac: list[dict] = []

    def weights(self, ftype, school_blocks):
        """Draw weights of the free candidates for a type: east and centre first, schools in school blocks."""
        cxn, cyn = self.cxn, self.cyn
        bias = FACILITY_EAST_BIAS[ftype]
        w = np.exp(bias * cxn) * (1.0 + 0.8 * np.exp(-((cxn - 0.6) ** 2 + (cyn - 0.5) ** 2) / 0.05))
        if ftype == "health_station":
            w = w * (cxn > 0.35)      # nothing in the western third
        elif ftype in ("market", "elderly_care"):
            w = w * (cxn > 0.2)
        if ftype in ("primary_school", "middle_school", "kindergarten"):
            sb = np.array([b in school_blocks for b in self.block])
            w = w * np.where(sb, 0.05 if ftype == "kindergarten" else 30.0, 1.0)
        return w * self.free * (~self.taken)

    def near_prefixes(self, pt):
        """Name prefixes of the (up to 8) residential areas nearest to pt, nearest first."""
        P_ = Point(pt)
        for r_ in (400.0, 1500.0, 1e7):
            idx = self.area_tree.query(P_, predicate="dwithin", distance=r_)
            if len(idx) >= 8 or r_ > 1e6:
                break
        idx = np.sort(idx)
        order_ = idx[np.argsort(shapely.distance(P_, self.area_geoms[idx]), kind="stable")[:8]]
        return [area_prefix(self.res_areas[int(i)]["name"]) for i in order_]

    def place(self, ftype, idx, ci):
        """Put a facility of ftype on candidate idx, in community ci, under a name not used yet."""
        pt = self.pts[idx]
        bases = _names(ftype, self.comms[ci]["name"], self.near_prefixes(pt),
                       self.street_names.get(self.comms[ci]["street_code"], ""))
        name = next((b for b in bases if b not in self.used_names), None)
        k = 2
        while name is None:
            name = f"{bases[0]}{k}号店" if ftype == "convenience" else f"{bases[0]}（{k}）"
            name = None if name in self.used_names else name
            k += 1
        self.used_names.add(name)
        self.taken[idx] = True
        self.fac.append(dict(type=ftype, name=name, community=ci, pt=pt))


def _names(ftype, cname, pref, street=""):
    """Candidate names of a facility, best first, from its community's name and nearby area prefixes."""
    if ftype == "party_service":
        return [f"{cname}党群服务中心"]
    if ftype == "health_station":
        return [f"{cname}卫生服务站"] + [f"{cname}{p}卫生服务站" for p in pref]
    if ftype == "elderly_care":
        return [f"{p}居家养老服务站" for p in pref] + [f"{cname}养老服务站"]
    if ftype == "primary_school":
        return [f"贵池区{p}小学" for p in pref]
    if ftype == "middle_school":
        return [f"贵池区{p}初级中学" for p in pref]
    if ftype == "health_centre":
        return [f"{cname.removesuffix('社区')}社区卫生服务中心"] + [f"{p}社区卫生服务中心" for p in pref]
    if ftype == "culture_centre":
        return [f"{p}文化活动中心" for p in pref] + [f"{cname}文化活动中心"]
    if ftype == "street_service":
        return [f"{street}综合服务中心"] + [f"{street}{p}综合服务中心" for p in pref]
    suffix = {"kindergarten": "幼儿园", "market": "菜市场", "fitness": "健身场地"}.get(ftype, "便利店")
    return [f"{p}{suffix}" for p in pref]
