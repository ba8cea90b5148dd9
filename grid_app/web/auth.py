"""Login form, logout, API tokens, and how Flask-Login finds the user of a request."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .. import accounts
from ..errors import InvalidInput, Unauthorized
from ..extensions import db, limiter, login_manager
from ..models import User

bp = Blueprint("auth", __name__)
LOGIN_LIMIT = "10 per minute"


class LoginForm(FlaskForm):
    """User name and password."""

    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a session cookie."""
    user = db.session.get(User, int(user_id))
    return user if user and user.active else None


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    """The user of an `Authorization: Bearer <token>` header."""
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return accounts.user_for_token(db.session, header[7:].strip())
    return None


@login_manager.unauthorized_handler
def unauthorized():
    """401 JSON for the API; the login page otherwise."""
    from .errors import wants_json
    if wants_json():
        raise Unauthorized("log in or send a bearer token", code="unauthorized")
    return redirect(url_for("auth.login", next=request.full_path))


def _safe_next(target: str | None) -> str:
    # Only local paths, so the login form cannot be used to redirect elsewhere.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("pages.home")


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
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form)


@bp.post("/logout")
def logout():
    """End the session."""
    logout_user()
    return redirect(url_for("auth.login"))


@bp.post("/api/v1/auth/token")
@limiter.limit(LOGIN_LIMIT)
def token():
    """Exchange {"username", "password"} for a bearer token."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput('body must be JSON {"username": ..., "password": ...}', code="bad_body")
    user = accounts.authenticate(db.session, str(body.get("username", "")), str(body.get("password", "")))
    plain, tok = accounts.issue_token(db.session, user, label=body.get("label"))
    db.session.commit()
    return jsonify({"token": plain, "token_type": "Bearer", "expires_at": tok.expires_at.isoformat(),
                    "user": {"username": user.username, "role": user.role}}), 201


@bp.get("/api/v1/me")
@login_required
def me():
    """Who the caller is, and their scope."""
    u = current_user
    return jsonify({"username": u.username, "display_name": u.display_name, "role": u.role,
                    "street": u.street.code if u.street else None,
                    "community": u.community.code if u.community else None,
                    "grids": [g.code for g in u.grids]})
