"""Hot statements prepared once per database connection (PREPARE), then run by name (EXECUTE).

PostgreSQL plans every statement it is sent. For the statement each logged case runs, planning was a
third of the server's work per case; a prepared statement is planned for its first few runs and then
reuses a generic plan. psycopg2 does not prepare statements itself, so a `Prepared` statement is
prepared by name on each pooled connection the first time that connection runs it. Prepared statements
outlive transactions (a rollback keeps them) and end with the connection; the pool forgets its record
of them when it replaces a connection. A connection pooler in transaction mode would break this: the
app expects a session-level connection (as its advisory job locks do).
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

from sqlalchemy import bindparam, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import NullType

MAX_PER_CONNECTION = 32  # one per statement shape (per role, for intake): a few in practice
_DONE_KEY = "grid_app_prepared"  # in each pooled connection's info: the names prepared there, oldest first
_DIALECT = postgresql.dialect()


class Prepared:
    """A textual statement whose every parameter has a type, prepared under a name taken from its text."""

    def __init__(self, statement: TextClause):
        compiled = statement.compile(dialect=postgresql.dialect(paramstyle="numeric_dollar"))
        names = list(compiled.positiontup)
        types = [compiled.binds[name].type for name in names]
        untyped = [name for name, type_ in zip(names, types) if isinstance(type_, NullType)]
        if untyped:
            raise TypeError(f"a prepared statement needs a type for every parameter: {', '.join(untyped)}")
        self.name = "grid_" + hashlib.sha1(compiled.string.encode()).hexdigest()[:24]
        self.prepare_sql = (f"PREPARE {self.name} ({', '.join(t.compile(dialect=_DIALECT) for t in types)}) "
                            f"AS {compiled.string}")
        # Run by name with the same typed parameters (their types serialise values, JSONB for instance).
        self.execute = text(f"EXECUTE {self.name} ({', '.join(':' + name for name in names)})").bindparams(
            *(bindparam(name, type_=type_) for name, type_ in zip(names, types)))

    def ready(self, session: Session) -> None:
        """Prepare the statement on the session's connection unless that connection has it already."""
        connection = session.connection()
        done = connection.info.setdefault(_DONE_KEY, OrderedDict())
        if self.name in done:
            done.move_to_end(self.name)
            return
        while len(done) >= MAX_PER_CONNECTION:
            oldest, _ = done.popitem(last=False)
            connection.exec_driver_sql(f"DEALLOCATE {oldest}")
        connection.exec_driver_sql(self.prepare_sql)
        done[self.name] = True
