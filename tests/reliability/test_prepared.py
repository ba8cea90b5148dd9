"""Statements prepared per connection: run by name, prepared once, kept across rollbacks, bounded, re-made."""
from __future__ import annotations

import pytest
from sqlalchemy import Integer, Text, bindparam, text
from sqlalchemy.orm import Session

from grid_app.extensions import db
from grid_app.platform import prepared as prepared_module
from grid_app.platform.prepared import Prepared

from ..statements import statements_run


def _squares(tag: str = "") -> Prepared:
    return Prepared(text(f"SELECT :n * :n AS square, :label || '{tag}' AS label").bindparams(
        bindparam("n", type_=Integer), bindparam("label", type_=Text)))


def _ours(session) -> dict[str, int]:
    """Our prepared statements on the session's connection, by name: how often each ran."""
    rows = session.execute(text("SELECT name, generic_plans + custom_plans FROM pg_prepared_statements "
                                "WHERE name LIKE 'grid\\_%'")).all()
    return dict(rows)


def test_a_prepared_statement_answers_as_its_text_and_is_prepared_once(session):
    statement = _squares("-once")
    with statements_run(lambda sql: sql.startswith(("PREPARE", "EXECUTE"))) as seen:
        for n in (3, 4, 5):
            statement.ready(session)
            assert session.execute(statement.execute, {"n": n, "label": "x"}).one() == (n * n, "x-once")
    assert [sql.split()[0] for sql in seen] == ["PREPARE", "EXECUTE", "EXECUTE", "EXECUTE"]
    assert _ours(session)[statement.name] == 3


@pytest.fixture()
def connection(app):
    """A pooled connection of the app's own, outside the test's rolled-back session."""
    with app.app_context(), db.engine.connect() as connection:
        yield connection


def test_a_rollback_keeps_the_statement_and_the_record_of_it(connection):
    statement = _squares("-rollback")
    with Session(bind=connection) as first:
        statement.ready(first)
        first.rollback()
    with Session(bind=connection) as second:
        with statements_run(lambda sql: sql.startswith("PREPARE")) as prepares:
            statement.ready(second)
            assert second.execute(statement.execute, {"n": 7, "label": "y"}).one() == (49, "y-rollback")
        assert prepares == []


def test_a_connection_keeps_at_most_its_share_and_drops_the_oldest(session, monkeypatch):
    monkeypatch.setattr(prepared_module, "MAX_PER_CONNECTION", 2)
    statements = [_squares(f"-cap{i}") for i in range(3)]
    for statement in statements:
        statement.ready(session)
    held = _ours(session)
    assert statements[0].name not in held and {s.name for s in statements[1:]} <= set(held)
    statements[0].ready(session)  # prepared again when needed again
    assert session.execute(statements[0].execute, {"n": 2, "label": "z"}).one() == (4, "z-cap0")


def test_a_replaced_connection_prepares_again(connection):
    statement = _squares("-replaced")
    with Session(bind=connection) as session:
        statement.ready(session)
    connection.invalidate()  # the pool drops the connection and what it recorded of it
    with Session(bind=connection) as session:
        statement.ready(session)
        assert session.execute(statement.execute, {"n": 6, "label": "w"}).one() == (36, "w-replaced")


def test_every_parameter_needs_a_type():
    with pytest.raises(TypeError, match="label"):
        Prepared(text("SELECT :n + 1, :label").bindparams(bindparam("n", type_=Integer)))
