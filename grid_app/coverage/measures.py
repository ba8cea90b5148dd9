"""Planners' measures per community: the life-circle checklist, capacity against demand (2SFCA), equity.

Stored facilities are read through the one coverage entry (service.view); a changed facility set (a
scenario) goes through the engine on the prepared network. The scenario side calls:

    measures(session, community, speed_m_s, age_shares, type_code=None, minutes=None,
             facilities: FacilitySet | None = None) -> dict
    stored_facilities(session, type_code) -> FacilitySet   # today's set, to change

FacilitySet(type_code, lonlat: (n, 2) WGS84, capacity: (n,) float with nan where unknown,
ids: (n,) facility id, -1 for a planned one). `facilities` replaces the stored set of its type in the
checklist, the 2SFCA and the equity figures; nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from grid_app.coverage import equity
from grid_app.coverage import service as cs
from grid_app.coverage.demand import demand_group, home_demand
from grid_app.coverage.fca import catchment_pairs, two_step
from grid_app.coverage.graph import snap
from grid_app.coverage.prepared import MAX_ACCESS_M, PreparedNetwork, prepared_network
from grid_app.models import Community, Facility, LifeCircleItem


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
    area: list[tuple[str | None, str | None]]  # (code, name) per home; (None, None) outside any area


def _community_homes(session: Session, net: PreparedNetwork, community: Community) -> _Homes:
    rows = session.execute(text("""
        SELECT b.id, ra.code, ra.name FROM building b LEFT JOIN residential_area ra ON ra.id = b.residential_area_id
        WHERE b.community_id = :c AND b.residents > 0 ORDER BY b.id"""), {"c": community.id}).all()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    known = net.homes.building_id
    if not len(known):
        return _Homes(np.zeros(0, np.int64), [])
    pos = np.minimum(np.searchsorted(known, ids), len(known) - 1)
    found = known[pos] == ids
    return _Homes(pos[found], [(r[1], r[2]) for r, ok in zip(rows, found) if ok])


def _by_area(homes: _Homes, values: np.ndarray, weights: np.ndarray) -> list[dict]:
    """Weighted sums per residential area: total weight and weighted value (the caller divides)."""
    out: dict = {}
    for (code, name), v, w in zip(homes.area, values, weights):
        unit = out.setdefault(code, {"code": code, "name": name, "weight": 0.0, "value": 0.0})
        unit["weight"] += float(w)
        unit["value"] += float(v) * float(w)
    return sorted(out.values(), key=lambda u: (u["code"] is None, u["code"] or ""))


def _share(part: float, total: float) -> float | None:
    return round(part / total, 4) if total else None


def _engine_shares(net: PreparedNetwork, homes: _Homes, facilities: FacilitySet, threshold_m: float) -> dict:
    """Coverage of a changed facility set, shaped like the stored summary's share and areas."""
    dist = net.prepared.distances(snap(net.graph, facilities.lonlat, MAX_ACCESS_M), threshold_m)[homes.index]
    residents = net.homes.residents[homes.index]
    no_facilities = len(facilities.lonlat) == 0
    areas = [{"code": u["code"], "name": u["name"], "residents_total": int(u["weight"]),
              "share": None if no_facilities else _share(u["value"], u["weight"])}
             for u in _by_area(homes, np.isfinite(dist).astype(float), residents)]
    total = float(residents.sum())
    covered = float(residents[np.isfinite(dist)].sum())
    return {"share": None if no_facilities else _share(covered, total), "no_facilities": no_facilities,
            "by_residential_area": areas}


class _Shares:
    """Coverage shares per type and minutes: stored through service.view, the changed set through the engine."""

    def __init__(self, session: Session, community: Community, speed_m_s: float, facilities: FacilitySet | None):
        self.session, self.community, self.speed, self.facilities = session, community, speed_m_s, facilities
        self.computed_at, self.stale = None, False

    def get(self, type_code: str, minutes: float) -> dict:
        if self.facilities is not None and type_code == self.facilities.type_code:
            net = prepared_network(self.session)
            return _engine_shares(net, _community_homes(self.session, net, self.community), self.facilities,
                                  minutes * 60.0 * self.speed)
        summary = cs.view(self.session, self.community, type_code, minutes, self.speed,
                          distances=False, isochrones=False).summary
        self.computed_at = self.computed_at or summary["computed_at"]
        self.stale = self.stale or summary["stale"]
        return summary


