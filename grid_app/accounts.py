"""Accounts: creating users with their scope, checking passwords, issuing and checking API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .errors import InvalidInput, NotFound, Unauthorized
from .models import ROLES, ApiToken, Community, Grid, Street, User

MIN_PASSWORD = 8
TOKEN_DAYS = 30
# Checked against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("timing-equaliser")


def check_password_policy(password: str) -> None:
    """Refuse passwords that are too short or trivially weak."""
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD} characters", code="weak_password")
    if len(set(password)) < 4:
        raise InvalidInput("password is too repetitive", code="weak_password")


def create_user(session: Session, username: str, password: str, role: str, *,
                display_name: str | None = None, street: str | None = None,
                community: str | None = None, grids: list[str] | None = None) -> User:
    """Create (or update, by username) a user with a role and its scope given by codes."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", code="bad_role")
    check_password_policy(password)
    user = session.scalar(select(User).where(User.username == username)) or User(username=username)
    user.display_name = display_name or username
    user.password_hash = generate_password_hash(password)
    user.role = role
    user.active = True
    user.street_id = user.community_id = None
    user.grids = []
    if role == "street":
        user.street_id = _id_by_code(session, Street, street, "street")
    elif role == "secretary":
        user.community_id = _id_by_code(session, Community, community, "community")
    elif role == "worker":
        if not grids:
            raise InvalidInput("a grid worker needs at least one grid", code="missing_scope")
        user.grids = [session.get(Grid, _id_by_code(session, Grid, g, "grid")) for g in grids]
        user.community_id = user.grids[0].community_id
    session.add(user)
    session.flush()
    return user


def _id_by_code(session: Session, model, code: str | None, what: str) -> int:
    if not code:
        raise InvalidInput(f"a {what} code is required for this role", code="missing_scope")
    found = session.scalar(select(model.id).where(model.code == code))
    if found is None:
        raise NotFound(f"no {what} with code {code!r}", code=f"{what}_not_found")
    return found


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with this name and password, or Unauthorized."""
    user = session.scalar(select(User).where(User.username == (username or "")))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise Unauthorized("wrong user name or password", code="bad_credentials")
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        raise Unauthorized("wrong user name or password", code="bad_credentials")
    return user


def issue_token(session: Session, user: User, label: str | None = None) -> tuple[str, ApiToken]:
    """A new bearer token for the user; the plain token is returned once and never stored."""
    plain = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_sha256=_sha(plain), label=label,
                     expires_at=datetime.now(timezone.utc) + timedelta(days=TOKEN_DAYS))
    session.add(token)
    session.flush()
    return plain, token


def user_for_token(session: Session, plain: str) -> User | None:
    """The user behind a live token, or None."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _sha(plain)))
    now = datetime.now(timezone.utc)
    if token is None or token.revoked_at or (token.expires_at and token.expires_at < now):
        return None
    return token.user if token.user.active else None


def _sha(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()
