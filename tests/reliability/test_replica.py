"""A real primary and a real streaming replica: read-only requests go to the replica, writes and
a user's reads right after their own write go to the primary."""
from __future__ import annotations

import shutil
import time

import pytest
from flask_migrate import upgrade
from sqlalchemy import event

from grid_app import create_app
from grid_app.access.accounts import create_user, issue_token
from grid_app.extensions import db
from grid_app.places.importer import import_files
from grid_app.platform.localdb import Cluster
from grid_app.platform.reference import seed_reference_data

from .. import district
from ..geo import lonlat
from .test_db_outage import free_port, scratch_cluster_dir


@pytest.fixture(scope="module")
def clusters():
    """A primary, and a replica made from it with pg_basebackup, both on loopback."""
    primary = Cluster(scratch_cluster_dir("primary"), free_port())
    primary.start()
    primary.ensure_database("grid")
    replica = Cluster(scratch_cluster_dir("replica"), free_port())
    replica.init_replica_of(primary)
    replica.start()
    yield primary, replica
    for c in (replica, primary):
        c.stop("immediate")
        shutil.rmtree(c.base, ignore_errors=True)


@pytest.fixture(scope="module")
def routed(clusters, tmp_path_factory):
    """The app with DATABASE_REPLICA_URL, its data written on the primary and replayed on the replica."""
    primary, replica = clusters
    app = create_app({"DATABASE_URL": primary.url("grid"), "DATABASE_REPLICA_URL": replica.url("grid"),
                      "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "UPLOAD_DIR": str(tmp_path_factory.mktemp("up"))})
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        import_files(db.session, district.write(tmp_path_factory.mktemp("d")), progress=False)
        user = create_user(db.session, "rw-secretary", "replica-password", "secretary", community=district.COMM_A)
        token, _ = issue_token(db.session, user)
        db.session.commit()
        counts = {"primary": 0, "replica": 0}
        for name, engine in (("primary", db.engines[None]), ("replica", db.engines["replica"])):
            event.listen(engine, "before_cursor_execute",
                         lambda *a, _n=name, **k: counts.__setitem__(_n, counts[_n] + 1))
    wait_for_replay(replica, "SELECT count(*) FROM app_user WHERE username = 'rw-secretary'", "1")
    return app, token, counts


def wait_for_replay(replica: Cluster, sql: str, expected: str, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while replica.psql(sql, "grid").strip() != expected:
        if time.time() > deadline:
            raise AssertionError(f"replica did not replay: {sql}")
        time.sleep(0.2)


def reset(counts):
    counts.update(primary=0, replica=0)


def test_replica_is_a_read_only_standby(clusters):
    _, replica = clusters
    assert replica.psql("SELECT pg_is_in_recovery()", "grid").strip() == "t"


def test_read_only_requests_go_to_the_replica(routed):
    app, token, counts = routed
    client = app.test_client()
    reset(counts)
    res = client.get("/api/v1/indicators", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200
    assert counts["replica"] > 0 and counts["primary"] == 0
    reset(counts)
    assert client.get("/api/v1/cases/999", headers={"Authorization": f"Bearer {token}"}).status_code == 404
    assert counts["primary"] > 0 and counts["replica"] == 0  # one case: not on the replica list


def test_own_new_case_is_read_back_from_the_primary(clusters, routed):
    primary, replica = clusters
    app, token, counts = routed
    replica.psql("SELECT pg_wal_replay_pause()", "grid")  # make the replica lag on purpose
    try:
        browser = app.test_client()
        assert browser.post("/login", data={"username": "rw-secretary", "password": "replica-password"}).status_code == 302
        lon, lat = lonlat(100, 300)
        made = browser.post("/api/v1/cases", json={"category": "0101", "lon": lon, "lat": lat,
                                                   "description": "读写分离", "idempotency_key": "replica-test-0001"})
        assert made.status_code == 201
        case_id = made.get_json()["id"]
        reset(counts)
        mine = browser.get("/api/v1/cases?limit=500").get_json()
        assert case_id in [c["id"] for c in mine["cases"]] and counts["replica"] == 0
        # Another client, with no recent write, reads the lagging replica: the case is not there yet.
        other = app.test_client().get("/api/v1/cases?limit=500", headers={"Authorization": f"Bearer {token}"})
        assert case_id not in [c["id"] for c in other.get_json()["cases"]]
        forced = app.test_client().get("/api/v1/cases?limit=500", headers={
            "Authorization": f"Bearer {token}", "X-Read-Primary": "1"})
        assert case_id in [c["id"] for c in forced.get_json()["cases"]]
    finally:
        replica.psql("SELECT pg_wal_replay_resume()", "grid")
    wait_for_replay(replica, f"SELECT count(*) FROM case_record WHERE id = {case_id}", "1")
    later = app.test_client().get("/api/v1/cases?limit=500", headers={"Authorization": f"Bearer {token}"})
    assert case_id in [c["id"] for c in later.get_json()["cases"]]
