"""Planners' measures per community: the life-circle checklist, capacity against demand (2SFCA), equity.

Stored facilities are read through the one coverage entry (service.view); a changed facility set (a
scenario) goes through the engine on the prepared network. The scenario side calls:

    measures(session, community, speed_m_s, age_shares, type_code=None, minutes=None,
             facilities: FacilitySet | None = None, *, net=None, state=None, distances=None) -> dict
    stored_facilities(session, type_code) -> FacilitySet   # today's set, to change

net, state: the prepared network and measures_data.data_state() when the caller has read them (one
statement gives the data versions and the reference rows kept per their fingerprint); distances: the
changed set's metres per home, exact up to a bound, when the caller has them (evaluate's).

FacilitySet(type_code, lonlat: (n, 2) WGS84, capacity: (n,) float with nan where unknown,
ids: (n,) facility id, -1 for a planned one). `facilities` replaces the stored set of its type in the
checklist, the 2SFCA and the equity figures; nothing is written.

Per community, only what can reach it is computed: the facilities within the walk of its homes (a walk
is never shorter than the straight line), their whole catchments for the 2SFCA ratios (one bounded
pass, fca.local_pairs), each facility's catchment kept per network version and place, so a scenario
only walks from its planned sites; the changed type's coverage is walked once, to the farthest walk
asked; the demand per home is kept per data and register state (demand.py).
The figures are those of the whole-district computation (tests/coverage/test_measures_fast.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from grid_app.coverage import equity
from grid_app.coverage import service as cs
from grid_app.coverage import measures_data
# fca_scores is the benchmarks' entry, kept under this module's name
from grid_app.coverage.catchments import (catchment_pairs, clear_catchments, clear_snaps, fca_scores,  # noqa: F401
                                          kept_snaps)
from grid_app.coverage.demand import clear_demand, district_demand
from grid_app.coverage.fca import two_step
from grid_app.coverage.kept import Kept
from grid_app.coverage.measures_data import DataState, data_state, url_of
from grid_app.coverage.prepared import MAX_ACCESS_M, PreparedNetwork, prepared_network
from grid_app.models import Community, Facility


@dataclass(frozen=True)
class FacilitySet:
    """The facilities of one type as a measure sees them: points, capacities (nan: unknown), ids (-1: planned)."""

    type_code: str
    lonlat: np.ndarray
    capacity: np.ndarray
    ids: np.ndarray


def stored_facilities(session: Session, type_code: str) -> FacilitySet:
    """Today's facilities of a type (NotFound for an unknown type), in code order."""
    ftype = cs.facility_type(session, type_code)
    rows = session.execute(select(Facility.id, func.ST_X(Facility.geom), func.ST_Y(Facility.geom), Facility.capacity)
                           .where(Facility.type_id == ftype.id).order_by(Facility.code)).all()
    return FacilitySet(ftype.code, np.array([(r[1], r[2]) for r in rows], dtype=np.float64).reshape(-1, 2),
                       np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=np.float64),
                       np.array([r[0] for r in rows], dtype=np.int64))


@dataclass
class _Homes:
    """The community's homes as indexes into the prepared network's homes, with their residential area."""

    index: np.ndarray
    area_of: np.ndarray  # per home: its row in `areas`
    areas: list[tuple[str | None, str | None]]  # (code, name) in code order; homes in no area: (None, None), last
    xy: np.ndarray  # metric position (the graph's CRS) of each home's point, shape (n, 2)
    code: list[str]  # the building's code per home
    tree: cKDTree | None = None  # of xy (None without homes), built once with the homes


def _areas(keys: list[tuple[str | None, str | None]]) -> tuple[np.ndarray, list]:
    """Each home's row and the rows (code, name; the first name seen for a code) in code order, None last."""
    first: dict = {}
    for code, name in keys:
        first.setdefault(code, name)
    codes = sorted(first, key=lambda c: (c is None, c or ""))
    row = {c: i for i, c in enumerate(codes)}
    return np.array([row[c] for c, _ in keys], dtype=np.int64), [(c, first[c]) for c in codes]


