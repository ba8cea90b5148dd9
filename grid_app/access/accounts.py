"""Accounts: users with their scope, passwords, login sessions and API tokens, and ending them."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from grid_app.models import ROLES, ApiToken, Community, Grid, Street, User, UserSession
from grid_app.platform.errors import InvalidInput, NotFound, Unauthorized
from grid_app.platform.text import refuse_controls

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
    refuse_controls(password, "password")  # the login form refuses them, so such a password could never be used


def create_user(session: Session, username: str, password: str, role: str, *,
                display_name: str | None = None, street: str | None = None,
                community: str | None = None, grids: list[str] | None = None) -> User:
    """Create (or update, by username) a user with a role and its scope given by codes."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", code="bad_role")
    check_password_policy(password)
    # The scope's codes are resolved before the user is touched: a bad code changes nothing.
    street_id = _id_by_code(session, Street, street, "street") if role == "street" else None
    community_id = _id_by_code(session, Community, community, "community") if role == "secretary" else None
    scope_grids = []
    if role == "worker":
        if not grids:
            raise InvalidInput("a grid worker needs at least one grid", code="missing_scope")
        scope_grids = [session.get(Grid, _id_by_code(session, Grid, g, "grid")) for g in grids]
        community_id = scope_grids[0].community_id
    user = session.scalar(select(User).where(User.username == username)) or User(username=username)
    existing = user.id is not None
    role_changed = existing and user.role != role
    password_changed = _put_password(user, password)
    user.display_name = display_name or user.display_name or username  # an update keeps the name unless given
    user.role = role
    user.active = True
    user.street_id, user.community_id, user.grids = street_id, community_id, scope_grids
    session.add(user)
    session.flush()
    if existing and (role_changed or password_changed):
        end_all_access(session, user)
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Give the user a new password; a changed password ends every session and token they hold."""
    check_password_policy(password)
    if _put_password(user, password):
        session.flush()
        end_all_access(session, user)


def _put_password(user: User, password: str) -> bool:
    # True when the password differs from the stored one: re-saving the same one (load-demo) logs no one out.
    changed = not user.password_hash or not check_password_hash(user.password_hash, password)
    user.password_hash = generate_password_hash(password)
    return changed


def end_all_access(session: Session, user: User) -> None:
    """Revoke all the user's API tokens and end all their login sessions (password/role change, disable)."""
    now = datetime.now(timezone.utc)
    session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                    .values(ended_at=now))


def disable_user(session: Session, user: User) -> None:
    """Stop the user from logging in and end every session and token they hold."""
    user.active = False
    end_all_access(session, user)
    session.flush()


def user_by_name(session: Session, username: str) -> User:
    """The user with this name, or NotFound."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user named {username!r}", code="user_not_found")
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
    """The active user behind a live token, or None."""
    return session.scalar(_TOKEN_USER, {"sha": _sha(plain), "now": datetime.now(timezone.utc)})


# Every request with a bearer token runs it: one statement for the token and its user, built once.
_TOKEN_USER = select(User).join(ApiToken, ApiToken.user_id == User.id).where(
    ApiToken.token_sha256 == bindparam("sha"), ApiToken.revoked_at.is_(None),
    (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at >= bindparam("now")), User.active.is_(True))


def _live_token(session: Session, plain: str) -> ApiToken | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _sha(plain)))
    now = datetime.now(timezone.utc)
    if token is None or token.revoked_at or (token.expires_at and token.expires_at < now):
        return None
    return token


def revoke_token(session: Session, plain: str) -> None:
    """Revoke the live token given in plain (the caller's own), or Unauthorized."""
    token = _live_token(session, plain)
    if token is None:
        raise Unauthorized("no live bearer token", code="unauthorized")
    token.revoked_at = datetime.now(timezone.utc)
    session.flush()


def revoke_tokens(session: Session, user: User, *, label: str | None = None,
                  newest_only: bool = False) -> list[ApiToken]:
    """Revoke the user's live tokens: those with this label, only the newest, or all; returns them."""
    now = datetime.now(timezone.utc)
    query = (select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
             .where((ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))
             .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    if label is not None:
        query = query.where(ApiToken.label == label)
    tokens = list(session.scalars(query.limit(1) if newest_only else query))
    for token in tokens:
        token.revoked_at = now
    session.flush()
    return tokens


def start_session(session: Session, user: User) -> str:
    """Record a new login of the user; returns the random session id the cookie carries (only its hash is kept)."""
    sid = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, sid_sha256=_sha(sid)))
    session.flush()
    return sid


def user_for_session(session: Session, user_id: int, sid: str | None) -> User | None:
    """The active user of a login session that exists, is theirs and has not ended, or None."""
    if not sid:
        return None
    return session.scalar(select(User).join(UserSession, UserSession.user_id == User.id)
                          .where(UserSession.sid_sha256 == _sha(sid), UserSession.ended_at.is_(None),
                                 User.id == user_id, User.active.is_(True)))


def end_session(session: Session, sid: str | None) -> None:
    """End the login session with this id (logout); unknown or ended ids are ignored."""
    if sid:
        session.execute(update(UserSession).where(UserSession.sid_sha256 == _sha(sid),
                                                  UserSession.ended_at.is_(None))
                        .values(ended_at=datetime.now(timezone.utc)))


def _sha(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()
