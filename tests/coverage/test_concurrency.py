"""Coverage under concurrency, on committed data in a database of its own (real threads, one
connection each): reads right after a data change, reads during the job's swap, coalescing
triggers under the advisory lock, and reads that never write."""
from __future__ import annotations

import os
import re
import threading

import pytest
from flask_migrate import upgrade
from shapely.geometry import Point
from sqlalchemy import event, select, text

from grid_app import create_app
from grid_app.platform import localdb
from grid_app.access.accounts import create_user, issue_token
from grid_app.coverage import refresh as job
from grid_app.extensions import db
from grid_app.places.importer import import_files
from grid_app.models import CoverageRun
from grid_app.network.store import read_network_file, replace_network
from grid_app.platform.reference import seed_reference_data

from .. import district as d
from ..cases.test_concurrency import run_threads
from ..geo import feature, lonlat, write_layer
from .test_coverage_service import SPEED, covered_layers, street_network

PREFIX = "grid_app_cov_"
# A health station that moves between two corners: B902 (80 residents) is 180 m from the first.
SPOTS = {"near": lonlat(750, 1000), "far": lonlat(0, 0)}
COVERAGE = f"/api/v1/coverage?community={d.COMM_B}&type=health_station&minutes=5"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """An app on a fresh database holding the district, a street grid and computed coverage."""
    localdb.drop_stale_databases(PREFIX)
    name = f"{PREFIX}{os.getpid()}"
    folder = tmp_path_factory.mktemp("cov-live")
    app = create_app({"DATABASE_URL": localdb.ensure_database(name, fresh=True), "TESTING": True,
                      "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "UPLOAD_DIR": str(tmp_path_factory.mktemp("up")), "WALK_SPEED_M_S": SPEED})
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        import_files(db.session, d.write(folder), progress=False)
        token, _ = issue_token(db.session, create_user(db.session, "cov-admin", "cov-password-1", "admin"))
        db.session.commit()
        replace_network(db.session, read_network_file(street_network(folder)), progress=False)
        import_files(db.session, covered_layers(folder), progress=False)
        job.refresh(db.session, SPEED)
        db.session.remove()
    app.config["test_token"] = token
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    localdb.drop_database(name)


def move_station(app, spot: str) -> None:
    """A committed data change: the moving health station goes to a spot (no coverage job run)."""
    path = write_layer(app.config["UPLOAD_DIR"] + f"/facilities-{spot}.geojson", [
        feature(Point(SPOTS[spot]), code="F-health-moving", name="流动卫生服务站",
                type_code="health_station", community_code=d.COMM_B)])
    with app.app_context():
        import_files(db.session, [path], level="facilities", progress=False)
        db.session.remove()


def recompute(app) -> job.RefreshReport:
    with app.app_context():
        try:
            return job.refresh(db.session, SPEED)
        finally:
            db.session.remove()


def get(app, url: str):
    return app.test_client().get(url, headers={"Authorization": f"Bearer {app.config['test_token']}"})


def figures(body: dict) -> dict:
    """The numbers of an answer (not its staleness flags)."""
    return {k: v for k, v in body.items() if k not in ("stale", "notices")}


@pytest.mark.parametrize("n", [6, 60])
def test_concurrent_reads_right_after_a_data_change_agree(live, n):
    move_station(live, "far")
    recompute(live)
    before = get(live, COVERAGE).get_json()
    move_station(live, "near")  # the first reads after this change used to recompute: 1 x 200, 5 x 500
    responses = run_threads(n, lambda i: get(live, COVERAGE))
    assert [r.status_code for r in responses] == [200] * n
    bodies = [r.get_json() for r in responses]
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["stale"] and figures(bodies[0]) == figures(before)  # the last complete result
    recompute(live)
    after = get(live, COVERAGE).get_json()
    assert not after["stale"] and after["residents_covered"] == before["residents_covered"] + 80


def test_reads_during_the_swap_see_one_complete_result(live):
    move_station(live, "near")
    recompute(live)
    old = figures(get(live, COVERAGE).get_json())
    move_station(live, "far")
    results = run_threads(41, lambda i: recompute(live) if i == 0 else get(live, COVERAGE))
    new = figures(get(live, COVERAGE).get_json())
    assert old["residents_covered"] == new["residents_covered"] + 80 and old["computed_at"] < new["computed_at"]
    for r in results[1:]:
        assert r.status_code == 200
        assert figures(r.get_json()) in (old, new)  # never a mix of the two result sets


def count_passes(monkeypatch) -> list[str]:
    """Record every type the job computes."""
    computed, real = [], job.store_type

    def counting(session, ftype, *args):
        computed.append(ftype.code)
        return real(session, ftype, *args)
    monkeypatch.setattr(job, "store_type", counting)
    return computed


def test_two_triggers_at_once_compute_once(live, monkeypatch):
    move_station(live, "near")
    computed = count_passes(monkeypatch)
    reports = run_threads(2, lambda i: recompute(live))
    with live.app_context():
        n_types = len(db.session.scalars(text("SELECT id FROM facility_type")).all())
        stamps = set(db.session.scalars(select(CoverageRun.data_versions)))
    assert sum(r.passes for r in reports) == 1 and len(computed) == n_types  # each type once
    assert len(stamps) == 1  # every type from the same data


def test_the_job_holds_an_advisory_lock_and_a_busy_trigger_returns(live, monkeypatch):
    move_station(live, "far")
    with live.app_context():
        holder = db.engine.connect()
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": job.LOCK_KEY})
        try:
            report = recompute(live)
            assert not report.ran and report.computed == []
            assert get(live, COVERAGE).get_json()["stale"]
        finally:
            holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": job.LOCK_KEY})
            holder.close()
    seen = []
    real = job.store_type

    def looking(session, ftype, *args):  # what another connection sees while the job works
        with live.app_context():
            with db.engine.connect() as other:
                seen.append(other.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND (classid::bigint << 32 | objid::bigint) = :k"), {"k": job.LOCK_KEY}).scalar())
        return real(session, ftype, *args)
    monkeypatch.setattr(job, "store_type", looking)
    assert recompute(live).passes == 1 and set(seen) == {1}
    assert not get(live, COVERAGE).get_json()["stale"]


def test_a_change_during_the_job_is_computed_by_the_running_job(live, monkeypatch):
    move_station(live, "near")
    started, go_on = threading.Event(), threading.Event()
    real = job.store_type

    def slow(session, ftype, *args):
        if not started.is_set():
            started.set()
            go_on.wait(30)
        return real(session, ftype, *args)
    monkeypatch.setattr(job, "store_type", slow)
    first = {}
    worker = threading.Thread(target=lambda: first.setdefault("report", recompute(live)))
    worker.start()
    assert started.wait(30)
    move_station(live, "far")  # committed while the job computes the older data
    second = recompute(live)
    go_on.set()
    worker.join(60)
    assert not second.ran  # coalesced into the running job ...
    assert first["report"].passes == 2  # ... which saw the change and ran once more
    body = get(live, COVERAGE).get_json()
    assert not body["stale"] and body["residents_covered"] == 0  # the far spot's result


def test_a_get_never_writes(live):
    move_station(live, "near")  # stale: the state in which reads used to recompute
    statements = []
    with live.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", record)
    try:
        urls = [COVERAGE, "/api/v1/isochrones?type=health_station&minutes=5",
                f"/communities/{d.COMM_B}/coverage?type=health_station", f"/communities/{d.COMM_B}/coverage",
                f"/tiles/coverage/16/54113/27134.pbf?type=health_station&community={d.COMM_B}",
                f"/api/v1/coverage?community={d.COMM_A}&type=market"]
        for url in urls:
            assert get(live, url).status_code == 200, url
    finally:
        event.remove(engine, "before_cursor_execute", record)
    writes = [s for s in statements if re.match(r"\s*(INSERT|UPDATE|DELETE|MERGE|CREATE|DROP|ALTER|TRUNCATE)", s, re.I)
              or "advisory" in s]
    assert statements and writes == []


def test_reads_run_in_a_read_only_transaction(live):
    """The service's read path, in a READ ONLY transaction: any write would raise."""
    from grid_app.coverage import service as coverage_service
    from grid_app.places.hierarchy import community_by_code
    from grid_app.maps import coverage_view
    from grid_app.maps.providers import Provider
    from grid_app.platform.i18n import translator
    move_station(live, "far")
    with live.test_request_context("/?lang=zh"):
        db.session.connection(execution_options={"postgresql_readonly": True})
        try:
            assert db.session.scalar(text("SHOW transaction_read_only")) == "on"
            community = community_by_code(db.session, d.COMM_B)
            found = coverage_service.view(db.session, community, "health_station", 5, SPEED)
            assert found.summary["stale"]
            coverage_service.isochrones_geojson(db.session, "health_station", 5, SPEED, d.COMM_B)
            market = coverage_service.view(db.session, community, "market", None, SPEED)
            built = coverage_view.build(db.session, community, market, Provider("none"), gettext=translator("zh"),
                                        lang="zh", embed_limit=10**6)
            assert market.summary["no_facilities"] and built.uncovered == 0
        finally:
            db.session.rollback()
            db.session.remove()
