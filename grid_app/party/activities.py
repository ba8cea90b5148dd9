"""Service activities: the secretary plans them, approved members sign up and check in, the secretary confirms hours.

Sign-ups lock the activity row, so two members taking the last place at once cannot overfill it: the
second waits for the first to commit and then counts it. A check-in is accepted from WINDOW_MARGIN
before the start until WINDOW_MARGIN after the end; the phone's position is kept and the sign-up is
flagged far_from_place beyond FAR_FROM_PLACE_M (measured on the spheroid, as every distance here). A
check-in without a position is accepted and shows as such (no point, never flagged far).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from geoalchemy2 import Geography
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import cast, func, select
from sqlalchemy.orm import Session

from grid_app.access import scope
from grid_app.cases import clock, dates
from grid_app.models import User
from grid_app.models.party import PartyMember
from grid_app.models.party_service import FAR_FROM_PLACE_M, Activity, ActivitySignup
from grid_app.party.posts import acting_member, get_post
from grid_app.party.units import party_community
from grid_app.people.masking import mask_name
from grid_app.places import locate
from grid_app.platform import audit
from grid_app.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from grid_app.platform.text import optional_text

WINDOW_MARGIN = timedelta(minutes=30)  # a member arriving a little early or leaving late can still check in
MAX_DURATION = timedelta(hours=24)  # hours are confirmed per sign-up, 0-24: a longer activity is entered per day
MAX_NEEDED = 500
MAX_TITLE, MAX_PLACE, MAX_DESCRIPTION = 100, 200, 2000


@dataclass(frozen=True)
class ActivityInput:
    """A checked activity (the point already in WGS84)."""

    community: str
    title: str
    description: str | None
    starts_at: datetime
    ends_at: datetime
    place: str
    lon: float
    lat: float
    needed: int
    post_id: int | None


def whole_number(value, field: str, code: str, low: int, high: int) -> int:
    """The value if it is a JSON whole number in [low, high] (not a bool); InvalidInput naming the field."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field} must be a whole number from {low} to {high}", code=code)
    return value


def _point(body: dict, *, required: bool) -> tuple[float | None, float | None]:
    lon, lat = body.get("lon"), body.get("lat")
    if lon is None and lat is None and not required:
        return None, None
    if lon is None or lat is None:
        raise InvalidInput("give both lon and lat" + ("" if required else ", or neither"), code="bad_coordinates")
    crs = optional_text(body.get("crs"), "crs", 20, code="bad_crs") or "wgs84"
    return locate.check_coordinates(lon, lat, crs)


def parse_activity(body) -> ActivityInput:
    """Check an activity's JSON body or raise InvalidInput naming the field."""
    if not isinstance(body, dict):
        raise InvalidInput('body must be a JSON object {"community", "title", "starts_at", "ends_at", "place", '
                           '"lon", "lat", "needed"}', code="bad_body")
    community = optional_text(body.get("community"), "community", 32, code="bad_community")
    if not community:
        raise InvalidInput("community (a community code) is required", code="bad_community")
    title = optional_text(body.get("title"), "title", MAX_TITLE, code="bad_title")
    if not title:
        raise InvalidInput("title is required", code="bad_title")
    description = optional_text(body.get("description"), "description", MAX_DESCRIPTION, code="bad_description")
    times = []
    for field in ("starts_at", "ends_at"):
        raw = body.get(field)
        if not isinstance(raw, str) or not raw.strip():
            raise InvalidInput(f"{field} is required: an ISO 8601 date-time such as 2026-05-31T08:00:00+08:00",
                               code="bad_time")
        times.append(dates.parse_time(raw, field, code="bad_time"))
    starts_at, ends_at = times
    if ends_at <= starts_at:
        raise InvalidInput("ends_at must be after starts_at", code="bad_time")
    if ends_at - starts_at > MAX_DURATION:
        raise InvalidInput("an activity lasts at most 24 hours: enter a longer one day by day", code="bad_time")
    place = optional_text(body.get("place"), "place", MAX_PLACE, code="bad_place")
    if not place:
        raise InvalidInput("place (where to meet, as text) is required", code="bad_place")
    lon, lat = _point(body, required=True)
    needed = whole_number(body.get("needed"), "needed", "bad_needed", 1, MAX_NEEDED)
    post_id = body.get("post_id")
    if post_id is not None:
        post_id = whole_number(post_id, "post_id", "bad_post", 1, 2 ** 31 - 1)
    return ActivityInput(community, title, description, starts_at, ends_at, place, lon, lat, needed, post_id)


