"""Coverage reads on a real hot standby: the API, isochrones, the coverage page and tiles answer
from the read-only replica (a write there would fail), while the primary sees no statement."""
from __future__ import annotations

import shutil

import pytest
from flask_migrate import upgrade
from sqlalchemy import event

from grid_app import create_app
from grid_app.access.accounts import create_user, issue_token
from grid_app.coverage.refresh import refresh
from grid_app.extensions import db
from grid_app.places.importer import import_files
from grid_app.platform.localdb import Cluster
from grid_app.network.store import read_network_file, replace_network
from grid_app.platform.reference import seed_reference_data

from .. import district as d
from ..reliability.test_db_outage import free_port, scratch_cluster_dir
from ..reliability.test_replica import wait_for_replay
from .test_coverage_service import SPEED, covered_layers, street_network


@pytest.fixture(scope="module")
def routed(tmp_path_factory):
    """Primary and streaming replica; the app routes read-only requests to the replica."""
    primary = Cluster(scratch_cluster_dir("cov-primary"), free_port())
    primary.start()
    replica = None
    try:
        primary.ensure_database("grid")
        replica = Cluster(scratch_cluster_dir("cov-replica"), free_port())
        replica.init_replica_of(primary)
        replica.start()
        folder = tmp_path_factory.mktemp("cov-replica")
        app = create_app({"DATABASE_URL": primary.url("grid"), "DATABASE_REPLICA_URL": replica.url("grid"),
                          "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                          "UPLOAD_DIR": str(tmp_path_factory.mktemp("up")), "WALK_SPEED_M_S": SPEED})
        with app.app_context():
            upgrade()
            seed_reference_data(db.session)
            import_files(db.session, d.write(folder), progress=False)
            token, _ = issue_token(db.session, create_user(db.session, "cov-reader", "cov-password-1", "admin"))
            db.session.commit()
            replace_network(db.session, read_network_file(street_network(folder)), progress=False)
            import_files(db.session, covered_layers(folder), progress=False)
            refresh(db.session, SPEED)
            counts = {"primary": 0, "replica": 0}
            for name, engine in (("primary", db.engines[None]), ("replica", db.engines["replica"])):
                event.listen(engine, "before_cursor_execute",
                             lambda *a, _n=name, **k: counts.__setitem__(_n, counts[_n] + 1))
        wait_for_replay(replica, "SELECT count(*) > 0 FROM coverage_run", "t")
        yield app, token, counts
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
    finally:
        for c in (replica, primary):
            if c is not None:
                c.stop("immediate")
                shutil.rmtree(c.base, ignore_errors=True)


@pytest.mark.parametrize("url", [
    f"/api/v1/coverage?community={d.COMM_A}&type=health_station",
    f"/api/v1/coverage?community={d.COMM_A}&type=market",
    "/api/v1/isochrones?type=health_station&minutes=5",
    f"/communities/{d.COMM_A}/coverage?type=health_station",
    f"/tiles/coverage/16/54113/27134.pbf?type=health_station&community={d.COMM_A}",
])
def test_coverage_reads_are_served_by_the_replica(routed, url):
    app, token, counts = routed
    counts.update(primary=0, replica=0)
    res = app.test_client().get(url, headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    assert counts["replica"] > 0 and counts["primary"] == 0
    if url.startswith("/api/v1/coverage"):
        assert res.get_json()["stale"] is False
