"""What a change set does to a community's coverage of one facility type, against today: nothing is written.

Today's distances (the current facilities, up to the stored limit) are computed once per data
version and type on the prepared network and kept in the process. A scenario then costs one
Dijkstra pass bounded by its threshold: from the planned sites only (an added site can only shorten
distances: the scenario is the minimum with today's), or, when a facility is closed, from the
remaining and planned sites together. A walk beyond the stored limit (a fast speed at long
minutes) gets a full pass.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from grid_app.coverage import service as coverage_service
from grid_app.coverage.graph import Snaps, snap
from grid_app.coverage.prepared import MAX_ACCESS_M, PreparedNetwork, prepared_network
from grid_app.coverage.scenario_input import Changes
from grid_app.models import Community
from grid_app.network.store import versions
from grid_app.platform.errors import InvalidInput

_lock = threading.Lock()
_today: dict = {}


@dataclass
class Today:
    """The type's facilities now and every home's distance to the nearest, up to limit_m."""

    facility_id: np.ndarray
    snaps: Snaps
    distances: np.ndarray
    limit_m: float


def today(session: Session, net: PreparedNetwork, type_id: int, default_speed: float) -> Today:
    """Today's distances for a type, cached per data version (one pass the first time)."""
    key = (str(session.get_bind().engine.url), net.stamp, versions(session, ("facilities",)), type_id, default_speed)
    with _lock:
        if key in _today:
            return _today[key]
    rows = session.execute(text("SELECT id, ST_X(geom), ST_Y(geom) FROM facility WHERE type_id = :t ORDER BY id"),
                           {"t": type_id}).all()
    xy = np.array([(r[1], r[2]) for r in rows], dtype=np.float64).reshape(-1, 2)
    snaps = snap(net.graph, xy, MAX_ACCESS_M)
    limit = coverage_service.limit_m(default_speed)
    found = Today(np.array([r[0] for r in rows], dtype=np.int64), snaps, net.prepared.distances(snaps, limit), limit)
    with _lock:
        stale = [k for k in _today if k[:3] != key[:3]]
        for k in stale:  # older data versions are never asked again
            del _today[k]
        _today[key] = found
    return found


def scenario_distances(net: PreparedNetwork, now: Today, changes: Changes, added: Snaps) -> np.ndarray:
    """Every home's distance to the nearest facility under the changes, exact up to the scenario's threshold."""
    threshold = changes.walk.threshold_m
    if changes.remove or threshold > now.limit_m:
        keep = ~np.isin(now.facility_id, np.array(changes.remove, dtype=np.int64))
        return net.prepared.distances(Snaps.concat([now.snaps.subset(keep), added]), threshold)
    if not len(added):
        return now.distances
    return np.minimum(now.distances, net.prepared.distances(added, threshold))


# The community's homes as the engine holds them (residents > 0), with their area and grid.
_HOMES = text("""
SELECT b.id, b.code, b.name, b.residents, ST_X(ST_PointOnSurface(b.geom)) AS lon,
       ST_Y(ST_PointOnSurface(b.geom)) AS lat, ra.code AS area_code, ra.name AS area_name,
       g.code AS grid_code, g.name AS grid_name
FROM building b
LEFT JOIN residential_area ra ON ra.id = b.residential_area_id
LEFT JOIN grid g ON g.id = b.grid_id
WHERE b.community_id = :c AND b.residents > 0 ORDER BY b.id""")


