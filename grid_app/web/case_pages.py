"""Desk pages for cases: the filtered list, one case with its timeline, and the action form."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from grid_app.access.scope import get_case, grids_of, may_act_on
from grid_app.cases import clock, dates, intake, moderation, placing, queries, transitions, workflow
from grid_app.extensions import db
from grid_app.maps import labels
from grid_app.models import LEVELS, OPEN_STATES, STATES
from grid_app.platform import reference
from grid_app.platform.errors import Conflict, DomainError, InvalidInput, NotFound
from grid_app.platform.i18n import display_zone, ui_language
from grid_app.web.api_cases import photo_url

bp = Blueprint("case_pages", __name__)
PAGE_SIZE = 50
FILTER_KEYS = ("state", "category", "grid", "community", "level", "overdue", "unlocated", "text", "since", "until",
               "reported", "area")


@bp.app_template_filter("local_time")
def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time in the display time zone."""
    if value is None:
        return "—"
    return value.astimezone(display_zone()).strftime(fmt)


@bp.app_context_processor
def desk_helpers() -> dict:
    """Label helpers for every desk template."""
    code = ui_language()
    return {"state_name": lambda s: labels.state_name(s, code),
            "level_name": lambda v: labels.level_name(v, code),
            "action_name": lambda a: labels.action_name(a, code),
            "category_name": lambda c: labels.category_name(c, code),
            "event_note": lambda event: labels.event_note(event, code),
            "state_colour": lambda s: labels.STATE_COLOURS.get(s, "#6b7280")}


def date_message(exc: InvalidInput) -> str:
    """A date parameter's error (cases.dates) in the UI language."""
    reason = (exc.details or {}).get("reason") if isinstance(exc.details, dict) else None
    if reason == "format":
        return _("Dates must look like 2024-05-31.")
    if reason == "range":
        return _("Dates must lie between %(earliest)s and %(latest)s.", earliest=dates.EARLIEST.isoformat(),
                 latest=dates.LATEST.isoformat())
    return exc.message


def _filter_args(args) -> MultiDict:
    """The query string as parse_filter wants it: 'open' is every open state, `until` a whole day."""
    out = MultiDict({k: args.get(k, "") for k in FILTER_KEYS})
    if out["state"] == "open":
        out["state"] = ",".join(OPEN_STATES)
    until = out["until"]
    if len(until) == 10:  # a date from the form: include that whole day
        try:
            out["until"] = dates.parse_time(until, "until", code="bad_filter", next_day=True).isoformat()
        except InvalidInput as exc:
            raise InvalidInput(date_message(exc), code="bad_filter") from exc
    try:
        page = int(args.get("page") or 1)
    except ValueError as exc:
        raise InvalidInput(_("The page number must be a whole number."), code="bad_paging") from exc
    if page < 1:
        raise InvalidInput(_("The page number must be a whole number."), code="bad_paging")
    out["limit"], out["offset"] = str(PAGE_SIZE), str((page - 1) * PAGE_SIZE)
    return out


@bp.get("/cases")
@login_required
def case_list():
    """Cases in the user's scope with filters and paging."""
    shown = {k: request.args.get(k, "") for k in FILTER_KEYS}
    error, cases, total, page = None, [], 0, 1
    try:
        f = queries.parse_filter(_filter_args(request.args))
        page = f.offset // PAGE_SIZE + 1
        cases, total = queries.list_cases(db.session, current_user, f)
    except InvalidInput as exc:
        error = date_message(exc)
    now = clock.now()
    return render_template(
        "cases/list.html", cases=cases, total=total, page=page, page_size=PAGE_SIZE, shown=shown,
        error=error, now=now, states=STATES, levels=LEVELS,
        categories=reference.active_categories(db.session), grids=grids_of(db.session, current_user),
        may_triage=current_user.role in workflow.TRIAGE_ROLES | {"admin"},
        page_url=lambda p: url_for("case_pages.case_list", **{**shown, "page": p}),
    ), 400 if error else 200


def _may_publish(case) -> bool:
    """Whether the publish switch is shown: staff who work the case's area, for cases not already public by channel."""
    return (case.channel != "public" and current_user.role in ("admin", "secretary", "street")
            and may_act_on(db.session, current_user, case))


