"""Watch the SQL a piece of code runs (statement budgets, what was read rather than computed)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event

from grid_app.extensions import db


@contextmanager
def statements_run(keep: Callable[[str], bool] = lambda statement: True) -> Iterator[list[str]]:
    """The statements executed meanwhile that `keep` accepts, in order."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if keep(statement):
            seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
