"""HTML pages for browsing the hierarchy."""
from __future__ import annotations

from flask import Blueprint, render_template

from .. import hierarchy
from ..extensions import db

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The district overview: every community."""
    return render_template("index.html", communities=hierarchy.list_communities(db.session))


@bp.get("/communities/<code>")
def community(code: str):
    """One community: grids, residential areas, party organisations and residents."""
    return render_template("community.html", c=hierarchy.community_summary(db.session, code))