def evaluate(session: Session, community: Community, changes: Changes, default_speed: float) -> dict:
    """Coverage per residential area and grid, today and under the changes, and the homes that move."""
    started = time.perf_counter()
    net = prepared_network(session)
    w = changes.walk
    added = snap(net.graph, np.array([(s.lon, s.lat) for s in changes.add], dtype=np.float64), MAX_ACCESS_M)
    off = [int(i) + 1 for i in np.flatnonzero(~added.snapped)]
    if off:
        raise InvalidInput(f"planned site(s) {', '.join(f'add[{i}]' for i in off)} lie more than "
                           f"{MAX_ACCESS_M:g} m from any path", code="site_off_network", details={"sites": off})
    now = today(session, net, w.type_id, default_speed)
    after = scenario_distances(net, now, changes, added)
    homes = session.execute(_HOMES, {"c": community.id}).all()
    ids = np.array([h.id for h in homes], dtype=np.int64)
    held = net.homes.building_id
    at = np.minimum(np.searchsorted(held, ids), max(len(held) - 1, 0))
    known = held[at] == ids if len(held) else np.zeros(len(ids), bool)  # a home newer than the cache: uncovered
    at = np.where(known, at, 0)
    before_m = np.where(known, now.distances[at] if len(held) else np.inf, np.inf)
    after_m = np.where(known, after[at] if len(held) else np.inf, np.inf)
    today_threshold = w.minutes * 60.0 * default_speed
    cov0, cov1 = before_m <= today_threshold, after_m <= w.threshold_m
    residents = np.array([h.residents for h in homes], dtype=np.int64)
    unsnapped = ~(known & (net.homes.snaps.snapped[at] if len(held) else False))
    result = {
        "community": {"code": community.code, "name": community.name},
        "type": {"code": w.type_code, "name": w.type_name, "name_en": w.type_name_en,
                 "circle_minutes": w.circle_minutes},
        "minutes": w.minutes, "speed_m_s": w.speed_m_s, "threshold_m": round(w.threshold_m, 1),
        "today": {"speed_m_s": default_speed, "threshold_m": round(today_threshold, 1),
                  "facilities": int(len(now.facility_id))},
        "changes": changes.as_json(),
        "added": [{**s, "access_m": round(float(a), 1)}
                  for s, a in zip(changes.as_json()["add"], added.access_m)],
        "removed": _removed(session, changes.remove),
        "facilities": _removable(session, community, w.type_id),
        **_totals(residents, cov0, cov1, unsnapped),
        "by_residential_area": _units(homes, residents, cov0, cov1, "area"),
        "by_grid": _units(homes, residents, cov0, cov1, "grid"),
        "gained": _moved(homes, cov1 & ~cov0, before_m, after_m, default_speed, w.speed_m_s),
        "lost": _moved(homes, cov0 & ~cov1, before_m, after_m, default_speed, w.speed_m_s),
    }
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result


def _share(covered: int, total: int) -> float | None:
    return round(covered / total, 4) if total else None


def _totals(residents, cov0, cov1, unsnapped) -> dict:
    total = int(residents.sum())
    c0, c1 = int(residents[cov0].sum()), int(residents[cov1].sum())
    return {"residents_total": total, "homes_unsnapped": int(unsnapped.sum()),
            "residents_covered_today": c0, "share_today": _share(c0, total),
            "residents_covered": c1, "share": _share(c1, total),
            "residents_gained": int(residents[cov1 & ~cov0].sum()), "residents_lost": int(residents[cov0 & ~cov1].sum()),
            "homes_gained": int((cov1 & ~cov0).sum()), "homes_lost": int((cov0 & ~cov1).sum())}


def _units(homes, residents, cov0, cov1, kind: str) -> list[dict]:
    """Per residential area or grid, in code order (homes in none as one row with code null)."""
    groups: dict = {}
    for i, h in enumerate(homes):
        key = (getattr(h, f"{kind}_code"), getattr(h, f"{kind}_name"))
        groups.setdefault(key, []).append(i)
    out = []
    for (code, name), idx in sorted(groups.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or "")):
        idx = np.array(idx)
        r = residents[idx]
        total, c0, c1 = int(r.sum()), int(r[cov0[idx]].sum()), int(r[cov1[idx]].sum())
        out.append({"code": code, "name": name, "residents_total": total,
                    "residents_covered_today": c0, "share_today": _share(c0, total),
                    "residents_covered": c1, "share": _share(c1, total), "change": c1 - c0})
    return out


def _minutes(metres: float, speed: float) -> float | None:
    return round(metres / speed / 60, 1) if np.isfinite(metres) else None


def _moved(homes, mask, before_m, after_m, speed0: float, speed1: float) -> list[dict]:
    """The homes that changed side, with their point for the map."""
    return [{"id": h.id, "code": h.code, "name": h.name, "residents": int(h.residents),
             "lon": round(h.lon, 7), "lat": round(h.lat, 7), "area_code": h.area_code, "grid_code": h.grid_code,
             "minutes_today": _minutes(before_m[i], speed0), "minutes": _minutes(after_m[i], speed1)}
            for i, h in enumerate(homes) if mask[i]]


def _removable(session: Session, community: Community, type_id: int) -> list[dict]:
    """The community's facilities of the type: the ones a scenario may close (for the map)."""
    rows = session.execute(text("SELECT id, code, name, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility "
                                "WHERE type_id = :t AND community_id = :c ORDER BY code"),
                           {"t": type_id, "c": community.id}).all()
    return [{"id": r.id, "code": r.code, "name": r.name, "lon": round(r.lon, 7), "lat": round(r.lat, 7)}
            for r in rows]


def _removed(session: Session, ids: tuple[int, ...]) -> list[dict]:
    if not ids:
        return []
    rows = session.execute(text("SELECT id, code, name, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM facility "
                                "WHERE id = ANY(:ids) ORDER BY id"), {"ids": list(ids)}).all()
    return [{"id": r.id, "code": r.code, "name": r.name, "lon": round(r.lon, 7), "lat": round(r.lat, 7)}
            for r in rows]
