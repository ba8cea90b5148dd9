"""What a change set does to a community's coverage of one facility type, against today: nothing is written.

Today's distances (the current facilities, up to the stored limit) are computed once per data
version and type on the prepared network and kept in the process, with the type's facilities. A
scenario then costs one Dijkstra pass bounded by its threshold: from the planned sites only (an
added site can only shorten distances: the scenario is the minimum with today's), or, when a
facility is closed, from the remaining and planned sites together. A walk beyond the stored limit (a
fast speed at long minutes) gets a full pass. A community's homes with their residential area and
grid (places) are kept per data version too, so a scenario reads only the data versions.
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
from grid_app.coverage.kept import Kept
from grid_app.coverage.measures_data import url_of
from grid_app.coverage.prepared import MAX_ACCESS_M, PreparedNetwork, prepared_network
from grid_app.coverage.scenario_input import Changes
from grid_app.models import Community
from grid_app.network.store import versions
from grid_app.platform.errors import InvalidInput

# Beyond the prepared network's own (network, buildings): facility rows and areas/grids (their names,
# which building lies in which) change only with these.
DATASETS = ("facilities", "hierarchy")
PLACES_KEPT = 500  # communities' homes kept per data version (a city's communities)
_lock = threading.Lock()
_today: dict = {}
_places = Kept(PLACES_KEPT)


def data_stamp(session: Session) -> str:
    """The versions of the data kept here beyond the prepared network's (one query)."""
    return versions(session, DATASETS)


@dataclass
class Today:
    """The type's facilities now and every home's distance to the nearest, up to limit_m."""

    facility_id: np.ndarray
    snaps: Snaps
    distances: np.ndarray
    limit_m: float
    code: list[str]  # per facility, in facility_id order, for the answer's lists
    name: list[str]
    community_id: np.ndarray  # -1: in none
    lonlat: np.ndarray
    code_rank: np.ndarray  # position in code order (the database's collation)

    def described(self, index) -> list[dict]:
        """The facilities at these positions, as the answer lists them."""
        return [{"id": int(self.facility_id[i]), "code": self.code[i], "name": self.name[i],
                 "lon": round(float(self.lonlat[i, 0]), 7), "lat": round(float(self.lonlat[i, 1]), 7)} for i in index]


def today(session: Session, net: PreparedNetwork, type_id: int, default_speed: float,
          stamp: str | None = None) -> Today:
    """Today's distances for a type, cached per data version (one pass the first time).

    stamp: data_stamp(session) when the caller has read it."""
    key = (url_of(session), net.stamp, stamp or data_stamp(session), type_id, default_speed)
    with _lock:
        if key in _today:
            return _today[key]
    rows = session.execute(text("SELECT id, code, name, community_id, ST_X(geom), ST_Y(geom), "
                                "row_number() OVER (ORDER BY code) FROM facility WHERE type_id = :t ORDER BY id"),
                           {"t": type_id}).all()
    xy = np.array([(r[4], r[5]) for r in rows], dtype=np.float64).reshape(-1, 2)
    snaps = snap(net.graph, xy, MAX_ACCESS_M)
    limit = coverage_service.limit_m(default_speed)
    found = Today(np.array([r[0] for r in rows], dtype=np.int64), snaps, net.prepared.distances(snaps, limit), limit,
                  [r[1] for r in rows], [r[2] for r in rows],
                  np.array([-1 if r[3] is None else r[3] for r in rows], dtype=np.int64), xy,
                  np.array([r[6] for r in rows], dtype=np.int64))
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