HOMES_KEPT = 500  # communities' homes kept per data version (a city's communities)
_homes = Kept(HOMES_KEPT)


def _community_homes(session: Session, net: PreparedNetwork, community: Community,
                     state: DataState | None = None) -> _Homes:
    """The community's homes, read once per data version (network, buildings, areas, hierarchy)."""
    state = state or data_state(session)
    gen = (url_of(session), net.stamp, state.stamp(("residential_areas", "hierarchy")))
    return _homes.one(gen, community.id, lambda: _read_homes(session, net, community))


def _read_homes(session: Session, net: PreparedNetwork, community: Community) -> _Homes:
    rows = session.execute(text("""
        SELECT b.id, ra.code, ra.name, ST_X(ST_PointOnSurface(b.geom)), ST_Y(ST_PointOnSurface(b.geom)), b.code
        FROM building b LEFT JOIN residential_area ra ON ra.id = b.residential_area_id
        WHERE b.community_id = :c AND b.residents > 0 ORDER BY b.id"""), {"c": community.id}).all()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    known = net.homes.building_id
    if not len(known):
        return _Homes(np.zeros(0, np.int64), np.zeros(0, np.int64), [], np.zeros((0, 2)), [])
    pos = np.minimum(np.searchsorted(known, ids), len(known) - 1)
    found = known[pos] == ids
    lonlat = np.array([(r[3], r[4]) for r, ok in zip(rows, found) if ok], dtype=np.float64).reshape(-1, 2)
    xy = np.column_stack(net.graph.to_metric.transform(lonlat[:, 0], lonlat[:, 1])).reshape(-1, 2)
    area_of, areas = _areas([(r[1], r[2]) for r, ok in zip(rows, found) if ok])
    return _Homes(pos[found], area_of, areas, xy, [r[5] for r, ok in zip(rows, found) if ok],
                  cKDTree(xy) if len(xy) else None)


# A walk (access legs + network, geodesic lengths) is never shorter than the straight line between the
# two points in the local UTM projection but for its scale error (< 0.1 %): 5 % and a metre to spare.
REACH_SLACK, REACH_PAD_M = 1.05, 1.0


def _near(net: PreparedNetwork, homes: _Homes, lonlat: np.ndarray, walk_m: float) -> np.ndarray:
    """Mask of the points that could reach one of the community's homes within walk_m (a superset)."""
    pts = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
    if not len(pts) or not len(homes.xy):
        return np.zeros(len(pts), dtype=bool)
    xy = np.column_stack(net.graph.to_metric.transform(pts[:, 0], pts[:, 1]))
    ok = np.isfinite(xy).all(axis=1)
    out = np.zeros(len(pts), dtype=bool)
    dist, _ = homes.tree.query(xy[ok], distance_upper_bound=walk_m * REACH_SLACK + REACH_PAD_M)
    out[ok] = np.isfinite(dist)
    return out


def clear_kept() -> None:
    """Forget every kept catchment, snap, community's homes, reference row and demand (a benchmark's cold run)."""
    clear_catchments()
    measures_data.clear()
    clear_snaps()
    _homes.clear()
    clear_demand()


def _unsnapped(session: Session, net: PreparedNetwork, lonlat: np.ndarray) -> int:
    """How many points lie beyond MAX_ACCESS_M of every path."""
    return int((~kept_snaps(session, net, lonlat).snapped).sum())


def _by_area(homes: _Homes, values: np.ndarray, weights: np.ndarray) -> list[dict]:
    """Weighted sums per residential area: total weight and weighted value (the caller divides).

    bincount adds in home order, as a loop over the homes would: the same sums to the last bit."""
    w = np.asarray(weights, dtype=np.float64)
    n = len(homes.areas)
    weight = np.bincount(homes.area_of, weights=w, minlength=n)
    value = np.bincount(homes.area_of, weights=np.asarray(values, dtype=np.float64) * w, minlength=n)
    return [{"code": code, "name": name, "weight": a, "value": b}
            for (code, name), a, b in zip(homes.areas, weight.tolist(), value.tolist())]


