"""HTML pages for browsing the hierarchy."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.extensions import db
from grid_app.party import membership
from grid_app.places import hierarchy

bp = Blueprint("pages", __name__)


@bp.get("/")
@login_required
def home():
    """Where each role starts (grid workers on their phone task list)."""
    if current_user.role == "worker":
        return redirect(url_for("mobile.tasks"))
    if current_user.role == "member":
        return redirect(url_for("party_pages.me"))
    if current_user.role == "secretary" and current_user.community:
        return redirect(url_for("pages.community", code=current_user.community.code))
    return redirect(url_for("pages.index"))


@bp.get("/communities")
@login_required
def index():
    """The district overview: every community the user may see."""
    ids = [c.id for c in scope.communities_of(db.session, current_user)]
    return render_template("index.html", communities=hierarchy.list_communities(db.session, ids))


@bp.get("/communities/<code>")
@login_required
def community(code: str):
    """One community: grids, residential areas, party organisations and residents."""
    community = scope.community_in_scope(db.session, current_user, code)
    return render_template("community.html", c=hierarchy.community_summary(db.session, community.code),
                           party_tree=membership.party_tree(db.session, community))
