"""Active case categories by code, kept per process for intake, which reads one for every case logged.

A kept category is at most KEEP_S old, and intake's insert re-checks in the database what it used of it
(code, level, hours, active): a category deactivated or changed since is never stored from a stale copy.
Only its names shown in the answer may be up to KEEP_S old.
"""
from __future__ import annotations

import threading
import time

from sqlalchemy import URL, bindparam, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from grid_app.models import Category

KEEP_S = 30.0

_ACTIVE = select(*Category.__table__.c).where(Category.code == bindparam("code"), Category.active)
_kept: dict[tuple[URL, str], tuple[float, Category]] = {}
_lock = threading.Lock()


def active_category(session: Session, code: str) -> Category | None:
    """The active category with this code, in this session (no statement while the process's copy is fresh)."""
    key = (_database_of(session), code)
    found = _kept.get(key)
    if found is None or time.monotonic() - found[0] > KEEP_S:
        row = session.execute(_ACTIVE, {"code": code}).one_or_none()
        if row is None:
            forget(session, code)
            return None
        kept = Category(**row._mapping)
        make_transient_to_detached(kept)  # a clean copy of the row that no session owns
        found = (time.monotonic(), kept)
        with _lock:
            _kept[key] = found
    held = session.identity_map.get(inspect(found[1]).key)
    if held is not None:  # the session has read it already, perhaps fresher than the copy
        return held
    # A session-local copy: the kept one is never attached, so requests in other threads can share it.
    return session.merge(found[1], load=False)


def forget(session: Session, code: str) -> None:
    """Drop the process's copy of a category (intake found it stale)."""
    with _lock:
        _kept.pop((_database_of(session), code), None)


def _database_of(session: Session) -> URL:
    # Tests and scripts open several databases in one process; category ids differ between them.
    # (The URL itself is the key: rendering it as text cost more than the rest of the look-up.)
    bind = session.get_bind()
    return getattr(bind, "engine", bind).url