def _share(part: float, total: float) -> float | None:
    return round(part / total, 4) if total else None


def _reach(session: Session, net: PreparedNetwork, homes: _Homes, facilities: FacilitySet,
           bound_m: float) -> np.ndarray:
    """Metres from each of the community's homes to the nearest of the facilities, exact up to bound_m (inf beyond)."""
    # Only the facilities within the walk of a home of the community can reach one.
    near = facilities.lonlat[_near(net, homes, facilities.lonlat, bound_m)]
    return net.prepared.distances(kept_snaps(session, net, near), bound_m)[homes.index]


def _engine_shares(net: PreparedNetwork, homes: _Homes, facilities: FacilitySet, threshold_m: float,
                   dist: np.ndarray) -> dict:
    """Coverage of a changed facility set, shaped like the stored summary's share and areas.

    dist: each home's metres to the nearest facility, exact up to threshold_m at least (_reach)."""
    within = dist <= threshold_m
    residents = net.homes.residents[homes.index]
    no_facilities = len(facilities.lonlat) == 0
    areas = [{"code": u["code"], "name": u["name"], "residents_total": int(u["weight"]),
              "share": None if no_facilities else _share(u["value"], u["weight"])}
             for u in _by_area(homes, within.astype(float), residents)]
    total = float(residents.sum())
    covered = float(residents[within].sum())
    return {"share": None if no_facilities else _share(covered, total), "no_facilities": no_facilities,
            "by_residential_area": areas}


class _Shares:
    """Coverage shares per type and minutes: stored through service.view, the changed set through the engine.

    The changed set's type is walked once, to the farthest of the walks asked (plan_m), for all of them."""

    def __init__(self, session: Session, community: Community, speed_m_s: float, facilities: FacilitySet | None,
                 net: PreparedNetwork | None = None, state: DataState | None = None,
                 distances: tuple[float, np.ndarray] | None = None):
        self.session, self.community, self.speed, self.facilities = session, community, speed_m_s, facilities
        self.computed_at, self.stale = None, False
        self._net, self._state = net, state
        self._homes: _Homes | None = None
        self.plan_m = 0.0
        self._given = distances
        self._reach: tuple[float, np.ndarray] | None = None  # (exact up to, metres per home of the community)

    def net(self) -> PreparedNetwork:
        """The prepared network (its data versions read once per measures() call)."""
        if self._net is None:
            self._net = prepared_network(self.session)
        return self._net

    def state(self) -> DataState:
        """The data versions and reference rows (read once per measures() call)."""
        if self._state is None:
            self._state = data_state(self.session)
        return self._state

    def homes(self) -> _Homes:
        """The community's homes on the prepared network (read once per measures() call)."""
        if self._homes is None:
            self._homes = _community_homes(self.session, self.net(), self.community, self.state())
        return self._homes

    def get(self, type_code: str, minutes: float) -> dict:
        if self.facilities is not None and type_code == self.facilities.type_code:
            threshold = minutes * 60.0 * self.speed
            if self._reach is None and self._given is not None:
                self._reach = (self._given[0], self._given[1][self.homes().index])
            if self._reach is None or self._reach[0] < threshold:
                bound = max(threshold, self.plan_m)
                self._reach = (bound, _reach(self.session, self.net(), self.homes(), self.facilities, bound))
            return _engine_shares(self.net(), self.homes(), self.facilities, threshold, self._reach[1])
        summary = cs.view(self.session, self.community, type_code, minutes, self.speed,
                          distances=False, isochrones=False).summary
        self.computed_at = self.computed_at or summary["computed_at"]
        self.stale = self.stale or summary["stale"]
        return summary


