"""The city pipeline: schema, the demo as tile 0, tiles in SQL, cases with COPY, statistics, coverage."""
from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from flask_migrate import upgrade
from sqlalchemy import text

from grid_app import create_app
from grid_app.demo_data.city import cases as synth
from grid_app.demo_data.city import copy as bulk
from grid_app.demo_data.city import tiles
from grid_app.extensions import db

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DEMO_FOLDER = os.path.join(ROOT, "geodata", "demo")
DEMO_LAYERS = ("streets", "communities", "grids", "residential_areas", "buildings", "facilities")
# Full size: 165 tiles of the demo (6 communities, 29 grids, 1,825 buildings, ~7,000 edges each).
FULL_TILES = 165
FULL_CASES = 5_000_000
FULL = {"tiles": FULL_TILES, "cases": FULL_CASES, "years": 5.0}
CHUNK = 200_000


@dataclass(frozen=True)
class Plan:
    """How big a city to build."""

    tiles: int
    cases: int
    years: float


def plan(scale: float, cases: int | None = None, years: float = 5.0, tiles_: int | None = None) -> Plan:
    """Tiles and cases for a scale in (0, 1] (1: the full city); at least 2 tiles unless `tiles_` says
    otherwise (1: the demo district alone, at the city's case density, as the benchmark's baseline)."""
    if not 0 < scale <= 1:
        raise ValueError("scale must be in (0, 1]")
    n_tiles = tiles_ if tiles_ is not None else max(2, math.ceil(FULL_TILES * scale))
    n_cases = cases if cases is not None else int(round(FULL_CASES * n_tiles / FULL_TILES))
    return Plan(n_tiles, n_cases, years)


