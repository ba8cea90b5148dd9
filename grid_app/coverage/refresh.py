"""The coverage job: after the network, buildings or facilities change, recompute every facility type.

One job at a time per database, under a PostgreSQL advisory lock. Triggers coalesce: a trigger
that finds the job running returns at once, and the running job reads the data versions again
after each pass, so the last change is always computed. A pass writes every stale type in one
transaction, so readers see the previous complete result set or the new one, never a mix.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from grid_app.coverage import service as cs
from grid_app.coverage.graph import snap
from grid_app.coverage.isochrones import DEFAULT_BUFFER_M
from grid_app.coverage.prepared import MAX_ACCESS_M, ensure_faces, facility_points, prepared_network
from grid_app.maps import tile_seed
from grid_app.models import CoverageResult, CoverageRun, FacilityType

LOCK_KEY = 0x6772_6964_636F_76  # "gridcov": the coverage job's advisory lock in this database
MAX_PASSES = 5  # data changing faster than this many passes is left stale (and says so) for the next run
BATCH = 5000


@dataclass
class RefreshReport:
    """What one trigger did: whether it ran the job, the passes and the types computed."""

    ran: bool = False  # False: another process holds the lock and will include this change
    passes: int = 0
    computed: list[dict] = field(default_factory=list)
    no_network: bool = False
    stale_left: bool = False  # still stale after MAX_PASSES (data kept changing)
    tiles_seeded: int = 0  # crowded overview tiles rendered ahead (maps/tile_seed.py)


def try_lock(session: Session) -> bool:
    """Take the job's lock for the current transaction, or False when another job holds it."""
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY))))


def refresh(session: Session, speed_m_s: float, *, type_codes: list[str] | None = None,
            force: bool = False, tiles_gcj02: bool = False) -> RefreshReport:
    """Recompute the types whose stored results are older than the data (all of them with force).

    Commits the caller's transaction first: call it after the data change, never inside a request.
    `tiles_gcj02`: the base map is drawn in GCJ-02, so the tiles rendered ahead are shifted to it."""
    report = RefreshReport()
    session.commit()
    for _ in range(MAX_PASSES):
        if not try_lock(session):
            session.commit()
            return report
        report.ran = True
        current = cs.stamp(session, speed_m_s)
        query = select(FacilityType).order_by(FacilityType.id)
        if type_codes:
            query = query.where(FacilityType.code.in_(type_codes))
        stored = dict(session.execute(select(CoverageRun.facility_type_id, CoverageRun.data_versions)).all())
        stale = [t for t in session.scalars(query) if force or stored.get(t.id) != current]
        if not stale:
            session.commit()
            return report
        if not cs.has_network(session):
            session.commit()
            report.no_network = True
            return report
        for ftype in stale:
            report.computed.append(store_type(session, ftype, speed_m_s, current))
        report.tiles_seeded = tile_seed.seed(session, speed_m_s, gcj02=tiles_gcj02)  # the crowded overviews of the new results
        session.commit()  # the swap: every type of this pass and its tiles at once; releases the lock
        report.passes += 1
        # The isochrones' block index (half a minute at a million edges) is built and stored here, after
        # the figures are out, so no user's first isochrone request waits for it.
        ensure_faces(prepared_network(session), DEFAULT_BUFFER_M, cs.QUAD_SEGS)
        force = False
    report.stale_left = True
    return report


def store_type(session: Session, ftype: FacilityType, speed_m_s: float, data_stamp: str) -> dict:
    """Compute and write every home's distance to the nearest facility of the type (no commit)."""
    started = time.perf_counter()
    net = prepared_network(session)
    xy = facility_points(session, ftype.id)
    fac_snaps = snap(net.graph, xy, MAX_ACCESS_M)
    unsnapped = ~net.homes.snaps.snapped
    if len(xy):
        dist = net.prepared.distances(fac_snaps, cs.limit_m(speed_m_s))
        status = np.where(unsnapped, "unsnapped", np.where(np.isfinite(dist), "ok", "beyond"))
    else:  # say so per home instead of calling every home "beyond"
        dist = np.full(len(unsnapped), np.inf)
        status = np.where(unsnapped, "unsnapped", "nofacility")
    session.execute(delete(CoverageResult).where(CoverageResult.facility_type_id == ftype.id))
    rows = [{"building_id": int(b), "facility_type_id": ftype.id,
             "distance_m": float(d) if np.isfinite(d) else None, "status": str(s)}
            for b, d, s in zip(net.homes.building_id, dist, status)]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(CoverageResult.__table__), rows[start:start + BATCH])
    seconds = time.perf_counter() - started
    run = {"facility_type_id": ftype.id, "computed_at": func.now(), "limit_m": cs.limit_m(speed_m_s),
           "data_versions": data_stamp, "seconds": seconds}
    stmt = insert(CoverageRun.__table__).values(run)
    session.execute(stmt.on_conflict_do_update(index_elements=["facility_type_id"],
                                               set_={k: stmt.excluded[k] for k in run if k != "facility_type_id"}))
    return {"type": ftype.code, "homes": len(rows), "facilities": int(len(xy)),
            "facilities_unsnapped": int((~fac_snaps.snapped).sum()),
            "homes_unsnapped": int(unsnapped.sum()), "seconds": round(seconds, 3)}


def describe(report: RefreshReport) -> list[str]:
    """Lines for a command's output."""
    if not report.ran:
        return ["coverage: another coverage job is running; it will include this change"]
    if report.no_network:
        return ["coverage: no walking network stored yet; run flask grid import-network"]
    lines = [f"coverage {r['type']}: {r['homes']} homes, {r['facilities']} facilities"
             + (" (no facilities of this type)" if not r["facilities"] else "")
             + f", {r['homes_unsnapped']} homes off the network, {r['seconds']} s" for r in report.computed]
    if not report.computed:
        lines.append("coverage: up to date")
    if report.tiles_seeded:
        lines.append(f"coverage: {report.tiles_seeded} crowded overview tiles rendered ahead")
    if report.stale_left:
        lines.append("coverage: the data kept changing; run flask grid coverage again")
    return lines
