"""The app's local cluster keeps PostgreSQL's durable defaults; only the tests' own cluster opts out."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from grid_app.platform import localdb
from grid_app.platform.localdb import Cluster

from .test_db_outage import free_port, scratch_cluster_dir

# What grid_app.platform.localdb wrote into every cluster's postgresql.conf before the app's cluster was durable.
LEGACY_SETTINGS = "\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"


@pytest.fixture(scope="module")
def app_like():
    """A scratch cluster standing in for instance/pg: the env vars dev.sh demo's start would honour."""
    cluster = Cluster(scratch_cluster_dir("durable"), free_port())
    env = {**os.environ, "GRID_APP_PGDATA": str(cluster.base), "GRID_APP_PGPORT": str(cluster.port)}
    yield cluster, env
    cluster.stop("immediate")
    shutil.rmtree(cluster.base, ignore_errors=True)


def start_like_dev_sh_demo(env) -> None:
    """What `scripts/dev.sh demo` runs to get the app's database."""
    subprocess.run([sys.executable, "-m", "grid_app.platform.localdb", "start", "grid_app"], env=env, check=True,
                   capture_output=True, timeout=120, cwd=localdb.ROOT)


def show(cluster: Cluster, name: str) -> str:
    return cluster.psql(f"SHOW {name}").strip()


def test_app_cluster_made_by_an_older_version_comes_back_durable(app_like):
    cluster, env = app_like
    cluster.init()
    with open(cluster.data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(LEGACY_SETTINGS)
    start_like_dev_sh_demo(env)
    assert {name: show(cluster, name) for name in localdb.DURABILITY} == {
        "fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
    assert show(cluster, "synchronous_commit") == "on"
    assert cluster.psql("SELECT 1 FROM pg_database WHERE datname = 'grid_app'").strip() == "1"


def test_running_cluster_without_fsync_is_made_durable_without_a_restart(app_like):
    cluster, env = app_like
    # A throw-away cluster opts out explicitly, as the tests' own cluster does.
    Cluster(cluster.base, cluster.port, durable=False).start()
    assert show(cluster, "fsync") == "off" and show(cluster, "full_page_writes") == "off"
    started = cluster.psql("SELECT pg_postmaster_start_time()")
    start_like_dev_sh_demo(env)
    assert show(cluster, "fsync") == "on" and show(cluster, "synchronous_commit") == "on"
    assert cluster.psql("SELECT pg_postmaster_start_time()") == started


def test_db_status_reports_durability(app_like):
    cluster, env = app_like
    start_like_dev_sh_demo(env)
    cluster.psql("CREATE EXTENSION IF NOT EXISTS postgis", "grid_app")  # db-status reports its version
    res = subprocess.run([os.path.join(os.path.dirname(sys.executable), "flask"), "grid", "db-status"],
                         env={**env, "FLASK_APP": "grid_app", "DATABASE_URL": cluster.url("grid_app")},
                         capture_output=True, text=True, timeout=120, cwd=localdb.ROOT)
    assert res.returncode == 0, res.stderr
    assert "durability: fsync = on, synchronous_commit = on, full_page_writes = on" in res.stdout
    assert "not durable" not in res.stderr


def test_the_tests_own_cluster_is_separate_and_the_only_one_not_durable():
    app_cluster, test_cluster = localdb.default(), localdb.for_tests()
    assert app_cluster.durable and not test_cluster.durable
    assert app_cluster.data != test_cluster.data and app_cluster.port != test_cluster.port
