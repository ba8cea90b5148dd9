"""Desk page of the secretary's figures: per grid residents, key residents, visits, 走访覆盖率, overdue by worker."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.extensions import db
from grid_app.people import figures

bp = Blueprint("people_pages", __name__)


@bp.get("/people")
@login_required
def people_figures():
    """?community=CODE or ?grid=CODE (a secretary defaults to their community; others choose one)."""
    figures.require_figure_role(current_user)
    community, grid = request.args.get("community"), request.args.get("grid")
    if not community and not grid and current_user.role == "secretary" and current_user.community:
        community = current_user.community.code
    if not community and not grid:
        return render_template("people/choose.html", communities=scope.communities_of(db.session, current_user),
                               page="people")
    body = figures.figures(db.session, current_user, community=community, grid=grid)
    return render_template("people/figures.html", f=body, now=datetime.fromisoformat(body["now"]), page="people",
                           show_tags="tags" in body, show_names=current_user.role in scope.REGISTER_ROLES,
                           times=_times)


def _times(resident: dict) -> tuple[datetime | None, datetime]:
    """The last visit and next due of an overdue resident as times, for the local_time filter."""
    last = resident["last_visit"]
    return (datetime.fromisoformat(last) if last else None), datetime.fromisoformat(resident["next_due"])
