"""双报告: what each registered member did in one quarter, grouped by employer, for the employer's party organisation.

Per employer unit (a registered PartyUnit; members who only typed an employer name are grouped under
that name) and per member of the communities in scope: the registration (date, status, community,
党小组), the posts held during the quarter, the activities starting in it (signed up, checked in,
far-from-place flag), the hours the secretary confirmed for those activities, the wishes fulfilled in
it and the community's remark. Quarter bounds are in the display zone (quarters.py). One query per
family (members, organisations, posts, sign-ups, wishes, remarks), never one per member.
Members listed: approved, or left, and registered by the quarter's last day (pending and rejected
registrations are not yet anyone's 报到). Cancelled activities are left out.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from grid_app.models import Building, Community
from grid_app.models.party import PartyMember, PartyUnit
from grid_app.models.party_service import Activity, ActivitySignup, MemberRemark, PostClaim, ServicePost, Wish
from grid_app.party.membership import organisations_of
from grid_app.party.quarters import Quarter
from grid_app.people.crypto import Keyring
from grid_app.people.masking import mask_name, mask_phone
from grid_app.platform.errors import NotFound

REPORTED_STATUSES = ("approved", "left")
STATUS_NAMES = {"approved": ("已报到", "Registered"), "left": ("已退出", "Left")}


@dataclass
class ActivityLine:
    """One activity a member signed up for."""

    title: str
    starts_at: datetime
    checked_in: bool
    far: bool
    hours: Decimal | None  # confirmed hours, None while unconfirmed


@dataclass
class MemberLine:
    """One member's quarter."""

    id: int
    name: str
    phone: str | None  # masked
    registered_on: date
    status: str
    community: str
    party_group: str | None
    posts: list[str] = field(default_factory=list)
    activities: list[ActivityLine] = field(default_factory=list)
    wishes: list[str] = field(default_factory=list)
    remark: str | None = None

    @property
    def signed_up_count(self) -> int:
        """Activities signed up for."""
        return len(self.activities)

    @property
    def wish_count(self) -> int:
        """Wishes fulfilled."""
        return len(self.wishes)

    @property
    def checked_in(self) -> int:
        """Activities checked in to."""
        return sum(a.checked_in for a in self.activities)

    @property
    def far(self) -> int:
        """Check-ins flagged far from the place."""
        return sum(a.checked_in and a.far for a in self.activities)

    @property
    def hours(self) -> Decimal:
        """Confirmed hours of the quarter's activities."""
        return sum((a.hours for a in self.activities if a.hours is not None), Decimal("0"))


@dataclass
class UnitSection:
    """One employer: a registered unit (code) or a typed employer name (no code)."""

    code: str | None
    name: str
    party_org: str | None
    members: list[MemberLine] = field(default_factory=list)

    @property
    def key(self) -> str:
        """What identifies the section in forms and anchors."""
        return self.code or f"name:{self.name}"

    def total(self, attribute: str):
        """The sum of one member figure over the section."""
        values = [getattr(m, attribute) for m in self.members]
        return sum(values, Decimal("0")) if attribute == "hours" else sum(values)


@dataclass
class Report:
    """The quarter's report: one section per employer, registered units first (by code), then typed names."""

    quarter: Quarter
    communities: list[Community]
    sections: list[UnitSection]


