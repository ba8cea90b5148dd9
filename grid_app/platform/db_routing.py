"""Read/write routing: read-only requests may go to a streaming replica, everything else to the primary.

The session is marked per request (web/replica.py decides); an unmarked session always uses the
primary, so CLI commands, writes and tests never touch the replica by accident.
"""
from __future__ import annotations

from flask_sqlalchemy.session import Session
from sqlalchemy.exc import DBAPIError

REPLICA_BIND = "replica"


class RoutingSession(Session):
    """A Flask-SQLAlchemy session that reads from the replica when its info says so."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        """The replica engine for a session marked read-only, else the usual engine."""
        if bind is None and self.info.get("use_replica"):
            engines = self._db.engines
            if REPLICA_BIND in engines:
                return engines[REPLICA_BIND]
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)

    def close(self) -> None:
        """Close the session; a connection the server has dropped is discarded, not rolled back."""
        try:
            super().close()
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            # The server ended the connection (a restart, a crash), and its transaction ended with it:
            # there is nothing left to roll back, and a request that already has its answer (closing
            # runs at teardown) must not turn into a 500.
            self.invalidate()