@dataclass
class Units:
    """The residential areas (or grids) of a community's homes: each home's row, rows in code order."""

    of_home: np.ndarray  # per home: its row
    rows: list[tuple[str | None, str | None]]  # (code, name); homes in none are one row (None, None), last
    total: np.ndarray  # residents per row

    def covered(self, residents: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Residents of the masked homes per row (exact: integer sums far below 2**53)."""
        return np.bincount(self.of_home, weights=residents * mask, minlength=len(self.rows)).astype(np.int64)


@dataclass
class Places:
    """A community's homes (residents > 0) as evaluate reads them, in building id order."""

    at: np.ndarray  # position in the prepared network's homes (valid where known)
    known: np.ndarray  # False for a home the network does not hold: never covered
    residents: np.ndarray
    unsnapped: np.ndarray  # farther than MAX_ACCESS_M from any path (or unknown)
    area: Units
    grid: Units
    # what the answer lists for a home that moves, by column (a dict per home would weigh ~4x more)
    building_id: np.ndarray
    code: list[str]
    name: list[str | None]
    lonlat: np.ndarray  # rounded to 7 decimals

    def of(self, per_home: np.ndarray) -> np.ndarray:
        """A value per prepared home (distances) for these homes; inf for the unknown ones."""
        out = np.full(len(self.at), np.inf)
        out[self.known] = per_home[self.at[self.known]]
        return out


# The community's homes as the engine holds them (residents > 0), with their area and grid.
_HOMES = text("""
SELECT b.id, b.code, b.name, b.residents, ST_X(ST_PointOnSurface(b.geom)) AS lon,
       ST_Y(ST_PointOnSurface(b.geom)) AS lat, ra.code AS area_code, ra.name AS area_name,
       g.code AS grid_code, g.name AS grid_name
FROM building b
LEFT JOIN residential_area ra ON ra.id = b.residential_area_id
LEFT JOIN grid g ON g.id = b.grid_id
WHERE b.community_id = :c AND b.residents > 0 ORDER BY b.id""")


def places(session: Session, net: PreparedNetwork, community: Community, stamp: str) -> Places:
    """The community's homes, read once per data version (network and buildings by net.stamp, the rest by stamp)."""
    return _places.one((url_of(session), net.stamp, stamp), community.id,
                       lambda: _read_places(session, net, community))


def _read_places(session: Session, net: PreparedNetwork, community: Community) -> Places:
    homes = session.execute(_HOMES, {"c": community.id}).all()
    ids = np.array([h.id for h in homes], dtype=np.int64)
    held = net.homes.building_id
    if len(held):
        at = np.minimum(np.searchsorted(held, ids), len(held) - 1)
        known = held[at] == ids  # a home newer than the network's: uncovered
        snapped = net.homes.snaps.snapped[at]
    else:
        at, known, snapped = np.zeros(len(ids), np.int64), np.zeros(len(ids), bool), np.zeros(len(ids), bool)
    residents = np.array([h.residents for h in homes], dtype=np.int64)
    lonlat = np.array([(round(h.lon, 7), round(h.lat, 7)) for h in homes], dtype=np.float64).reshape(-1, 2)
    return Places(np.where(known, at, 0), known, residents, ~(known & snapped),
                  _units(homes, residents, "area"), _units(homes, residents, "grid"),
                  ids, [h.code for h in homes], [h.name for h in homes], lonlat)


def _units(homes, residents: np.ndarray, kind: str) -> Units:
    """The homes' residential areas or grids (kind "area" or "grid") as rows in code order."""
    keys = [(getattr(h, f"{kind}_code"), getattr(h, f"{kind}_name")) for h in homes]
    rows = sorted(set(keys), key=lambda k: (k[0] is None, k[0] or ""))
    row = {k: i for i, k in enumerate(rows)}
    of_home = np.array([row[k] for k in keys], dtype=np.int64)
    return Units(of_home, rows, np.bincount(of_home, weights=residents, minlength=len(rows)).astype(np.int64))


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
    stamp = data_stamp(session)
    now = today(session, net, w.type_id, default_speed, stamp)
    after = scenario_distances(net, now, changes, added)
    p = places(session, net, community, stamp)
    before_m, after_m = p.of(now.distances), p.of(after)
    today_threshold = w.minutes * 60.0 * default_speed
    cov0, cov1 = before_m <= today_threshold, after_m <= w.threshold_m
    ours = np.flatnonzero(now.community_id == community.id)
    as_json = changes.as_json()
    result = {
        "community": {"code": community.code, "name": community.name},
        "type": {"code": w.type_code, "name": w.type_name, "name_en": w.type_name_en,
                 "circle_minutes": w.circle_minutes},
        "minutes": w.minutes, "speed_m_s": w.speed_m_s, "threshold_m": round(w.threshold_m, 1),
        "today": {"speed_m_s": default_speed, "threshold_m": round(today_threshold, 1),
                  "facilities": int(len(now.facility_id))},
        "changes": as_json,
        "added": [{**s, "access_m": round(float(a), 1)} for s, a in zip(as_json["add"], added.access_m)],
        # closed ones in id order (today's are), the community's in code order: the ones a scenario may close
        "removed": now.described(np.flatnonzero(np.isin(now.facility_id, np.array(changes.remove, dtype=np.int64)))),
        "facilities": now.described(ours[np.argsort(now.code_rank[ours])]),
        **_totals(p.residents, cov0, cov1, p.unsnapped),
        "by_residential_area": _by_unit(p.area, p.residents, cov0, cov1),
        "by_grid": _by_unit(p.grid, p.residents, cov0, cov1),
        "gained": _moved(p, cov1 & ~cov0, before_m, after_m, default_speed, w.speed_m_s),
        "lost": _moved(p, cov0 & ~cov1, before_m, after_m, default_speed, w.speed_m_s),
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


def _by_unit(units: Units, residents, cov0, cov1) -> list[dict]:
    """Per residential area or grid, in code order (homes in none as one row with code null)."""
    c0, c1 = units.covered(residents, cov0), units.covered(residents, cov1)
    return [{"code": code, "name": name, "residents_total": int(t),
             "residents_covered_today": int(a), "share_today": _share(int(a), int(t)),
             "residents_covered": int(b), "share": _share(int(b), int(t)), "change": int(b - a)}
            for (code, name), t, a, b in zip(units.rows, units.total, c0, c1)]


def _minutes(metres: np.ndarray, speed: float) -> list[float | None]:
    """Walking minutes to one decimal (None: beyond reach), for many homes at once."""
    minutes = np.round(metres / speed / 60, 1)
    return [m if f else None for m, f in zip(minutes.tolist(), np.isfinite(metres).tolist())]


def _moved(p: Places, mask, before_m, after_m, speed0: float, speed1: float) -> list[dict]:
    """The homes that changed side, with their point for the map."""
    idx = np.flatnonzero(mask)
    columns = zip(idx.tolist(), p.building_id[idx].tolist(), p.residents[idx].tolist(), p.lonlat[idx].tolist(),
                  p.area.of_home[idx].tolist(), p.grid.of_home[idx].tolist(),
                  _minutes(before_m[idx], speed0), _minutes(after_m[idx], speed1))
    return [{"id": b, "code": p.code[i], "name": p.name[i], "residents": r, "lon": xy[0], "lat": xy[1],
             "area_code": p.area.rows[a][0], "grid_code": p.grid.rows[g][0], "minutes_today": m0, "minutes": m1}
            for i, b, r, xy, a, g, m0, m1 in columns]


def clear_kept() -> None:
    """Forget today's distances and the communities' homes (a benchmark's cold run)."""
    with _lock:
        _today.clear()
    _places.clear()
