"""建议选址: the k sites in a community that bring the most of its uncovered residents within the walk.

Maximal-coverage siting (siting.coverage_matrix + greedy_mclp) for one community on the scenario's
facility set: a home counts as covered when the scenario (today's facilities, minus the closed, plus
the planned) already reaches it. Candidates are the network's nodes inside the community, or the
points of a layer the planner sends (plots that are available). The search runs on the part of the
network within the walk of the community: a walk of T metres never leaves a box T around its start,
so the answer equals the one on the whole network.
"""
from __future__ import annotations

import time

import numpy as np
import shapely
from shapely import wkb
from sqlalchemy import text
from sqlalchemy.orm import Session

from grid_app.coverage.graph import WalkGraph, snap
from grid_app.coverage.prepared import MAX_ACCESS_M, PreparedNetwork, prepared_network
from grid_app.coverage.scenario import scenario_distances, today
from grid_app.coverage.scenario_input import MAX_ADDED, Changes, check_changes
from grid_app.coverage.siting import coverage_matrix, greedy_mclp
from grid_app.models import Community
from grid_app.network.model import WalkNetwork
from grid_app.places.locate import check_coordinates
from grid_app.platform.errors import InvalidInput

MAX_K = 20
MAX_LAYER_SITES = 2000
CANDIDATES = ("network", "layer")
_OWN_KEYS = {"k", "candidates", "layer"}
_M_PER_DEG = 111_320.0


def check_request(session: Session, community: Community, body, default_speed: float
                  ) -> tuple[Changes, int, str, np.ndarray | None]:
    """The change set, k, candidate kind and layer points (WGS84) of a suggest body; InvalidInput if bad."""
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object with type and k", code="bad_body")
    k = body.get("k")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidInput(f"k must be a whole number from 1 to {MAX_K}", code="bad_k")
    kind = body.get("candidates", "network")
    if kind not in CANDIDATES:
        raise InvalidInput("candidates must be 'network' or 'layer'", code="bad_candidates")
    if kind == "network" and body.get("layer") is not None:
        raise InvalidInput("a layer is only read with candidates 'layer'", code="bad_candidates")
    changes = check_changes(session, community, {key: v for key, v in body.items() if key not in _OWN_KEYS},
                            default_speed)
    if len(changes.add) + k > MAX_ADDED:
        raise InvalidInput(f"a scenario holds at most {MAX_ADDED} planned sites: {len(changes.add)} are "
                           f"planned, so k may be at most {MAX_ADDED - len(changes.add)}", code="bad_k")
    layer = _layer(body.get("layer"), body.get("crs") or "wgs84") if kind == "layer" else None
    return changes, k, kind, layer