def create_activity(session: Session, user: User, data: ActivityInput, *, snap_m: float) -> Activity:
    """A new activity of a community the desk user acts in (flush only, audited); its point must lie in it."""
    scope.require_party_role(user, desk=True)
    community = party_community(session, user, data.community)
    located = locate.locate_with_sql(session, [data.lon], [data.lat], snap_m)[0]
    if located.community is None or located.community.id != community.id:
        raise InvalidInput(f"the activity's point is not in community {community.code}", code="bad_place")
    post = None
    if data.post_id is not None:
        post = get_post(session, user, data.post_id)
        if post.community_id != community.id or not post.active:
            raise InvalidInput(f"post {data.post_id} is not an active post of community {community.code}",
                               code="bad_post")
    activity = Activity(community=community, community_id=community.id, post=post, post_id=post.id if post else None,
                        street_code=community.street_code, title=data.title,
                        description=data.description, starts_at=data.starts_at, ends_at=data.ends_at,
                        place=data.place, geom=from_shape(Point(data.lon, data.lat), srid=4326),
                        needed=data.needed, created_by=user.id)
    session.add(activity)
    session.flush()
    audit.record(session, "activity-create", {"activity": activity.id, "community": community.code,
                                              "title": activity.title}, actor=user)
    return activity


def activity_query(user: User):
    """A select over Activity limited to the communities whose party side the user reads."""
    if user.role not in scope.PARTY_MEMBER_ROLES:
        raise Forbidden(f"role {user.role!r} may not read party activities", code="forbidden")
    return select(Activity).where(scope.party_community_clause(user, Activity.community_id))


def get_activity(session: Session, user: User, activity_id: int, *, for_update: bool = False) -> Activity:
    """The activity if the user reads its community; NotFound otherwise (out of scope looks absent)."""
    query = activity_query(user).where(Activity.id == activity_id)
    found = session.scalar(query.with_for_update(of=Activity) if for_update else query)
    if found is None:
        raise NotFound(f"no activity {activity_id}", code="activity_not_found")
    return found


def list_activities(session: Session, user: User, *, community: str | None = None, start=None, end=None,
                    upcoming_at: datetime | None = None, limit: int = 500, offset: int = 0) -> dict:
    """Activities the user reads overlapping [from, to) (ISO dates or times), or still open at `upcoming_at`."""
    query = activity_query(user)
    if community:
        query = query.where(Activity.community_id == party_community(session, user, community).id)
    frm = dates.parse_time(start, "from", code="bad_period")
    to = dates.parse_time(end, "to", code="bad_period", next_day=True)
    if frm is not None and to is not None and to <= frm:
        raise InvalidInput("to must be after from", code="bad_period")
    if frm is not None:
        query = query.where(Activity.ends_at > frm)
    if to is not None:
        query = query.where(Activity.starts_at < to)
    if upcoming_at is not None:
        query = query.where(Activity.ends_at + WINDOW_MARGIN > upcoming_at, Activity.cancelled.is_(False))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(session.scalars(query.order_by(Activity.starts_at, Activity.id).limit(limit).offset(offset)))
    return {"total": total, "activities": activities_json(session, user, rows)}


def activities_json(session: Session, user: User, rows: list[Activity]) -> list[dict]:
    """Activities with their counts (and, for a member, their own sign-up), in two queries."""
    ids = [a.id for a in rows]
    counts = {aid: (n, c) for aid, n, c in session.execute(
        select(ActivitySignup.activity_id, func.count(), func.count(ActivitySignup.checked_in_at))
        .where(ActivitySignup.activity_id.in_(ids)).group_by(ActivitySignup.activity_id))}
    mine = {}
    if user.role == "member":
        mine = {s.activity_id: s for s in session.scalars(
            select(ActivitySignup).join(PartyMember, ActivitySignup.member_id == PartyMember.id)
            .where(PartyMember.user_id == user.id, ActivitySignup.activity_id.in_(ids)))}
    now = clock.now()
    out = []
    for a in rows:
        item = activity_json(a, *counts.get(a.id, (0, 0)), now=now)
        if user.role == "member":
            item["my_signup"] = signup_json(mine[a.id]) if a.id in mine else None
        out.append(item)
    return out