def checklist(session: Session, shares: _Shares, type_code: str | None = None) -> dict:
    """Per life-circle level, each listed type (or type_code alone): share of residents within reach, 达标 or not."""
    items = [i for i in shares.state().reference.items if type_code is None or i.type.code == type_code]
    levels: dict[int, list] = {}
    for item in items:
        found = shares.get(item.type.code, item.level_minutes)
        need = item.min_share
        share = found["share"] if found["share"] is not None else 0.0  # no facility: nobody reaches one
        levels.setdefault(item.level_minutes, []).append({
            "type": item.type.code, "type_name": item.type.name, "type_name_en": item.type.name_en,
            "standard_item": item.standard_item, "source": item.source, "min_share": need, "share": share,
            "meets": share >= need, "no_facilities": found["no_facilities"],
            "by_residential_area": [{"code": a["code"], "name": a["name"], "share": a["share"],
                                     "meets": a["share"] is not None and a["share"] >= need}
                                    for a in found["by_residential_area"]]})
    out = [{"minutes": m, "threshold_m": round(m * 60.0 * shares.speed, 1), "items": rows,
            "met": sum(r["meets"] for r in rows)} for m, rows in sorted(levels.items())]
    return {"levels": out, "met": sum(lv["met"] for lv in out), "items": sum(len(lv["items"]) for lv in out)}