def _layer(value, crs) -> np.ndarray:
    """Points of a GeoJSON FeatureCollection (a polygon or line gives a point on it)."""
    if not isinstance(value, dict) or value.get("type") != "FeatureCollection" \
            or not isinstance(value.get("features"), list):
        raise InvalidInput("layer must be a GeoJSON FeatureCollection of candidate sites", code="bad_layer")
    features = value["features"]
    if not features or len(features) > MAX_LAYER_SITES:
        raise InvalidInput(f"layer must hold 1 to {MAX_LAYER_SITES} features", code="bad_layer")
    points = []
    for i, feature in enumerate(features, 1):
        try:
            geom = shapely.geometry.shape(feature["geometry"])
        except (TypeError, KeyError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
            raise InvalidInput(f"layer feature {i} has no valid geometry", code="bad_layer") from exc
        if geom.is_empty:
            raise InvalidInput(f"layer feature {i} has an empty geometry", code="bad_layer")
        p = geom if geom.geom_type == "Point" else geom.point_on_surface()
        points.append(check_coordinates(p.x, p.y, crs if isinstance(crs, str) else repr(crs)))
    return np.array(points, dtype=np.float64).reshape(-1, 2)


def _local_graph(net: PreparedNetwork, bounds: tuple[float, float, float, float], reach_m: float) -> WalkGraph:
    """The network's edges touching the box `bounds` widened by reach_m (exact for walks up to reach_m)."""
    network = net.graph.network
    x0, y0, x1, y1 = bounds
    dy = reach_m / _M_PER_DEG
    dx = reach_m / (_M_PER_DEG * max(np.cos(np.radians(max(abs(y0), abs(y1)))), 0.01))
    eb = shapely.bounds(network.geometry)
    keep = np.flatnonzero((eb[:, 2] >= x0 - dx) & (eb[:, 0] <= x1 + dx) & (eb[:, 3] >= y0 - dy) & (eb[:, 1] <= y1 + dy))
    nodes, inverse = np.unique(np.concatenate([network.u[keep], network.v[keep]]), return_inverse=True)
    u, v = inverse[:len(keep)], inverse[len(keep):]
    sub = WalkNetwork(network.node_ids[nodes], network.lon[nodes], network.lat[nodes], u, v, network.length_m[keep],
                      network.directed[keep], network.geometry[keep], network.highway[keep],
                      None if network.ground is None else network.ground[keep])
    return WalkGraph(sub, epsg=net.graph.epsg)


def suggest(session: Session, community: Community, changes: Changes, k: int, kind: str,
            layer: np.ndarray | None, default_speed: float) -> dict:
    """Up to k sites (greedy MCLP, within 1 - 1/e of the best) and the scenario's change set with them added."""
    started = time.perf_counter()
    net = prepared_network(session)
    w = changes.walk
    threshold = w.threshold_m
    geom = wkb.loads(bytes(session.scalar(text("SELECT ST_AsBinary(geom) FROM community WHERE id = :c"),
                                          {"c": community.id})))
    # Today's scenario (the planned sites and closures already in it) says who is covered.
    added = snap(net.graph, np.array([(s.lon, s.lat) for s in changes.add], dtype=np.float64).reshape(-1, 2),
                 MAX_ACCESS_M)
    dist = scenario_distances(net, today(session, net, w.type_id, default_speed), changes, added)
    ids = np.array(session.scalars(text("SELECT id FROM building WHERE community_id = :c AND residents > 0 "
                                        "ORDER BY id"), {"c": community.id}).all(), dtype=np.int64)
    held = np.flatnonzero(np.isin(net.homes.building_id, ids))
    residents = net.homes.residents[held]
    already = dist[held] <= threshold
    if kind == "network":
        lonlat = np.column_stack([net.graph.network.lon, net.graph.network.lat])
        lonlat = lonlat[shapely.intersects_xy(geom, lonlat[:, 0], lonlat[:, 1])]
        outside = 0
    else:
        inside = shapely.intersects_xy(geom, layer[:, 0], layer[:, 1])
        lonlat, outside = layer[inside], int((~inside).sum())
    if not len(lonlat):
        raise InvalidInput(f"no candidate site lies in community {community.code}", code="no_candidates")
    local = _local_graph(net, geom.bounds, threshold + MAX_ACCESS_M)
    homes_xy = np.array(session.execute(text(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM building WHERE id = ANY(:ids) "
        "ORDER BY id"), {"ids": [int(i) for i in net.homes.building_id[held]]}).all(), dtype=np.float64).reshape(-1, 2)
    cover = coverage_matrix(local, snap(local, lonlat, MAX_ACCESS_M), snap(local, homes_xy, MAX_ACCESS_M), threshold)
    plan = greedy_mclp(cover, residents, k, already_covered=already)
    sites = [{"lon": round(float(lonlat[j, 0]), 7), "lat": round(float(lonlat[j, 1]), 7),
              "residents_added": int(round(g))} for j, g in zip(plan.selected, plan.gains)]
    proposed = changes.as_json()
    proposed["add"] = proposed["add"] + [{"lon": s["lon"], "lat": s["lat"]} for s in sites]
    return {"community": {"code": community.code, "name": community.name}, "type": w.type_code, "k": k,
            "minutes": w.minutes, "speed_m_s": w.speed_m_s, "threshold_m": round(threshold, 1),
            "candidates": kind, "candidates_considered": int(len(lonlat)), "candidates_outside": outside,
            "residents_total": int(residents.sum()), "residents_covered_before": int(residents[already].sum()),
            "residents_covered_after": int(residents[already].sum() + sum(s["residents_added"] for s in sites)),
            "suggested": sites, "changes": proposed, "seconds": round(time.perf_counter() - started, 4)}