def build_city(url: str, scale: float = 1.0, *, seed: int = 17, cases: int | None = None, years: float = 5.0,
               coverage: bool = True, verbose: bool = True, tiles_: int | None = None) -> dict:
    """Build the city into the empty database at `url`; returns counts, seconds per step and size."""
    p = plan(scale, cases, years, tiles_)
    log = _logger(verbose)
    timings: dict[str, float] = {}
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "city-generator", "RATELIMIT_ENABLED": False})
    with app.app_context():
        t = time.time()
        _template(app, log)
        timings["template_s"] = time.time() - t
        t = time.time()
        with db.engine.begin() as conn:
            tiles.tile_table(conn, p.tiles)
            log(f"copying the hierarchy to {p.tiles - 1} more tiles")
            tiles.copy_hierarchy(conn, log)
            log("copying the walking network")
            tiles.copy_network(conn, log)
            tiles.add_staff(conn)
            for name in ("streets", "communities", "grids", "residential_areas", "buildings", "facilities",
                         "network", "hierarchy"):
                conn.execute(text("INSERT INTO dataset_version (name, version, changed_at) VALUES (:n, 1, now()) "
                                  "ON CONFLICT (name) DO UPDATE SET version = dataset_version.version + 1, "
                                  "changed_at = now()"), {"n": name})
        timings["tiles_s"] = time.time() - t
        t = time.time()
        _cases(p, seed, log)
        timings["cases_s"] = time.time() - t
        t = time.time()
        log("counting cases per grid and month (COPY ran with triggers off)")
        from grid_app.cases import case_stats
        case_stats.rebuild(db.session)
        db.session.commit()
        timings["case_stats_s"] = time.time() - t
        t = time.time()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("case_record", "case_event", "case_stats", "building", "grid", "network_edge", "network_node"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
        timings["analyze_s"] = time.time() - t
        if coverage:
            t = time.time()
            log("coverage job (all facility types)")
            from grid_app.coverage.refresh import refresh
            refresh(db.session, app.config["WALK_SPEED_M_S"], force=True)
            timings["coverage_s"] = time.time() - t
        figures = counts(db.session)
        db.engine.dispose()
    figures.update({k: round(v, 1) for k, v in timings.items()})
    figures["scale"] = scale
    return figures


def _template(app, log) -> None:
    """Schema by the app's migrations, code lists, the demo's layers and network as tile 0, demo logins."""
    from grid_app.demo_data.load import create_demo_users
    from grid_app.network.store import read_network_file, replace_network
    from grid_app.places.importer import import_files
    from grid_app.platform.reference import seed_reference_data
    upgrade()
    if db.session.scalar(text("SELECT count(*) FROM street")):
        raise RuntimeError("the database already holds streets: the city is built into an empty database")
    seed_reference_data(db.session)
    log("importing the demo district as tile 0")
    import_files(db.session, [os.path.join(DEMO_FOLDER, f"{layer}.geojson") for layer in DEMO_LAYERS],
                 progress=False, commit=False)
    replace_network(db.session, read_network_file(os.path.join(DEMO_FOLDER, "network.geojson")),
                    progress=False, commit=False)
    create_demo_users(db.session, app.config["GRID_APP_DEMO_PASSWORD"])
    db.session.commit()


def _cases(p: Plan, seed: int, log) -> None:
    """Synthesise p.cases cases in chunks and COPY them with their events; sequences moved past them."""
    from grid_app.cases import clock
    rng = np.random.default_rng(seed)
    now = clock.now().timestamp()
    with db.engine.connect() as conn:
        places = bulk.read_places(conn)
        cats = bulk.read_categories(conn)
        first = conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM case_record")).scalar()
    log(f"{len(places.building)} buildings for cases, {len(cats.id)} categories")
    t0 = synth.created_times(rng, p.cases, now, p.years)
    raw = db.engine.raw_connection()
    try:
        with raw.cursor() as cur:
            # Bulk load: no per-row foreign-key checks or triggers (ids were read from this database, the
            # street code is written, not looked up); needs a superuser, as the tests' cluster's owner is.
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cur.fetchone()[0]:
                cur.execute("SET session_replication_role = replica")
        n_events = 0
        for start in range(0, p.cases, CHUNK):
            chunk = t0[start:start + CHUNK]
            cases, events = synth.synthesise(rng, chunk, places, cats, now, first + start)
            frame = bulk.case_frame(cases, places, cats, rng)
            bulk.copy_frame(raw, "case_record", frame)
            street = pd.Series(frame["street_code"].to_numpy(), index=frame["id"].to_numpy())
            bulk.copy_frame(raw, "case_event", bulk.event_frame(events, street))
            raw.commit()
            n_events += len(events["case_id"])
            log(f"  cases {start + len(chunk):,}/{p.cases:,}, events {n_events:,}")
        with raw.cursor() as cur:
            cur.execute("SELECT setval(pg_get_serial_sequence('case_record', 'id'), "
                        "(SELECT coalesce(max(id), 1) FROM case_record))")
        raw.commit()
    finally:
        raw.rollback()
        with raw.cursor() as cur:
            cur.execute("RESET session_replication_role")  # the connection goes back to the pool
        raw.commit()
        raw.close()


def counts(session) -> dict:
    """Rows per table that matters for scale, and the database's size."""
    out = {}
    for table in ("street", "community", "grid", "residential_area", "building", "facility", "network_node",
                  "network_edge", "app_user", "case_record", "case_event"):
        out[table] = session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    out["open_cases"] = session.execute(text(
        "SELECT count(*) FROM case_record WHERE state IN "
        "('collected', 'registered', 'dispatched', 'handling', 'reported')")).scalar()
    out["overdue_cases"] = session.execute(text(
        "SELECT count(*) FROM case_record WHERE state IN "
        "('collected', 'registered', 'dispatched', 'handling', 'reported') AND deadline < now()")).scalar()
    out["db_size"] = session.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
    out["db_bytes"] = session.execute(text("SELECT pg_database_size(current_database())")).scalar()
    return out


def _logger(verbose: bool) -> Callable[[str], None]:
    """Print a message with the seconds since the start to stderr, or do nothing."""
    t0 = time.time()

    def log(msg: str) -> None:
        if verbose:
            print(f"[{time.time() - t0:7.1f}s] {msg}", file=sys.stderr, flush=True)
    return log
