"""PostgreSQL stops and restarts while cases are being logged: clean 503s, recovery, nothing lost."""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.serving import make_server

from grid_app import create_app
from grid_app.access.accounts import create_user, issue_token
from grid_app.extensions import db
from grid_app.places.importer import import_files
from grid_app.platform import localdb
from grid_app.platform.localdb import Cluster
from grid_app.models import Case
from grid_app.platform.reference import seed_reference_data

from .. import district
from ..geo import lonlat


def scratch_cluster_dir(name: str) -> str:
    """A folder for a throw-away cluster under instance/ (pytest's tmp folders are private to root)."""
    return os.path.join(localdb.ROOT, "instance", "scratch-clusters", f"{name}-{os.getpid()}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def own_cluster():
    """A PostgreSQL cluster of this module's own, so stopping it disturbs no other test."""
    cluster = Cluster(scratch_cluster_dir("outage"), free_port())
    cluster.start()
    yield cluster
    cluster.stop("immediate")
    shutil.rmtree(cluster.base, ignore_errors=True)


@pytest.fixture(scope="module")
def served(own_cluster, tmp_path_factory):
    """The app on the own cluster, served on loopback, with a worker's bearer token."""
    app = create_app({"DATABASE_URL": own_cluster.ensure_database("outage"), "SECRET_KEY": "x",
                      "UPLOAD_DIR": str(tmp_path_factory.mktemp("up")), "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        import_files(db.session, district.write(tmp_path_factory.mktemp("d")), progress=False)
        user = create_user(db.session, "outage-worker", "outage-password", "worker", grids=[district.GRID_A1])
        token, _ = issue_token(db.session, user)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{server.server_port}", token
    server.shutdown()


def post_case(base: str, token: str, key: str) -> requests.Response:
    lon, lat = lonlat(100, 300)
    return requests.post(f"{base}/api/v1/cases", timeout=20, headers={"Authorization": f"Bearer {token}"},
                         json={"category": "0101", "lon": lon, "lat": lat, "description": "断库测试",
                               "idempotency_key": key})


def test_outage_gives_503_then_recovers_and_loses_nothing(own_cluster, served):
    app, base, token = served
    answers: list[tuple[str, int, dict]] = []
    stop = threading.Event()

    def logger():
        while not stop.is_set():
            key = str(uuid.uuid4())
            res = post_case(base, token, key)
            answers.append((key, res.status_code, res.json()))
            time.sleep(0.02)

    thread = threading.Thread(target=logger)
    thread.start()
    time.sleep(1.5)
    own_cluster.stop("fast")
    time.sleep(2.0)
    ready = requests.get(f"{base}/readyz", timeout=10)
    own_cluster.start()
    time.sleep(2.0)
    stop.set()
    thread.join(30)

    statuses = [s for _, s, _ in answers]
    assert ready.status_code == 503 and ready.json()["error"] == "database_unavailable"
    assert 503 in statuses, "the outage was not seen"
    assert set(statuses) <= {201, 503}, statuses  # never a 500
    assert all(body["error"] == "database_unavailable" and body["message"]
               for _, s, body in answers if s == 503)
    assert statuses[-1] == 201, "the app did not recover by itself"
    assert requests.get(f"{base}/readyz", timeout=10).status_code == 200

    # Clients retry what failed, with the same keys: no duplicates, nothing answered 201 is lost.
    failed = [k for k, s, _ in answers if s != 201]
    retried = {k: post_case(base, token, k).status_code for k in failed}
    assert set(retried.values()) <= {200, 201}
    again = {k: post_case(base, token, k).status_code for k in failed[:5]}
    assert set(again.values()) <= {200}
    with app.app_context():
        keys = [k for k, _, _ in answers]
        stored = db.session.scalars(select(Case.idempotency_key).where(Case.idempotency_key.in_(keys))).all()
        assert sorted(stored) == sorted(keys)  # every key exactly once
        assert db.session.scalar(select(func.count(Case.id))) == len(keys)