def checklist(session: Session, shares: _Shares) -> dict:
    """For each life-circle level, each listed type: share of residents within the level's minutes, 达标 or not."""
    items = session.scalars(select(LifeCircleItem).order_by(LifeCircleItem.level_minutes, LifeCircleItem.id)).all()
    levels: dict[int, list] = {}
    for item in items:
        found = shares.get(item.type.code, item.level_minutes)
        need = float(item.min_share)
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


def capacity(session: Session, community: Community, facilities: FacilitySet, minutes: float, speed_m_s: float,
             age_shares: dict[str, float]) -> dict:
    """2SFCA per home, residential area and community: capacity per person of the type's group within reach."""
    ftype = cs.facility_type(session, facilities.type_code)
    catchment_m = minutes * 60.0 * speed_m_s
    known = np.isfinite(facilities.capacity)
    head = {"type": ftype.code, "catchment_minutes": minutes, "catchment_m": round(catchment_m, 1),
            "facilities": int(len(known)), "facilities_with_capacity": int(known.sum()),
            "capacity_total": float(facilities.capacity[known].sum())}
    if not known.any():
        return {**head, "no_capacity": True, "score": None, "by_residential_area": [], "by_building": []}
    net = prepared_network(session)
    snaps = snap(net.graph, facilities.lonlat[known], MAX_ACCESS_M)
    group = demand_group(session, ftype.id)
    demand, counted = home_demand(session, ftype.code, group, net.homes.building_id, net.homes.residents, age_shares)
    # Demand from the whole district: a facility's catchment crosses community borders.
    score, ratio = two_step(catchment_pairs(net.prepared, snaps, catchment_m), facilities.capacity[known], demand)
    homes = _community_homes(session, net, community)
    d, s = demand[homes.index], score[homes.index]
    areas = [{"code": u["code"], "name": u["name"], "demand": round(u["weight"], 1),
              "score": round(u["value"] / u["weight"], 6) if u["weight"] else None}
             for u in _by_area(homes, s, d)]
    codes = dict(session.execute(text("SELECT id, code FROM building WHERE id = ANY(:ids)"),
                                 {"ids": [int(b) for b in net.homes.building_id[homes.index]]}).all())
    return {**head, "no_capacity": False, **counted, "facilities_unsnapped": int((~snaps.snapped).sum()),
            "demand_total": round(float(d.sum()), 1),
            "score": round(float((s * d).sum() / d.sum()), 6) if d.sum() else None,
            "by_residential_area": areas,
            "by_building": [{"code": codes[int(b)], "score": round(float(v), 6)}
                            for b, v in zip(net.homes.building_id[homes.index], s)],
            "by_facility": [{"id": int(i) if i >= 0 else None, "ratio": round(float(r), 6)}
                            for i, r in zip(facilities.ids[known], ratio)]}


def _equity_of(areas: list[dict], value: str, weight: str) -> dict:
    rows = [a for a in areas if a["code"] is not None and a[value] is not None]
    return equity.summary([a[value] for a in rows], [a[weight] for a in rows])


def measures(session: Session, community: Community, speed_m_s: float, age_shares: dict[str, float],
             type_code: str | None = None, minutes=None, facilities: FacilitySet | None = None) -> dict:
    """The checklist, and for a type its 2SFCA and equity figures; `facilities` replaces its type's stored set."""
    if facilities is not None and type_code is None:
        type_code = facilities.type_code
    shares = _Shares(session, community, speed_m_s, facilities)
    out = {"community": {"code": community.code, "name": community.name}, "speed_m_s": speed_m_s,
           "scenario": facilities is not None}
    if type_code:
        w = cs.walk(session, type_code, minutes, speed_m_s)
        facilities = facilities if facilities is not None and facilities.type_code == w.type_code else None
        cover = shares.get(w.type_code, w.minutes)
        fca = capacity(session, community, facilities or stored_facilities(session, w.type_code), w.minutes,
                       speed_m_s, age_shares)
        out["capacity"] = fca
        # Across residential areas (buildings in none are left out): the coverage share weighted by
        # residents, and the 2SFCA score weighted by the group's people.
        out["equity"] = {"minutes": w.minutes,
                         "coverage_share": _equity_of(cover["by_residential_area"], "share", "residents_total"),
                         "fca_score": None if fca["no_capacity"] else _equity_of(fca["by_residential_area"],
                                                                                 "score", "demand")}
    out["checklist"] = checklist(session, shares)
    out["computed_at"], out["stale"] = shares.computed_at, shares.stale
    return out
