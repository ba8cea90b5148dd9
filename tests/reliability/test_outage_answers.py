"""The database drops mid-request (a restart, a crash): the answer is a clean 503 or the request's own, never 500."""
from __future__ import annotations

import psycopg2
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from grid_app.access import accounts
from grid_app.extensions import db

from .. import district


def test_outage_page_for_a_logged_in_user_is_503(login, monkeypatch):
    client = login("secretary")

    def database_gone(*args, **kwargs):
        raise OperationalError("SELECT ...", {}, psycopg2.OperationalError("server closed the connection unexpectedly"))

    # Loading the session's user is the first query of every page: the error page's layout asks again.
    monkeypatch.setattr(accounts, "user_for_session", database_gone)
    res = client.get(f"/communities/{district.COMM_A}")
    assert res.status_code == 503
    assert "database_unavailable" not in res.get_data(as_text=True)  # a page, not the JSON body
    api = client.get("/api/v1/cases")
    assert api.status_code == 503 and api.get_json()["error"] == "database_unavailable"


def test_closing_a_session_whose_connection_the_server_ended_does_not_raise(app):
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()  # a transaction is now open
        with db.engine.connect() as other:
            assert other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
        db.session.remove()  # what Flask-SQLAlchemy does at the end of every request
        assert db.session.execute(text("SELECT 1")).scalar() == 1  # the next request gets a new connection
        db.session.remove()


def test_closing_still_raises_other_database_errors(app, monkeypatch):
    from flask_sqlalchemy.session import Session

    def broken(self):
        raise OperationalError("ROLLBACK", {}, psycopg2.OperationalError("disk full"))

    with app.app_context():
        with monkeypatch.context() as patched:
            patched.setattr(Session, "close", broken)
            with pytest.raises(OperationalError):
                db.session.close()