def _render_case(case, form_error: str | None = None, stale: bool = False, status: int = 200, form=None):
    actions = transitions.available_actions(current_user, case)
    return render_template(
        "cases/detail.html", case=case, now=clock.now(), actions=actions, may_publish=_may_publish(case),
        duplicates=intake.possible_duplicates(db.session, case, current_user),
        grid_choices=placing.nearest_grids(db.session, current_user, case) if "place" in actions else [],
        photo_url=photo_url, form_error=form_error, stale=stale, form=form or {},
    ), status


@bp.get("/cases/<int:case_id>")
@login_required
def case_detail(case_id: int):
    """One case: details, photos, timeline, duplicates and the actions the user may take."""
    return _render_case(get_case(db.session, current_user, case_id))


def _whole(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput(_("%(name)s must be a whole number.", name=name), code="bad_body") from exc


FORM_MESSAGES = {  # error code → what the desk user reads at the form
    "illegal_transition": lambda: _("That action is not possible in the case's current state."),
    "forbidden": lambda: _("Your role may not take that action at the case's current level."),
    "unlocated": lambda: _("This case is not located to a grid yet; it can only be rejected or placed in a grid."),
    "located": lambda: _("This case is already located to a grid."),
    "not_your_area": lambda: _("This case is not in the area you work; you can follow it but not act on it."),
    "bad_grid": lambda: _("Choose the grid to place the case in."),
    "grid_not_found": lambda: _("There is no such grid in your area."),
    "bad_rating": lambda: _("Choose a rating from 1 to 5 to evaluate."),
    "bad_merge": lambda: _("Enter the number of another open case to merge into."),
    "case_not_found": lambda: _("There is no such case to merge into (or you may not see it)."),
    "bad_note": lambda: _("The note is too long (at most 2000 characters)."),
    "bad_action": lambda: _("Choose one of the actions shown."),
}


@bp.post("/cases/<int:case_id>/act")
@login_required
def case_act(case_id: int):
    """Apply the chosen action from the case page's form, then show the case again."""
    get_case(db.session, current_user, case_id)  # out of scope: 404 before anything else
    form = request.form
    action = form.get("action", "")
    try:
        case = transitions.transition(
            db.session, current_user, case_id, action, note=form.get("note") or None,
            version=_whole(form.get("version"), _("Version")), into=_whole(form.get("into"), _("Case number")),
            rating=_whole(form.get("rating"), _("Rating")), grid=form.get("grid") or None)
    except DomainError as exc:
        return _retry_page(case_id, exc)
    flash(_("Done: %(action)s.", action=labels.action_name(action, ui_language())), "ok")
    return redirect(url_for("case_pages.case_detail", case_id=case.id))


@bp.post("/cases/<int:case_id>/moderate")
@login_required
def case_moderate(case_id: int):
    """Publish or unpublish the case; for administrators also hide, show or redact it."""
    get_case(db.session, current_user, case_id)  # out of scope: 404 before anything else
    op, reason = request.form.get("op", ""), request.form.get("reason", "")
    try:
        if op in ("publish", "unpublish"):
            moderation.set_published(db.session, current_user, case_id, op == "publish")
        elif op in ("hide", "unhide"):
            moderation.set_hidden(db.session, current_user, case_id, op == "hide", reason)
        elif op == "redact":
            moderation.redact(db.session, current_user, case_id, reason)
        else:
            raise InvalidInput(_("Choose one of the actions shown."), code="bad_action")
    except DomainError as exc:
        return _retry_page(case_id, exc)
    flash(_("Saved."), "ok")
    return redirect(url_for("case_pages.case_detail", case_id=case_id))


def _retry_page(case_id: int, exc: DomainError):
    """The case page again with the error at the form, the typed note kept."""
    db.session.rollback()
    case = get_case(db.session, current_user, case_id)
    stale = isinstance(exc, Conflict) and exc.code == "stale_version"
    if stale:
        message = _("This case was changed by someone else meanwhile. Reload the page to see the latest "
                    "state, then try again.")
    else:
        message = FORM_MESSAGES[exc.code]() if exc.code in FORM_MESSAGES else exc.message
    status = 400 if isinstance(exc, NotFound) else exc.status  # a missing merge target is a form error
    return _render_case(case, form_error=message, stale=stale, status=status, form=request.form)