def activity_json(a: Activity, signed_up: int, checked_in: int, *, now: datetime) -> dict:
    """An activity as the API shows it (counts given)."""
    point = to_shape(a.geom)
    return {"id": a.id, "community": a.community.code, "community_name": a.community.name,
            "post": {"id": a.post.id, "name": a.post.name} if a.post else None, "title": a.title,
            "description": a.description, "starts_at": a.starts_at.isoformat(), "ends_at": a.ends_at.isoformat(),
            "place": a.place, "lon": point.x, "lat": point.y, "needed": a.needed, "signed_up": signed_up,
            "checked_in": checked_in, "full": signed_up >= a.needed, "cancelled": a.cancelled,
            "over": a.ends_at <= now, "checkin_open": in_window(a, now),
            "duration_hours": float(default_hours(a))}


def in_window(activity: Activity, now: datetime) -> bool:
    """Whether a check-in is accepted now (the activity's time ± WINDOW_MARGIN, not cancelled)."""
    return not activity.cancelled and activity.starts_at - WINDOW_MARGIN <= now <= activity.ends_at + WINDOW_MARGIN


def default_hours(activity: Activity) -> Decimal:
    """The activity's duration in hours to one decimal: the hours a checked-in member gets unless changed."""
    seconds = (activity.ends_at - activity.starts_at).total_seconds()
    return min(Decimal(24), Decimal(round(seconds / 3600, 1)).quantize(Decimal("0.1")))


