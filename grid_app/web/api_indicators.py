"""Indicators as JSON, CSV or Excel."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user, login_required

from grid_app.cases import indicators
from grid_app.extensions import db
from grid_app.platform import tables
from grid_app.platform.errors import InvalidInput
from grid_app.platform.i18n import ui_language

bp = Blueprint("api_indicators", __name__, url_prefix="/api/v1")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/indicators")
@login_required
def get_indicators():
    """?group=grid|community|street&since=&until=&format=json|csv|xlsx"""
    group = request.args.get("group", "grid")
    fmt = request.args.get("format", "json")
    if fmt not in ("json", *MIMETYPES):
        raise InvalidInput("format must be json, csv or xlsx", code="bad_format")
    period = indicators.parse_period(request.args.get("since"), request.args.get("until"))
    rows = indicators.compute(db.session, current_user, group, period)
    if fmt == "json":
        return jsonify({"group": group, "since": period.since.isoformat(), "until": period.until.isoformat(),
                        "rows": rows})
    lang = ui_language()
    data = (tables.to_csv if fmt == "csv" else tables.to_xlsx)(rows, indicators.COLUMNS, lang)
    name = f"indicators-{group}-{period.since:%Y%m%d}-{period.until:%Y%m%d}.{fmt}"
    return Response(data, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/indicators/party")
@login_required
def get_party_indicators():
    """?quarter=2026Q3 (default the current one, Beijing time)&group=community|street: 双报到 counts in scope."""
    from grid_app.access import scope
    from grid_app.party import indicators as party_indicators
    from grid_app.party.quarters import current_quarter, parse_quarter
    from grid_app.platform.i18n import display_zone
    raw = request.args.get("quarter")
    quarter = parse_quarter(raw) if raw is not None else current_quarter(display_zone())
    group = request.args.get("group", "community")
    rows = party_indicators.compute(db.session, scope.communities_of(db.session, current_user), quarter,
                                    display_zone(), group)
    start, end = quarter.bounds(display_zone())
    return jsonify({"quarter": quarter.code, "group": group, "since": start.isoformat(), "until": end.isoformat(),
                    "rows": rows})
