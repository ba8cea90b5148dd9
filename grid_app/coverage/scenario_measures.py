"""A scenario's planners' measures next to today's: the checklist rows of its type, equity, 2SFCA.

Both sides go through measures(): today on the stored facilities at the default walking speed, the
scenario on the changed facility set (stored ones minus the closed, plus the planned with their
capacities) at the scenario's speed; at today's speed only the type's checklist rows are recomputed and
the others taken from today's. Nothing is written.
"""
from __future__ import annotations

import threading
import time
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from grid_app.coverage import scenario
from grid_app.coverage.measures import FacilitySet, clear_kept, kept_snaps, measures, stored_facilities
from grid_app.coverage.measures_data import DataState, data_state, url_of
from grid_app.coverage.prepared import PreparedNetwork, prepared_network
from grid_app.coverage.scenario_input import Changes
from grid_app.models import Community


TODAY_TTL_S = 60.0  # today's side is reused for a burst of clicks; the register has no data version, so short
_lock = threading.Lock()
_today: dict = {}


def _today_measures(session: Session, community: Community, type_code: str, minutes: float, speed: float,
                    age_shares: dict[str, float], net: PreparedNetwork, state: DataState) -> dict:
    """measures() on the stored facilities, kept TODAY_TTL_S per data version and reference rows (state.key),
    community, type and walk."""
    key = (url_of(session), net.stamp, state.key, speed, date.today(), community.id,
           type_code, minutes, tuple(sorted(age_shares.items())))
    now = time.monotonic()
    with _lock:
        hit = _today.get(key)
        if hit and now - hit[0] < TODAY_TTL_S:
            return hit[1]
    body = measures(session, community, speed, age_shares, type_code, minutes, net=net, state=state)
    with _lock:
        for k in [k for k, (t, _) in _today.items() if now - t >= TODAY_TTL_S]:
            del _today[k]
        _today[key] = (now, body)
    return body


def clear_today() -> None:
    """Forget today's kept measures and everything measures keep (a benchmark's cold run)."""
    with _lock:
        _today.clear()
        _stored.clear()
    clear_kept()


_stored: dict = {}


def kept_facilities(session: Session, type_code: str, stamp: str) -> FacilitySet:
    """stored_facilities of a type, read once per data version (stamp: one that has the facilities' version)."""
    key = (url_of(session), stamp, type_code)
    with _lock:
        found = _stored.get(key)
    if found is None:
        found = stored_facilities(session, type_code)
        with _lock:
            for k in [k for k in _stored if k[:2] != key[:2]]:  # older data versions are never asked again
                del _stored[k]
            _stored[key] = found
    return found


def changed_facilities(session: Session, changes: Changes, stamp: str | None = None) -> FacilitySet:
    """Today's facilities of the type without the closed ones, plus the planned sites (id -1).

    stamp: one with the facilities' version (service.stamp, DataState.key) when the caller has read
    it: today's set is then kept per data version."""
    now = (stored_facilities(session, changes.walk.type_code) if stamp is None
           else kept_facilities(session, changes.walk.type_code, stamp))
    keep = ~np.isin(now.ids, np.array(changes.remove, dtype=np.int64))
    added = np.array([(s.lon, s.lat) for s in changes.add], dtype=np.float64).reshape(-1, 2)
    capacity = np.array([np.nan if s.capacity is None else s.capacity for s in changes.add], dtype=np.float64)
    return FacilitySet(now.type_code, np.vstack([now.lonlat[keep], added]),
                       np.concatenate([now.capacity[keep], capacity]),
                       np.concatenate([now.ids[keep], np.full(len(changes.add), -1, dtype=np.int64)]))