def signup_json(s: ActivitySignup, name: str | None = None, distance_m: float | None = None) -> dict:
    """A sign-up with its check-in (point, far flag) and confirmed hours."""
    point = None if s.checkin_geom is None else to_shape(s.checkin_geom)
    item = {"activity_id": s.activity_id, "member_id": s.member_id, "signed_up_at": s.signed_up_at.isoformat(),
            "checked_in_at": s.checked_in_at.isoformat() if s.checked_in_at else None,
            "checkin_lon": point.x if point else None, "checkin_lat": point.y if point else None,
            "checkin_without_position": s.checked_in_at is not None and point is None,
            "far_from_place": s.far_from_place, "hours": float(s.hours) if s.hours is not None else None,
            "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None}
    if name is not None:
        item["name"] = name
    if distance_m is not None:
        item["distance_m"] = round(distance_m, 1)
    return item


def signups_of(session: Session, user: User, activity: Activity) -> list[dict]:
    """The activity's sign-ups with names and check-in distance (desk and street only: members see no one else)."""
    if user.role == "member":
        raise Forbidden("members see their own sign-up only", code="forbidden")
    distance = func.ST_Distance(cast(ActivitySignup.checkin_geom, Geography), cast(Activity.geom, Geography))
    rows = session.execute(select(ActivitySignup, PartyMember.name, distance)
                           .join(PartyMember, ActivitySignup.member_id == PartyMember.id)
                           .join(Activity, ActivitySignup.activity_id == Activity.id)
                           .where(ActivitySignup.activity_id == activity.id)
                           .order_by(ActivitySignup.signed_up_at, ActivitySignup.id))
    return [signup_json(s, name if user.role != "street" else mask_name(name), dist) for s, name, dist in rows]


def _signup_of(session: Session, activity: Activity, member: PartyMember, *, for_update: bool = False):
    query = select(ActivitySignup).where(ActivitySignup.activity_id == activity.id,
                                         ActivitySignup.member_id == member.id)
    return session.scalar(query.with_for_update() if for_update else query)


def _open_activity(session: Session, user: User, activity_id: int, now: datetime) -> tuple[PartyMember, Activity]:
    member = acting_member(session, user)
    activity = get_activity(session, user, activity_id, for_update=True)  # serialises sign-ups of this activity
    if activity.cancelled:
        raise Conflict(f"activity {activity.id} is cancelled", code="activity_cancelled")
    if activity.ends_at <= now:
        raise Conflict(f"activity {activity.id} is over", code="activity_over")
    return member, activity


def signup(session: Session, user: User, activity_id: int, *, now: datetime | None = None) -> tuple[ActivitySignup, bool]:
    """The member signs up (True) or already is (False); 409 when full, over or cancelled. Flush only."""
    now = now or clock.now()
    member, activity = _open_activity(session, user, activity_id, now)
    existing = _signup_of(session, activity, member)
    if existing is not None:
        return existing, False
    taken = session.scalar(select(func.count()).where(ActivitySignup.activity_id == activity.id))
    if taken >= activity.needed:
        raise Conflict(f"activity {activity.id} is full ({activity.needed} people)", code="activity_full")
    row = ActivitySignup(activity_id=activity.id, member_id=member.id, signed_up_at=now)
    session.add(row)
    session.flush()
    return row, True


def withdraw(session: Session, user: User, activity_id: int, *, now: datetime | None = None) -> None:
    """The member takes back a sign-up (not after checking in, not once the activity is over). Flush only."""
    now = now or clock.now()
    member, activity = _open_activity(session, user, activity_id, now)
    row = _signup_of(session, activity, member, for_update=True)
    if row is None:
        raise Conflict(f"you are not signed up for activity {activity.id}", code="not_signed_up")
    if row.checked_in_at is not None:
        raise Conflict("you have checked in: the secretary settles your hours", code="checked_in")
    session.delete(row)
    session.flush()


def parse_checkin(body) -> tuple[float | None, float | None]:
    """The phone's position from {lon, lat, crs?} in WGS84, or (None, None) for an empty body."""
    if body is None:
        return None, None
    if not isinstance(body, dict):
        raise InvalidInput('body must be a JSON object {"lon": ..., "lat": ..., "crs": "wgs84|gcj02"} or empty',
                           code="bad_body")
    return _point(body, required=False)


def checkin(session: Session, user: User, activity_id: int, lon: float | None, lat: float | None, *,
            now: datetime | None = None) -> tuple[ActivitySignup, bool]:
    """Check the member in (True) or return the first check-in (False); flags it far from the place."""
    now = now or clock.now()
    member = acting_member(session, user)
    activity = get_activity(session, user, activity_id)
    row = _signup_of(session, activity, member, for_update=True)  # a double tap waits for the first
    if row is None:
        raise Conflict(f"sign up for activity {activity.id} first", code="not_signed_up")
    if row.checked_in_at is not None:
        return row, False
    if activity.cancelled:
        raise Conflict(f"activity {activity.id} is cancelled", code="activity_cancelled")
    if not in_window(activity, now):
        raise Conflict(f"check-in is open from {int(WINDOW_MARGIN.total_seconds() // 60)} minutes before the start "
                       f"until {int(WINDOW_MARGIN.total_seconds() // 60)} minutes after the end", code="outside_window")
    row.checked_in_at = now
    if lon is not None:
        point = from_shape(Point(lon, lat), srid=4326)
        row.checkin_geom = point
        row.far_from_place = bool(session.scalar(select(
            func.ST_Distance(cast(Activity.geom, Geography), cast(point, Geography)) > FAR_FROM_PLACE_M)
            .where(Activity.id == activity.id)))
    session.flush()
    return row, True


def cancel(session: Session, user: User, activity_id: int, *, now: datetime | None = None) -> Activity:
    """The desk cancels an activity that is not over (audited; sign-ups are kept). Flush only."""
    scope.require_party_role(user, desk=True)
    activity = get_activity(session, user, activity_id, for_update=True)
    if activity.ends_at <= (now or clock.now()):
        raise Conflict(f"activity {activity.id} is over", code="activity_over")
    if not activity.cancelled:
        activity.cancelled = True
        audit.record(session, "activity-cancel", {"activity": activity.id}, actor=user)
        session.flush()
    return activity
