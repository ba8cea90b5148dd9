"""Hours served: the secretary confirms them per sign-up; a member's quarter and coming activities.

Hours go with the activity's start: an activity starting in a quarter counts in that quarter
(grid_app/party/quarters.py, the one rule the 双报告 report uses too).
"""
from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from grid_app.access import scope
from grid_app.cases import clock
from grid_app.models import User
from grid_app.models.party import PartyMember
from grid_app.models.party_service import Activity, ActivitySignup
from grid_app.party.activities import WINDOW_MARGIN, default_hours, get_activity, whole_number
from grid_app.party.quarters import quarter_of
from grid_app.platform import audit
from grid_app.platform.errors import Conflict, InvalidInput
from grid_app.platform.text import number

MAX_HOURS_ROWS = 1000


def parse_hours(body) -> list[tuple[int, Decimal | None]]:
    """Check {"hours": [{"member_id": .., "hours": ..}]}: hours 0-24 with at most one decimal, or null (default)."""
    rows = body.get("hours") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows or len(rows) > MAX_HOURS_ROWS:
        raise InvalidInput(f'body must be {{"hours": [{{"member_id": ..., "hours": ...}}, ...]}} with 1 to '
                           f'{MAX_HOURS_ROWS} entries', code="bad_body")
    out, seen = [], set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InvalidInput(f"hours[{i}] must be an object {{\"member_id\": ..., \"hours\": ...}}", code="bad_hours")
        member_id = whole_number(row.get("member_id"), f"hours[{i}].member_id", "bad_member", 1, 2 ** 31 - 1)
        if member_id in seen:
            raise InvalidInput(f"member {member_id} is listed twice", code="bad_member")
        seen.add(member_id)
        value = row.get("hours")
        if value is not None:
            hours = number(value, f"hours[{i}].hours", "bad_hours")
            if not 0 <= hours <= 24:
                raise InvalidInput(f"hours[{i}].hours must be from 0 to 24", code="bad_hours")
            value = Decimal(str(hours))
            if value != value.quantize(Decimal("0.1")):
                raise InvalidInput(f"hours[{i}].hours may have one decimal at most (e.g. 2.5)", code="bad_hours")
            value = value.quantize(Decimal("0.1"))
        out.append((member_id, value))
    return out


def confirm_hours(session: Session, user: User, activity_id: int, rows: list[tuple[int, Decimal | None]], *,
                  now: datetime | None = None) -> list[ActivitySignup]:
    """The desk confirms each listed sign-up's hours (null: the duration, for checked-in members); audited."""
    scope.require_party_role(user, desk=True)
    now = now or clock.now()
    activity = get_activity(session, user, activity_id, for_update=True)
    if activity.cancelled:
        raise Conflict(f"activity {activity.id} is cancelled", code="activity_cancelled")
    if activity.starts_at > now:
        raise Conflict(f"activity {activity.id} has not started", code="not_started")
    found = {s.member_id: s for s in session.scalars(select(ActivitySignup).where(
        ActivitySignup.activity_id == activity.id, ActivitySignup.member_id.in_([m for m, _ in rows]))
        .with_for_update())}
    settled = []
    for member_id, hours in rows:  # every row checked before the first is written
        row = found.get(member_id)
        if row is None:
            raise InvalidInput(f"member {member_id} did not sign up for activity {activity.id}", code="bad_member")
        if hours is None and row.checked_in_at is None:
            raise InvalidInput(f"member {member_id} did not check in: give their hours", code="bad_hours")
        settled.append((row, default_hours(activity) if hours is None else hours))
    changes = []
    for row, hours in settled:
        changes.append({"member": row.member_id, "hours": str(hours),
                        "was": None if row.hours is None else str(row.hours)})
        row.hours, row.confirmed_by, row.confirmed_at = hours, user.id, now
    audit.record(session, "activity-hours", {"activity": activity.id, "hours": changes}, actor=user)
    session.flush()
    return [row for row, _ in settled]


def member_summary(session: Session, member: PartyMember, *, now: datetime, zone: tzinfo) -> dict:
    """A member's confirmed hours this quarter and their coming activities (the phone's home)."""
    quarter = quarter_of(now.astimezone(zone).date())
    start, end = quarter.bounds(zone)
    hours = session.scalar(select(func.coalesce(func.sum(ActivitySignup.hours), 0))
                           .join(Activity, ActivitySignup.activity_id == Activity.id)
                           .where(ActivitySignup.member_id == member.id, Activity.starts_at >= start,
                                  Activity.starts_at < end))
    coming = list(session.scalars(select(Activity).join(ActivitySignup, and_(
        ActivitySignup.activity_id == Activity.id, ActivitySignup.member_id == member.id))
        .where(Activity.ends_at + WINDOW_MARGIN > now, Activity.cancelled.is_(False))
        .order_by(Activity.starts_at).limit(20)))
    return {"hours_this_quarter": float(hours), "quarter": quarter.code, "upcoming": coming}
