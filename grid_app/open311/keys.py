"""Open311 client API keys: issue (shown once), revoke, list, and check on each request."""
from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.cases import clock
from grid_app.models import Open311Key, Open311Request
from grid_app.platform.errors import Conflict, Forbidden, InvalidInput, NotFound

NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{2,80}$")


def digest(plain: str) -> str:
    """The stored form of a key (SHA-256 hex)."""
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def issue(session: Session, name: str) -> str:
    """Create a key for a client (or a fresh one for a revoked name); return the plain key once."""
    if not NAME_PATTERN.match(name or ""):
        raise InvalidInput("client name must be 2-80 letters, digits or . _ -", code="bad_name")
    plain = "o311_" + secrets.token_urlsafe(30)
    key = session.scalar(select(Open311Key).where(Open311Key.name == name))
    if key is not None and key.revoked_at is None:
        raise Conflict(f"client {name!r} already has a live key; revoke it first", code="key_exists")
    if key is None:
        key = Open311Key(name=name)
        session.add(key)
    key.key_sha256 = digest(plain)
    key.revoked_at = None
    key.created_at = clock.now()
    session.flush()
    return plain


def revoke(session: Session, name: str) -> Open311Key:
    """Revoke the client's key; requests it filed stay."""
    key = session.scalar(select(Open311Key).where(Open311Key.name == name))
    if key is None:
        raise NotFound(f"no Open311 client named {name!r}", code="key_not_found")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
    session.flush()
    return key


def listing(session: Session) -> list[dict]:
    """Every client with its key's state and how many requests it filed."""
    filed = (select(Open311Request.key_id, func.count().label("n"))
             .group_by(Open311Request.key_id).subquery())
    rows = session.execute(
        select(Open311Key, func.coalesce(filed.c.n, 0))
        .outerjoin(filed, filed.c.key_id == Open311Key.id).order_by(Open311Key.name)).all()
    return [{"name": k.name, "created_at": k.created_at, "revoked_at": k.revoked_at,
             "last_used_at": k.last_used_at, "requests": n} for k, n in rows]


def check(session: Session, plain: str | None) -> Open311Key:
    """The live key behind a plain api_key, or Forbidden (missing, unknown and revoked alike)."""
    if not plain:
        raise Forbidden("api_key is required to file a service request", code="api_key_missing")
    key = session.scalar(select(Open311Key).where(Open311Key.key_sha256 == digest(plain)))
    if key is None or key.revoked_at is not None:
        raise Forbidden("invalid api_key: unknown or revoked", code="api_key_invalid")
    return key
