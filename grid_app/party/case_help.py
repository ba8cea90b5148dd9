"""A party member helping with a small case (小事): assigned by the grid worker or secretary, audited.

The helper is beside the workflow, not in it: the case's state, level, handler, deadline, version and
events are never touched here (the grid worker stays responsible). Only a case at grid level takes
a helper (小事不出网格); an escalated one is handled by the community or street. The member reads
the public text and place of the cases they help with, nothing else of the case desk.
"""
from __future__ import annotations

from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from grid_app.access import scope
from grid_app.cases import clock
from grid_app.models import Building, Case, User
from grid_app.models.cases import OPEN_STATES, REDACTED
from grid_app.models.party import PartyMember
from grid_app.models.party_service import CaseHelper
from grid_app.party.wishes import MAX_ID, my_member
from grid_app.people.masking import mask_name
from grid_app.platform import audit
from grid_app.platform.errors import Conflict, Forbidden, InvalidInput, NotFound

ASSIGN_ROLES = ("admin", "secretary", "worker")


def parse_member_id(body) -> int:
    """The {"member_id": n} body of an assignment, or InvalidInput."""
    if not isinstance(body, dict):
        raise InvalidInput('body must be a JSON object {"member_id": ...}', code="bad_body")
    value = body.get("member_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise InvalidInput("member_id must be a party member's id (a positive whole number)", code="bad_member_id")
    return value


def _case_to_staff(session: Session, user: User, case_id: int) -> Case:
    """The case, locked, if the user works it (a case read but not worked: 403; out of scope: 404)."""
    if user.role not in ASSIGN_ROLES:
        raise Forbidden(f"role {user.role!r} may not assign helpers to cases", code="forbidden")
    case = scope.get_case(session, user, case_id, for_update=True)
    scope.require_act(session, user, case)
    return case


def assign(session: Session, user: User, case_id: int, member_id: int) -> tuple[CaseHelper, bool]:
    """Make an approved member of the case's community its helper (True when new or changed); audited."""
    case = _case_to_staff(session, user, case_id)
    if case.level != "grid":
        raise Conflict(f"case {case.id} is escalated to the {case.level} level: only a small case (grid level) "
                       "takes a party member as helper", code="case_escalated")
    if case.state not in OPEN_STATES:
        raise Conflict(f"case {case.id} is {case.state}: it needs no more help", code="case_closed")
    member = session.scalar(select(PartyMember).join(Building, Building.id == PartyMember.building_id)
                            .where(PartyMember.id == member_id, PartyMember.status == "approved",
                                   Building.community_id == case.community_id))
    if member is None:
        raise InvalidInput(f"member {member_id} is not an approved party member of this case's community",
                           code="bad_member_id")
    helper = session.get(CaseHelper, case.id)
    if helper is not None and helper.member_id == member.id:
        return helper, False
    previous = helper.member_id if helper else None
    if helper is None:
        helper = CaseHelper(case_id=case.id)
        session.add(helper)
    helper.member_id, helper.assigned_by, helper.assigned_at = member.id, user.id, clock.now()
    audit.record(session, "case-helper-assign", {"case": case.id, "member": member.id, "previous": previous},
                 actor=user)
    session.flush()
    return helper, True


def remove(session: Session, user: User, case_id: int) -> None:
    """Take the helper off the case; audited. No helper: NotFound."""
    case = _case_to_staff(session, user, case_id)
    helper = session.get(CaseHelper, case.id)
    if helper is None:
        raise NotFound(f"case {case.id} has no helper", code="helper_not_found")
    audit.record(session, "case-helper-remove", {"case": case.id, "member": helper.member_id}, actor=user)
    session.delete(helper)
    session.flush()


def helper_json(helper: CaseHelper, user: User) -> dict:
    """The helper as the case's staff see it (the member's name masked but for the desk roles)."""
    name = helper.member.name
    return {"case_id": helper.case_id, "member": {
        "id": helper.member_id, "name": name if user.role in scope.PARTY_DESK_ROLES else mask_name(name)},
        "assigned_by": helper.assigned_by, "assigned_at": helper.assigned_at.isoformat()}


def cases_i_help(session: Session, user: User) -> list[dict]:
    """The cases a member helps with: category, public text, address, point and whether still open."""
    member = my_member(session, user)
    cases = session.scalars(select(Case).join(CaseHelper, CaseHelper.case_id == Case.id)
                            .where(CaseHelper.member_id == member.id, Case.hidden_at.is_(None))
                            .options(joinedload(Case.category)).order_by(Case.created_at.desc(), Case.id.desc()))
    return [_public_json(c) for c in cases]


def _public_json(case: Case) -> dict:
    point = to_shape(case.geom)
    redacted = case.redacted_at is not None
    return {"id": case.id, "category": case.category.name, "category_en": case.category.name_en,
            "description": REDACTED if redacted else case.description,
            "address": None if redacted else case.address, "lon": round(point.x, 6), "lat": round(point.y, 6),
            "open": case.state in OPEN_STATES, "created_on": case.created_at.date().isoformat()}
