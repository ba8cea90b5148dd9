"""Dashboards: a community's indicators per grid with trend and overdue list; a street's communities compared."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.cases import indicators, queries
from grid_app.extensions import db
from grid_app.maps import trends
from grid_app.party import indicators as party_indicators
from grid_app.party.quarters import current_quarter, parse_quarter
from grid_app.platform.errors import InvalidInput
from grid_app.platform.i18n import display_zone, ui_language
from grid_app.web.case_pages import date_message

bp = Blueprint("dashboard", __name__)
RATE_KEYS = ("grid_rate", "community_rate", "on_time_rate", "reopen_rate")


def _period() -> tuple[indicators.Period, dict, str | None]:
    """The period of the form (inclusive dates; default the last 30 days), and any error."""
    shown = {"since": request.args.get("since", ""), "until": request.args.get("until", "")}
    try:
        return indicators.parse_period(shown["since"] or None, shown["until"] or None,
                                       inclusive_until=True), shown, None
    except InvalidInput as exc:
        return indicators.parse_period(None, None), shown, date_message(exc)


def _party(communities, *, street_total: bool = False) -> dict:
    """The party indicators of ?quarter= (default the current quarter) for the page, and any error."""
    shown, error = request.args.get("quarter"), None
    try:
        quarter = parse_quarter(shown) if shown else current_quarter(display_zone())
    except InvalidInput as exc:
        quarter, error = current_quarter(display_zone()), exc.message
    zh = ui_language() == "zh"
    rows = party_indicators.compute(db.session, communities, quarter, display_zone())
    total = party_indicators.compute(db.session, communities, quarter, display_zone(), "street") if street_total else []
    return {"party_quarter": quarter, "party_shown": shown or quarter.code, "party_error": error,
            "party_rows": rows, "party_total": total,
            "party_columns": [(key, zh_name if zh else en_name) for key, zh_name, en_name in party_indicators.COLUMNS]}


def _columns() -> list[tuple[str, str]]:
    zh = ui_language() == "zh"
    return [(key, zh_name if zh else en_name) for key, zh_name, en_name in indicators.COLUMNS]


@bp.get("/communities/<code>/dashboard")
@login_required
def community_dashboard(code: str):
    """Indicators per grid, weekly trend, top categories and the overdue list of one community."""
    community = scope.community_in_scope(db.session, current_user, code)
    period, shown, error = _period()
    rows = trends.grid_indicators(db.session, current_user, community, period)
    trend = trends.weekly_trend(db.session, current_user, period.until, community_ids=[community.id], zone=display_zone())
    top = trends.top_categories(db.session, current_user, period, community_ids=[community.id])
    party = _party([community])
    overdue, overdue_total = queries.list_cases(db.session, current_user, queries.CaseFilter(
        community=community.code, overdue=True, order="deadline", limit=20))
    return render_template(
        "dashboard/community.html", community=community, rows=rows, columns=_columns(), rate_keys=RATE_KEYS,
        period=period, shown=shown, error=error, overdue=overdue, overdue_total=overdue_total,
        chart=_chart_data(trend, top), page="dashboard", party_link=None, party_report_community=community.code,
        **party), 400 if error or party["party_error"] else 200


def _chart_data(trend: list[dict], top: list[dict]) -> dict:
    zh = ui_language() == "zh"
    return {"weeks": [t["week"][5:] for t in trend], "logged": [t["logged"] for t in trend],
            "closed": [t["closed"] for t in trend],
            "categories": [t["name"] if zh else t["name_en"] for t in top], "counts": [t["n"] for t in top],
            "labels": {"logged": _("Logged"), "closed": _("Closed"), "cases": _("Cases"),
                       "week": _("Week starting")}}


@bp.get("/streets/<code>/compare")
@login_required
def street_compare(code: str):
    """The communities of a street side by side: indicators, open and overdue cases, weekly trend."""
    street = scope.street_in_scope(db.session, current_user, code)
    period, shown, error = _period()
    communities = sorted(street.communities, key=lambda c: c.code)
    rows = trends.community_indicators(db.session, current_user, communities, period)
    trend = trends.weekly_trend(db.session, current_user, period.until, community_ids=[c.id for c in communities],
                                zone=display_zone())
    top = trends.top_categories(db.session, current_user, period, community_ids=[c.id for c in communities])
    chart = _chart_data(trend, top)
    party = _party(communities, street_total=True)
    chart["communities"] = [r["name"] for r in rows]
    chart["rates"] = {key: [r[key] for r in rows] for key in ("grid_rate", "community_rate", "on_time_rate")}
    chart["rate_labels"] = {k: name for k, name in _columns() if k in chart["rates"]}
    return render_template("dashboard/street.html", street=street, rows=rows, columns=_columns(),
                           rate_keys=RATE_KEYS, period=period, shown=shown, error=error, chart=chart,
                           page="compare", party_link="dashboard.community_dashboard", party_report_community=None,
                           **party), 400 if error or party["party_error"] else 200