def build(session: Session, keys: Keyring, quarter: Quarter, zone: tzinfo, *,
          communities: list[Community], unit_code: str | None = None, full_names: bool = True) -> Report:
    """The report for members living in ``communities`` (already scoped by the caller), optionally one unit.

    ``full_names=False`` masks the names (王*), as the street's lists of members show them.
    """
    start, end = quarter.bounds(zone)
    query = (select(PartyMember, PartyUnit, Community)
             .join(Building, PartyMember.building_id == Building.id)
             .join(Community, Building.community_id == Community.id)
             .outerjoin(PartyUnit, PartyMember.unit_id == PartyUnit.id)
             .where(Community.id.in_([c.id for c in communities]),
                    PartyMember.status.in_(REPORTED_STATUSES),
                    PartyMember.registered_on < quarter.next_first_day)
             .order_by(PartyMember.registered_on, PartyMember.id))
    if unit_code is not None:
        unit = session.scalar(select(PartyUnit).where(PartyUnit.code == unit_code))
        if unit is None:
            raise NotFound(f"no registered unit with code {unit_code!r}", code="unit_not_found")
        query = query.where(PartyMember.unit_id == unit.id)
    found = session.execute(query).all()
    ids = [m.id for m, _, _ in found]
    orgs = organisations_of(session, ids)
    lines = {m.id: MemberLine(id=m.id, name=m.name if full_names else mask_name(m.name), phone=mask_phone(keys.decrypt("phone", m.phone_cipher)),
                              registered_on=m.registered_on, status=m.status, community=c.name,
                              party_group=orgs.get(m.id, {}).get("party_group")
                              or orgs.get(m.id, {}).get("party_branch"))
             for m, _, c in found}
    if ids:
        _fill(session, lines, ids, quarter, start, end)
    sections: dict[str, UnitSection] = {}
    for member, unit, _ in found:
        section = (UnitSection(unit.code, unit.name, unit.party_org_name) if unit is not None
                   else UnitSection(None, member.employer_name or "", member.employer_party_org))
        section = sections.setdefault(section.key, section)
        section.party_org = section.party_org or (member.employer_party_org if unit is None else None)
        section.members.append(lines[member.id])
    ordered = sorted(sections.values(), key=lambda s: (s.code is None, s.code or s.name))
    return Report(quarter, communities, ordered)


def _fill(session: Session, lines: dict[int, MemberLine], ids: list[int], quarter: Quarter,
          start: datetime, end: datetime) -> None:
    """Posts, activities, wishes and remarks of the members, one query each."""
    posts = session.execute(
        select(PostClaim.member_id, ServicePost.name).join(ServicePost, PostClaim.post_id == ServicePost.id)
        .where(PostClaim.member_id.in_(ids), PostClaim.claimed_at < end,
               or_(PostClaim.released_at.is_(None), PostClaim.released_at > start))
        .order_by(PostClaim.claimed_at, PostClaim.id))
    for member_id, name in posts:
        if name not in lines[member_id].posts:  # a post released and claimed again is one post held
            lines[member_id].posts.append(name)
    signups = session.execute(
        select(ActivitySignup.member_id, Activity.title, Activity.starts_at, ActivitySignup.checked_in_at,
               ActivitySignup.far_from_place, ActivitySignup.hours, ActivitySignup.confirmed_at)
        .join(Activity, ActivitySignup.activity_id == Activity.id)
        .where(ActivitySignup.member_id.in_(ids), Activity.starts_at >= start, Activity.starts_at < end,
               Activity.cancelled.is_(False))
        .order_by(Activity.starts_at, Activity.id))
    for member_id, title, starts_at, checked_in_at, far, hours, confirmed_at in signups:
        lines[member_id].activities.append(ActivityLine(
            title, starts_at, checked_in_at is not None, bool(far),
            hours if hours is not None and confirmed_at is not None else None))
    wishes = session.execute(
        select(Wish.member_id, Wish.title)
        .where(Wish.member_id.in_(ids), Wish.status == "fulfilled", Wish.fulfilled_at >= start,
               Wish.fulfilled_at < end)
        .order_by(Wish.fulfilled_at, Wish.id))
    for member_id, title in wishes:
        lines[member_id].wishes.append(title)
    remarks = session.execute(select(MemberRemark.member_id, MemberRemark.remark).where(
        MemberRemark.member_id.in_(ids), MemberRemark.quarter_start == quarter.first_day))
    for member_id, remark in remarks:
        lines[member_id].remark = remark


def status_name(status: str, lang: str = "zh") -> str:
    """A member status as the report shows it."""
    zh, en = STATUS_NAMES.get(status, (status, status))
    return zh if lang == "zh" else en


REPORT_ROLES = ("admin", "street", "secretary")  # who reads the report; PARTY_DESK_ROLES write remarks


def require_report_role(user) -> None:
    """Refuse roles that do not read the 双报告 report (members, workers, planners, the api role)."""
    from grid_app.access import scope
    from grid_app.platform.errors import Forbidden
    if user.role not in REPORT_ROLES:
        raise Forbidden(f"role {user.role!r} may not read the party report", code="forbidden")
    scope.require_party_role(user)


def report_community(session: Session, user, code: str | None) -> Community | None:
    """The community the report is for: a secretary's own by default; None when the user must choose one."""
    from grid_app.party.units import party_community
    require_report_role(user)
    if not code and user.role == "secretary" and user.community_id:
        return session.get(Community, user.community_id)
    return party_community(session, user, code) if code else None