def community_fca(session: Session, net: PreparedNetwork, homes: _Homes, lonlat: np.ndarray, supply: np.ndarray,
                  demand: np.ndarray, catchment_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2SFCA scores of the community's homes, and the ratios of the facilities (indexes into lonlat) reaching one.

    Equal to two_step over every facility of the district: a home's score only sums facilities whose
    catchment holds it, and each of those gets its whole catchment's demand."""
    near = np.flatnonzero(_near(net, homes, lonlat, catchment_m))
    pairs = catchment_pairs(session, net, kept_snaps(session, net, lonlat[near]), catchment_m)
    score, ratio = two_step(pairs, supply[near], demand)
    serves = np.zeros(len(near), dtype=bool)
    serves[pairs.facility[np.isin(pairs.home, homes.index)]] = True
    return score[homes.index], near[serves], ratio[serves]


def capacity(session: Session, community: Community, facilities: FacilitySet, minutes: float, speed_m_s: float,
             age_shares: dict[str, float], homes: _Homes | None = None, net: PreparedNetwork | None = None,
             type_id: int | None = None, state: DataState | None = None, by_building: bool = True) -> dict:
    """2SFCA per home, residential area and community: capacity per person of the type's group within reach.

    type_id: the type's id when the caller has looked it up (NotFound for an unknown code otherwise);
    state: data_state() when the caller has read it; by_building False leaves the per-home list out."""
    type_id = cs.facility_type(session, facilities.type_code).id if type_id is None else type_id
    catchment_m = minutes * 60.0 * speed_m_s
    known = np.isfinite(facilities.capacity)
    head = {"type": facilities.type_code, "catchment_minutes": minutes, "catchment_m": round(catchment_m, 1),
            "facilities": int(len(known)), "facilities_with_capacity": int(known.sum()),
            "capacity_total": float(facilities.capacity[known].sum())}
    if not known.any():
        return {**head, "no_capacity": True, "score": None, "by_residential_area": [],
                **({"by_building": []} if by_building else {})}
    net = net or prepared_network(session)
    lonlat, supply, ids = facilities.lonlat[known], facilities.capacity[known], facilities.ids[known]
    unsnapped = _unsnapped(session, net, lonlat)
    state = state or data_state(session)
    group = state.reference.groups.get(type_id)
    # Demand from the whole district: a facility's catchment crosses community borders.
    demand, counted = district_demand(session, net, facilities.type_code, group, age_shares, state.writing)
    homes = homes if homes is not None else _community_homes(session, net, community, state)
    s, serving, ratio = community_fca(session, net, homes, lonlat, supply, demand, catchment_m)
    d = demand[homes.index]
    areas = [{"code": u["code"], "name": u["name"], "demand": round(u["weight"], 1),
              "score": round(u["value"] / u["weight"], 6) if u["weight"] else None}
             for u in _by_area(homes, s, d)]
    return {**head, "no_capacity": False, **counted, "facilities_unsnapped": unsnapped,
            "demand_total": round(float(d.sum()), 1),
            "score": round(float((s * d).sum() / d.sum()), 6) if d.sum() else None,
            "by_residential_area": areas,
            **({"by_building": [{"code": c, "score": round(v, 6)} for c, v in zip(homes.code, s.tolist())]}
               if by_building else {}),
            # the facilities whose catchment holds a home of the community, in the set's order
            "by_facility": [{"id": int(i) if i >= 0 else None, "ratio": round(float(r), 6)}
                            for i, r in zip(ids[serving], ratio)]}


def _equity_of(areas: list[dict], value: str, weight: str) -> dict:
    rows = [a for a in areas if a["code"] is not None and a[value] is not None]
    return equity.summary([a[value] for a in rows], [a[weight] for a in rows])


def _walk(session: Session, state: DataState, type_code: str, minutes, speed_m_s: float) -> cs.Walk:
    """service.walk from the kept reference rows (service.walk itself for a code it lacks: its NotFound)."""
    row = state.reference.types.get(type_code)
    if row is None:
        return cs.walk(session, type_code, minutes, speed_m_s)
    return cs.Walk(row.id, row.code, row.name, row.name_en, row.circle_minutes,
                   cs.check_minutes(minutes, row.circle_minutes), speed_m_s)


def measures(session: Session, community: Community, speed_m_s: float, age_shares: dict[str, float],
             type_code: str | None = None, minutes=None, facilities: FacilitySet | None = None,
             checklist_type_only: bool = False, *, net: PreparedNetwork | None = None,
             state: DataState | None = None, by_building: bool = True,
             distances: tuple[float, np.ndarray] | None = None) -> dict:
    """The checklist, and for a type its 2SFCA and equity figures; `facilities` replaces its type's stored set.

    checklist_type_only: the checklist's rows of type_code alone (a scenario, whose other rows are today's);
    net, state: prepared_network() and data_state() when the caller has them; by_building False leaves
    the 2SFCA's per-home list out; distances: (bound_m, metres from every prepared home to the nearest of
    `facilities`, exact up to bound_m), when the caller has them (a scenario's): walks within the bound
    are read from them instead of walked again."""
    if facilities is not None and type_code is None:
        type_code = facilities.type_code
    state = state or data_state(session)
    shares = _Shares(session, community, speed_m_s, facilities, net, state, distances)
    out = {"community": {"code": community.code, "name": community.name}, "speed_m_s": speed_m_s,
           "scenario": facilities is not None}
    if facilities is not None:  # its type is walked once, to the farthest walk the checklist or the type asks
        shares.plan_m = 60.0 * speed_m_s * max([float(i.level_minutes) for i in state.reference.items
                                                if i.type.code == facilities.type_code] + [0.0])
    if type_code:
        w = _walk(session, state, type_code, minutes, speed_m_s)
        type_code = w.type_code
        facilities = facilities if facilities is not None and facilities.type_code == w.type_code else None
        shares.plan_m = max(shares.plan_m, w.threshold_m)
        cover = shares.get(w.type_code, w.minutes)
        fca = capacity(session, community, facilities or stored_facilities(session, w.type_code), w.minutes,
                       speed_m_s, age_shares, shares.homes(), shares.net(), w.type_id, state, by_building)
        out["capacity"] = fca
        # Across residential areas (buildings in none are left out): the coverage share weighted by
        # residents, and the 2SFCA score weighted by the group's people.
        out["equity"] = {"minutes": w.minutes,
                         "coverage_share": _equity_of(cover["by_residential_area"], "share", "residents_total"),
                         "fca_score": None if fca["no_capacity"] else _equity_of(fca["by_residential_area"],
                                                                                 "score", "demand")}
    out["checklist"] = checklist(session, shares, type_code if checklist_type_only else None)
    out["computed_at"], out["stale"] = shares.computed_at, shares.stale
    return out
