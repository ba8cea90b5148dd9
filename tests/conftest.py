"""One real PostGIS database per test session; each test runs in a transaction rolled back at the end."""
from __future__ import annotations

import os

import pytest
from flask import g, request_started
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker

from grid_app import create_app
from grid_app.platform import localdb
from grid_app.extensions import db
from grid_app.places.importer import import_files
from grid_app.platform.reference import seed_reference_data

from . import district


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    # One database per test process, so parallel runs on one machine never drop each other's, in the
    # tests' own throw-away cluster (not durable, for speed), apart from the app's durable one.
    cluster = localdb.for_tests()
    cluster.drop_stale_databases("grid_app_test_")
    return cluster.ensure_database(f"grid_app_test_{os.getpid()}", fresh=True)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The app on a fresh test database with the schema, reference data and the test district."""
    folder = tmp_path_factory.mktemp("district")
    app = create_app({
        "TESTING": True, "DATABASE_URL": _database_url(), "WTF_CSRF_ENABLED": False,
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")), "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "test",
        "GRID_APP_DEMO_REGISTER_PER_GRID": 3,  # a test's load-demo fills 3 buildings a grid, not 52,000 people
        "GRID_APP_DEMO_HISTORY_PER_MONTH": 1,  # and logs a case a community and month (+ each grid's open ones)
    })
    from grid_app.coverage import prepared
    prepared.disk_dir = str(tmp_path_factory.mktemp("network-cache"))  # this run's prepared networks, not instance/
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        import_files(db.session, district.write(folder), progress=False)
        _create_users(db.session)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()
    if not os.environ.get("TEST_DATABASE_URL"):
        localdb.for_tests().drop_database(f"grid_app_test_{os.getpid()}")


@pytest.fixture()
def session(app):
    """A session whose work is rolled back after the test (commits become savepoints)."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        # A plain SQLAlchemy Session: Flask-SQLAlchemy's own picks the engine and ignores `bind`.
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id)
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture()
def request_scoped_login(app, session):
    """Forget the logged-in user between requests, as production does.

    The `session` fixture keeps one app context pushed for the whole test and Flask reuses it for
    every request, so Flask-Login's cached g._login_user would carry one request's login into the next.
    """
    def forget(sender, **extra):
        g.pop("_login_user", None)
    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


@pytest.fixture()
def client(app, session, request_scoped_login):
    """A test client whose requests share the rolled-back session."""
    return app.test_client()


@pytest.fixture()
def cli(app, session):
    """A CLI runner inside the rolled-back session."""
    return app.test_cli_runner()


PASSWORD = "test-password-1"
USERS = {  # role key: (username, role, scope)
    "admin": ("t-admin", "admin", {}),
    "street": ("t-street", "street", {"street": district.STREET}),
    "secretary": ("t-secretary", "secretary", {"community": district.COMM_A}),
    "secretary_b": ("t-secretary-b", "secretary", {"community": district.COMM_B}),
    "worker": ("t-worker", "worker", {"grids": [district.GRID_A1]}),
    "worker_a2": ("t-worker-a2", "worker", {"grids": [district.GRID_A2]}),
    "planner": ("t-planner", "planner", {}),
    "api": ("t-api", "api", {}),
}


def _create_users(session) -> None:
    from grid_app.access.accounts import create_user
    for username, role, scope in USERS.values():
        create_user(session, username, PASSWORD, role, **scope)


@pytest.fixture()
def users(session):
    """One user per role, scoped on the test district (made once per session)."""
    from grid_app.models import User
    from sqlalchemy import select
    return {key: session.scalar(select(User).where(User.username == name))
            for key, (name, _, _) in USERS.items()}


@pytest.fixture()
def login(client, users):
    """login(role) logs the test client in as that role's user and returns the client."""
    def _login(role: str):
        client.post("/logout")
        res = client.post("/login", data={"username": users[role].username, "password": PASSWORD})
        assert res.status_code == 302, res.get_data(as_text=True)
        return client
    return _login


def pytest_collection_modifyitems(items):
    """Run the browser tests last: their live server commits cases that rolled-back tests must not see."""
    items.sort(key=lambda item: "/tests/browser/" in str(item.fspath))
