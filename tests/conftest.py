"""One real PostGIS database per test session; each test runs in a transaction rolled back at the end."""
from __future__ import annotations

import os

import pytest
from flask_migrate import upgrade

from grid_app import create_app, localdb
from grid_app.extensions import db
from grid_app.importer import import_files
from grid_app.reference import seed_reference_data

from . import district


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return localdb.ensure_database("grid_app_test", fresh=True)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The app on a fresh test database with the schema, reference data and the test district."""
    folder = tmp_path_factory.mktemp("district")
    app = create_app({
        "TESTING": True, "DATABASE_URL": _database_url(), "WTF_CSRF_ENABLED": False,
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")), "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "test",
    })
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        import_files(db.session, district.write(folder), progress=False)
    return app


@pytest.fixture()
def session(app):
    """A session whose work is rolled back after the test (commits become savepoints)."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint"})
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture()
def client(app, session):
    """A test client whose requests share the rolled-back session."""
    return app.test_client()


@pytest.fixture()
def cli(app, session):
    """A CLI runner inside the rolled-back session."""
    return app.test_cli_runner()
