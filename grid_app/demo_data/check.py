"""Re-reading the rounded output and checking the topological and content rules of the demo layers."""
from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import shape
from shapely.strtree import STRtree

from grid_app.demo_data.constants import FACILITY_TYPES, HIGHWAYS, ROAD_CLASSES, TO_UTM, WALK_15MIN
from grid_app.demo_data.topology import endpoints, graph, node_ids

POLYGON_LAYERS = ["streets", "communities", "grids", "residential_areas", "buildings"]


class CheckFailed(AssertionError):
    """A generated layer breaks a rule (an AssertionError, as the checks always raised)."""


def _require(ok, message="check failed"):
    """Raise CheckFailed(message) unless ok (not an assert: it must hold under python -O too)."""
    if not ok:
        raise CheckFailed(message)


def _utm(geom):
    """The geometry from lon/lat to UTM."""
    return shapely.transform(geom, lambda c: np.column_stack(TO_UTM.transform(c[:, 0], c[:, 1])))


def check(layers: dict[str, dict], scale: float = 1.0) -> dict:
    """Re-read the rounded output and check the topological / content rules; returns a report."""
    G = {k: [shape(f["geometry"]) for f in v["features"]] for k, v in layers.items()}
    P = {k: [f["properties"] for f in v["features"]] for k, v in layers.items()}
    U = {k: np.array([_utm(g) for g in v], dtype=object) for k, v in G.items()}
    _check_geometries(G, U)
    rep = {}
    rep["communities/street"] = _tiling(U["streets"], [p["code"] for p in P["streets"]], U["communities"],
                                        [p["street_code"] for p in P["communities"]], "communities")
    rep["grids/community"] = _tiling(U["communities"], [p["code"] for p in P["communities"]], U["grids"],
                                     [p["community_code"] for p in P["grids"]], "grids")
    _check_codes(P)
    outside = _check_buildings(P, U)
    holes = sum(1 for g in G["buildings"] for p in g.geoms if len(p.interiors))
    nodes, g, elen = _check_network(G, U)
    fd, types = _check_facilities(P, U)
    far, far_res = _beyond_15min(P, U, nodes, g, "health_station")
    res = np.array([p["residents"] for p in P["buildings"]])
    rep.update(dict(
        counts={k: len(v["features"]) for k, v in layers.items()},
        residents=int(res.sum()), households=int(sum(p["households"] for p in P["buildings"])),
        buildings_outside_areas=outside, courtyard_buildings=holes,
        party_groups=sum(1 for p in P["buildings"] if p["party_org_kind"]),
        community_party_kinds={k: sum(1 for p in P["communities"] if p["party_org_kind"] == k)
                               for k in ("党委", "党总支")},
        network_nodes=len(nodes), network_length_km=round(float(elen.sum()) / 1000, 1),
        max_edge_m=round(float(elen.max()), 1), min_edge_m=round(float(elen.min()), 3),
        highway={h: int(sum(1 for p in P["network"] if p["highway"] == h)) for h in HIGHWAYS},
        facility_types={t_: sum(1 for p in P["facilities"] if p["type_code"] == t_) for t_ in types},
        facility_max_dist_to_network_m=round(float(fd.max()), 1),
        buildings_beyond_15min_health=f"{far:.1%} of buildings, {far_res} residents",
        street_area_km2=round(float(sum(shapely.area(U['streets']))) / 1e6, 2),
    ))
    if scale >= 1.0:
        c = rep["counts"]
        _require(c["communities"] >= 5 * scale and c["grids"] >= 25 * scale)
        _require(c["residential_areas"] >= 60 * scale and c["buildings"] >= 1500 * scale)
        _require(c["network"] >= 5000 * scale and c["facilities"] >= 60 and len(types) >= 8)
        _require(40000 * scale <= rep["residents"] <= 80000 * scale, rep["residents"])
        _require(holes >= 1 and 0 < outside and far > 0)
    return rep


def _check_geometries(G, U):
    """Valid (multi)polygons in lon/lat and in UTM, points, lines of two vertices or more."""
    for k in POLYGON_LAYERS:
        _require(all(g.geom_type == "MultiPolygon" for g in G[k]), k)
        bad = int((~shapely.is_valid(np.array(G[k], dtype=object))).sum())
        bad_u = int((~shapely.is_valid(U[k])).sum())
        _require(bad == 0 and bad_u == 0, f"{k}: {bad} invalid polygons")
    _require(all(g.geom_type == "Point" for g in G["facilities"]))
    _require(all(g.geom_type == "LineString" and len(g.coords) >= 2 for g in G["network"]))


def _tiling(parent_geoms, parent_codes, child_geoms, child_parent, what):
    """Each parent is the union of its children, which do not overlap; returns the worst (difference, overlap) m²."""
    worst_u, worst_o = 0.0, 0.0
    for pg, pc in zip(parent_geoms, parent_codes):
        kids = [g for g, c in zip(child_geoms, child_parent) if c == pc]
        _require(kids, f"{what}: {pc} has no children")
        un = shapely.union_all(kids)
        worst_u = max(worst_u, shapely.symmetric_difference(un, pg).area)
        t = STRtree(kids)
        a, b = t.query(kids, predicate="intersects")
        m = a < b
        if m.any():
            worst_o = max(worst_o, float(shapely.area(shapely.intersection(
                np.array(kids, dtype=object)[a[m]], np.array(kids, dtype=object)[b[m]])).max()))
    _require(worst_u < 1.0, f"{what}: union differs by {worst_u} m2")
    _require(worst_o < 0.01, f"{what}: overlap {worst_o} m2")
    return worst_u, worst_o


