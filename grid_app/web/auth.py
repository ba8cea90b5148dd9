"""Login form, logout, API tokens, and how Flask-Login finds the user of a request."""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from grid_app.access import accounts
from grid_app.extensions import db, limiter, login_manager
from grid_app.models import User
from grid_app.platform.errors import InvalidInput, Unauthorized

bp = Blueprint("auth", __name__)
LOGIN_LIMIT = "10 per minute"
SID_KEY = "sid"  # the Flask session key holding the login's random id (its hash is in user_session)
# Kept across a login's session reset: the chosen language is not a secret.
KEPT_AT_LOGIN = ("lang",)
MAX_LABEL = 100
ROLE_LABELS = {"admin": _l("Administrator"), "street": _l("Street officer"), "secretary": _l("Community secretary"),
               "worker": _l("Grid worker"), "planner": _l("Planner"), "api": _l("API client"),
               "member": _l("Party member")}


class LoginForm(FlaskForm):
    """User name and password."""

    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session cookie, only while its server-side login session has not ended.

    A request that carries a bearer token is the token's alone: the cookie is not looked at, so a
    cookie can never ride on a made-up Authorization header past the CSRF check."""
    if _bearer(request):
        return None
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        return None
    return accounts.user_for_session(db.session, uid, session.get(SID_KEY))


@bp.app_context_processor
def role_names():
    """`role_label(role)`: a role's name in the UI language, for the top bar."""
    return {"role_label": lambda role: ROLE_LABELS.get(role, role)}


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    """The user of an `Authorization: Bearer <token>` header."""
    plain = _bearer(req)
    return accounts.user_for_token(db.session, plain) if plain else None


def _bearer(req) -> str | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return header[7:].strip() or None


@login_manager.unauthorized_handler
def unauthorized():
    """401 JSON for the API; the login page otherwise."""
    from grid_app.web.errors import wants_json
    if wants_json():
        raise Unauthorized("log in or send a bearer token", code="unauthorized")
    return redirect(url_for("auth.login", next=request.full_path))


def _safe_next(target: str | None) -> str:
    """`target` when it is a local path of this site, else the home page (no open redirect)."""
    return target if is_local_path(target) else url_for("pages.home")


def is_local_path(target: str | None) -> bool:
    """One leading '/', no scheme or host, no backslash, no control character or space, also once decoded."""
    if not isinstance(target, str) or not target:
        return False
    seen = target
    for _round in range(3):  # browsers and proxies may decode more than once: check every layer
        if not _plain_local(seen):
            return False
        decoded = unquote(seen)
        if decoded == seen:
            return True
        seen = decoded
    return False  # still encoded three layers deep: nothing honest looks like that


def _plain_local(path: str) -> bool:
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return False
    # Browsers drop tabs and newlines inside URLs, so "/\t/evil" would become "//evil".
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in path):
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    """The login form."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(db.session, form.username.data, form.password.data)
        except Unauthorized:
            flash(_("Wrong user name or password."), "error")
        else:
            _start_login(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form)


def _start_login(user: User) -> None:
    # A fresh Flask session (session fixation): the old cookie's data and CSRF token do not carry over.
    _reset_session()
    sid = accounts.start_session(db.session, user)
    db.session.commit()
    login_user(user)
    session[SID_KEY] = sid


@bp.post("/logout")
def logout():
    """End the login session on the server too, so a replayed cookie is refused."""
    accounts.end_session(db.session, session.get(SID_KEY))
    db.session.commit()
    logout_user()
    _reset_session()
    return redirect(url_for("auth.login"))


def _reset_session() -> None:
    kept = {key: session[key] for key in KEPT_AT_LOGIN if key in session}
    session.clear()
    session.update(kept)


@bp.post("/api/v1/auth/token")
@limiter.limit(LOGIN_LIMIT)
def token():
    """Exchange {"username", "password"[, "label"]} for a bearer token."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput('body must be JSON {"username": ..., "password": ...}', code="bad_body")
    username, password, label = body.get("username"), body.get("password"), body.get("label")
    if not isinstance(username, str) or not isinstance(password, str):
        raise InvalidInput("username and password must be strings", code="bad_body")
    if label is not None and (not isinstance(label, str) or len(label) > MAX_LABEL):
        raise InvalidInput(f"label must be a string of at most {MAX_LABEL} characters", code="bad_label")
    user = accounts.authenticate(db.session, username, password)
    plain, tok = accounts.issue_token(db.session, user, label=label)
    db.session.commit()
    return jsonify({"token": plain, "token_type": "Bearer", "expires_at": tok.expires_at.isoformat(),
                    "user": {"username": user.username, "role": user.role}}), 201


@bp.delete("/api/v1/auth/token")
def revoke_token():
    """Revoke the bearer token this request carries (204); other tokens of the user stay."""
    plain = _bearer(request)
    if plain is None:
        raise Unauthorized("send the bearer token to revoke in the Authorization header", code="unauthorized")
    accounts.revoke_token(db.session, plain)
    db.session.commit()
    return "", 204


@bp.get("/api/v1/me")
@login_required
def me():
    """Who the caller is, and their scope."""
    u = current_user
    return jsonify({"username": u.username, "display_name": u.display_name, "role": u.role,
                    "street": u.street.code if u.street else None,
                    "community": u.community.code if u.community else None,
                    "grids": [g.code for g in u.grids]})