def _scenario_distances(session: Session, net: PreparedNetwork, state: DataState, changes: Changes,
                        default_speed: float) -> tuple[float, np.ndarray] | None:
    """Every home's metres to the changed set, exact up to the scenario's walk, as evaluate computes them
    when that is one pass from the planned sites only (today's distances kept per data version); None
    when a facility closes or the walk outruns today's, where evaluate walks from every facility left
    and the measures' own pass from the facilities near the community is the cheaper one."""
    now = scenario.today(session, net, changes.walk.type_id, default_speed, state.stamp(scenario.DATASETS))
    if changes.remove or changes.walk.threshold_m > now.limit_m:
        return None
    added = kept_snaps(session, net, np.array([(s.lon, s.lat) for s in changes.add], dtype=np.float64))
    return changes.walk.threshold_m, scenario.scenario_distances(net, now, changes, added)


def _rows(body: dict, type_code: str) -> dict:
    """The checklist rows of one type, keyed by level minutes."""
    return {lv["minutes"]: item for lv in body["checklist"]["levels"] for item in lv["items"]
            if item["type"] == type_code}


def _with_rows(today: dict, rows: dict, type_code: str) -> dict:
    """Today's checklist with the rows of type_code taken from `rows` (a checklist of that type alone)."""
    mine = {(lv["minutes"], item["standard_item"]): item for lv in rows["levels"] for item in lv["items"]}
    levels = []
    for lv in today["levels"]:
        items = [mine.get((lv["minutes"], item["standard_item"]), item) if item["type"] == type_code else item
                 for item in lv["items"]]
        levels.append({**lv, "items": items, "met": sum(i["meets"] for i in items)})
    return {"levels": levels, "met": sum(lv["met"] for lv in levels), "items": sum(len(lv["items"]) for lv in levels)}


def _equity(body: dict) -> dict:
    eq = body.get("equity") or {}
    return {k: (None if eq.get(k) is None else {"gini": eq[k]["gini"], "bottom20_share": eq[k]["bottom20_share"]})
            for k in ("coverage_share", "fca_score")}


def compare(session: Session, community: Community, changes: Changes, default_speed: float,
            age_shares: dict[str, float]) -> dict:
    """Today's and the scenario's measures for the scenario's type, and the rows that move (before → after)."""
    started = time.perf_counter()
    w = changes.walk
    # Read once for both sides: the network, and the data versions with the reference rows (two statements).
    net, state = prepared_network(session), data_state(session)
    before = _today_measures(session, community, w.type_code, w.minutes, default_speed, age_shares, net, state)
    # At today's speed only the type's checklist rows can move: the others are today's.
    same_speed = w.speed_m_s == default_speed
    after = measures(session, community, w.speed_m_s, age_shares, w.type_code, w.minutes,
                     facilities=changed_facilities(session, changes, state.key), checklist_type_only=same_speed,
                     net=net, state=state, by_building=False,
                     distances=_scenario_distances(session, net, state, changes, default_speed))
    if same_speed:
        after = {**after, "checklist": _with_rows(before["checklist"], after["checklist"], w.type_code),
                 "computed_at": before["computed_at"], "stale": before["stale"]}
    rows0, rows1 = _rows(before, w.type_code), _rows(after, w.type_code)
    checklist = [{"minutes": m, "standard_item": rows1[m]["standard_item"], "min_share": rows1[m]["min_share"],
                  "share_today": rows0[m]["share"], "meets_today": rows0[m]["meets"],
                  "share": rows1[m]["share"], "meets": rows1[m]["meets"]}
                 for m in sorted(rows1) if m in rows0]
    cap0, cap1 = before["capacity"], after["capacity"]
    return {
        "type": w.type_code,
        "checklist": checklist,
        "met_today": before["checklist"]["met"], "met": after["checklist"]["met"],
        "items": after["checklist"]["items"],
        "equity_today": _equity(before), "equity": _equity(after),
        "fca_score_today": cap0["score"], "fca_score": cap1["score"],
        "capacity_total_today": cap0["capacity_total"], "capacity_total": cap1["capacity_total"],
        "no_capacity": cap1["no_capacity"] and cap0["no_capacity"],
        # the scenario's whole body, for window.gridMeasures.render (its per-building list left out: the
        # panel shows areas, and a large community's list would dwarf the answer)
        "scenario": after,
        "seconds": round(time.perf_counter() - started, 4),
    }