def _check_codes(P):
    """Hierarchical codes: lengths, parent prefixes, no duplicates."""
    for p in P["streets"]:
        _require(len(p["code"]) == 9 and p["code"].isdigit())
    for p in P["communities"]:
        _require(len(p["code"]) == 12 and p["code"].startswith(p["street_code"]))
    for p in P["grids"]:
        _require(len(p["code"]) == 15 and p["code"].startswith(p["community_code"]))
    for k in P:
        codes = [p.get("code") for p in P[k] if "code" in p]
        _require(len(codes) == len(set(codes)), f"duplicate codes in {k}")
    for p in P["residential_areas"]:
        _require(p["code"][:12] == p["community_code"] and p["code"][12] == "R" and len(p["code"]) == 16)


def _check_buildings(P, U):
    """Buildings inside their area, not overlapping, those of no area outside all areas; returns how many those are."""
    ra_code = {p["code"]: i for i, p in enumerate(P["residential_areas"])}
    B = U["buildings"]
    t = STRtree(B)
    a, b = t.query(B, predicate="intersects")
    m = a < b
    ov = float(shapely.area(shapely.intersection(B[a[m]], B[b[m]])).max()) if m.any() else 0.0
    _require(ov < 0.01, f"buildings overlap {ov} m2")
    RA = U["residential_areas"]
    outside = 0
    for i, p in enumerate(P["buildings"]):
        if p["residential_area_code"] is None:
            outside += 1
            _require(p["code"][12] == "B" and p["code"][:12] == p["community_code"])
        else:
            j = ra_code[p["residential_area_code"]]
            _require(p["code"].startswith(p["residential_area_code"] + "B"))
            _require(shapely.difference(B[i], RA[j]).area < 0.01, f"building {p['code']} outside its area")
    ra_tree = STRtree(RA)
    oi = [i for i, p in enumerate(P["buildings"]) if p["residential_area_code"] is None]
    if oi:
        a, b = ra_tree.query(B[oi], predicate="intersects")
        _require(len(a) == 0 or shapely.area(shapely.intersection(B[np.array(oi)[a]], RA[b])).max() < 0.01)
    for p in P["buildings"]:
        _require(p["households"] >= 1 and p["residents"] >= 1 and p["floors"] >= 1)
    return outside


def _check_network(G, U):
    """One connected network, noded (every contact at a shared end, no crossings); returns (nodes, graph, lengths)."""
    N = U["network"]
    nodes, _si, _ei, g = graph(N)
    ncomp, _lab = connected_components(g, directed=False)
    _require(ncomp == 1, f"network has {ncomp} components")
    # every node that touches an edge must be one of its endpoints (no T without split)
    Nll = np.array(G["network"], dtype=object)
    nodes_ll, _, _ = node_ids(Nll)
    tN = STRtree(Nll)
    pi, ej = tN.query(shapely.points(nodes_ll), predicate="intersects")
    s_ll, e_ll = endpoints(Nll)
    bad = ~(np.all(s_ll[ej] == nodes_ll[pi], axis=1) | np.all(e_ll[ej] == nodes_ll[pi], axis=1))
    _require(not bad.any(), f"{int(bad.sum())} node/edge contacts without a shared endpoint")
    a, _b = tN.query(Nll, predicate="crosses")
    _require(len(a) == 0, f"{len(a) // 2} crossing edge pairs")
    return nodes, g, shapely.length(N)


def _check_facilities(P, U):
    """Facilities near the network but off road centrelines, of known types; returns (distances, types)."""
    F, N = U["facilities"], U["network"]
    fd = STRtree(N).query_nearest(F, return_distance=True)[1]
    _require(fd.max() <= 40.0, f"facility {fd.max():.1f} m from network")
    road = np.array([p["highway"] in ROAD_CLASSES for p in P["network"]])
    rd = STRtree(N[road]).query_nearest(F, return_distance=True)[1]
    _require(rd.min() > 3.0, "facility on a road centreline")
    types = sorted({p["type_code"] for p in P["facilities"]})
    _require(set(types) <= set(FACILITY_TYPES))
    return fd, types


def _beyond_15min(P, U, nodes, g, ftype):
    """(share of buildings, residents) farther than a 15-minute walk on the network from a facility of ftype."""
    ktree = cKDTree(nodes)
    hs = [i for i, p in enumerate(P["facilities"]) if p["type_code"] == ftype]
    fxy = shapely.get_coordinates(U["facilities"])
    src = np.unique(ktree.query(fxy[hs])[1])
    dist = dijkstra(g, directed=False, indices=src, min_only=True)
    bxy = shapely.get_coordinates(shapely.centroid(U["buildings"]))
    bd_, bn = ktree.query(bxy)
    bdist = dist[bn] + bd_
    res = np.array([p["residents"] for p in P["buildings"]])
    return float((bdist > WALK_15MIN).mean()), int(res[bdist > WALK_15MIN].sum())
