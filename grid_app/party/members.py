"""Party members: writing a registration (found again by phone hash + employer), approval, scoped reads.

Lists and details show the phone masked and the derived organisations (membership.py). A
secretary approves or rejects the pending members of their community (audited); a member account
reads only its own record.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from grid_app.access import scope
from grid_app.models import Building, User
from grid_app.models.party import MEMBER_STATUSES, PartyMember
from grid_app.party.membership import organisations_of
from grid_app.party.registration import Registration, not_found_member
from grid_app.party.units import party_community
from grid_app.people.crypto import Keyring
from grid_app.people.masking import mask_name, mask_phone
from grid_app.platform import audit
from grid_app.platform.errors import Conflict, InvalidInput
from grid_app.platform.text import optional_text

DECISIONS = {"approve": "approved", "reject": "rejected"}


def find_existing(session: Session, keys: Keyring, reg: Registration) -> PartyMember | None:
    """The member with this phone (hash under any key) and the same employer, if stored."""
    employer = (PartyMember.unit_id == reg.unit.id) if reg.unit else and_(
        PartyMember.unit_id.is_(None), PartyMember.employer_name == reg.employer_name)
    return session.scalar(select(PartyMember).where(
        PartyMember.phone_hash.in_(keys.digests("phone", reg.phone)), employer))


def fill(member: PartyMember, reg: Registration, keys: Keyring) -> None:
    """Copy a checked registration onto a record (the phone re-encrypted under the current key)."""
    member.name, member.skills = reg.name, reg.skills
    member.phone_cipher = keys.encrypt("phone", reg.phone)
    member.phone_hash = keys.digest("phone", reg.phone)
    member.unit = reg.unit
    member.unit_id = reg.unit.id if reg.unit else None
    member.employer_name, member.employer_party_org = reg.employer_name, reg.employer_party_org
    member.building = reg.building
    member.building_id, member.street_code = reg.building.id, reg.building.street_code


def register(session: Session, keys: Keyring, reg: Registration, *, today: date | None = None) -> PartyMember:
    """A new pending member (flush only); Conflict when this phone is already registered with this employer."""
    if find_existing(session, keys, reg) is not None:
        raise Conflict("this phone is already registered with this employer", code="already_registered")
    member = PartyMember(status="pending", registered_on=today or date.today())
    fill(member, reg, keys)
    session.add(member)
    session.flush()
    return member


def require_desk_community(session: Session, user: User, building: Building) -> None:
    """Refuse a desk registration of someone whose home lies outside the user's communities."""
    visible = scope.party_community_ids(user)
    if visible is not None and building.community_id not in set(session.scalars(visible)):
        raise InvalidInput(f"building {building.code} is not in your community", code="bad_building")


def member_query(user: User):
    """A select over PartyMember limited to what the user reads."""
    scope.require_party_role(user)
    return select(PartyMember).where(scope.party_member_clause(user))


def get_member(session: Session, user: User, member_id: int, *, for_update: bool = False) -> PartyMember:
    """The member record if the user reads it; NotFound otherwise (out of scope looks absent)."""
    query = member_query(user).where(PartyMember.id == member_id)
    found = session.scalar(query.with_for_update(of=PartyMember) if for_update else query)
    if found is None:
        raise not_found_member(member_id)
    return found


def list_members(session: Session, user: User, keys: Keyring, *, status: str | None = None,
                 community: str | None = None, limit: int = 500, offset: int = 0) -> dict:
    """Members the user reads, masked, optionally of one status or one community (by code)."""
    query = member_query(user)
    if status is not None:
        if status not in MEMBER_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(MEMBER_STATUSES)}", code="bad_status")
        query = query.where(PartyMember.status == status)
    if community:
        found = party_community(session, user, community)
        query = query.join(Building, PartyMember.building_id == Building.id).where(Building.community_id == found.id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(PartyMember.status != "pending", PartyMember.id)
                           .limit(limit).offset(offset)).all()
    return {"total": total, "members": members_json(session, user, keys, rows)}


def members_json(session: Session, user: User, keys: Keyring, members: list[PartyMember]) -> list[dict]:
    """Members as lists and details show them: phone masked, organisations derived."""
    orgs = organisations_of(session, [m.id for m in members])
    return [member_json(m, keys, orgs.get(m.id, {}), full_name=user.role != "street") for m in members]


def member_json(member: PartyMember, keys: Keyring, orgs: dict, *, full_name: bool = True) -> dict:
    """One member: the community's staff see the name (they approve it), the street sees it masked."""
    return {
        "id": member.id, "name": member.name if full_name else mask_name(member.name),
        "phone": mask_phone(keys.decrypt("phone", member.phone_cipher)),
        "unit": {"code": member.unit.code, "name": member.unit.name} if member.unit else None,
        "employer_name": member.unit.name if member.unit else member.employer_name,
        "employer_party_org": member.employer_party_org, "skills": member.skills,
        "registered_on": member.registered_on.isoformat(), "status": member.status,
        "approved_at": member.approved_at.isoformat() if member.approved_at else None,
        **orgs,
    }


def decide(session: Session, user: User, member_id: int, decision: str, note=None) -> PartyMember:
    """Approve or reject a pending member of the secretary's community; audited (flush only)."""
    scope.require_party_role(user, desk=True)
    if decision not in DECISIONS:
        raise InvalidInput(f"decision must be one of {', '.join(DECISIONS)}", code="bad_decision")
    note = optional_text(note, "note", 500, code="bad_note")
    member = get_member(session, user, member_id, for_update=True)
    if member.status != "pending":
        raise Conflict(f"member {member.id} is {member.status}, not pending", code="not_pending")
    member.status = DECISIONS[decision]
    member.review_note = note
    member.approved_by, member.approved_at = user.id, datetime.now(timezone.utc)
    audit.record(session, f"party-member-{decision}", {"member": member.id, "note": note}, actor=user)
    session.flush()
    return member


def pending_of(session: Session, user: User) -> list[PartyMember]:
    """The pending members the user may decide on, oldest first (the approval desk)."""
    scope.require_party_role(user, desk=True)
    return list(session.scalars(member_query(user).where(PartyMember.status == "pending")
                                .order_by(PartyMember.created_at, PartyMember.id)))


def link_account(session: Session, member: PartyMember, account: User) -> None:
    """Attach a `member` login to an approved record (one record per account, one account per record)."""
    if account.role != "member":
        raise InvalidInput("only a `member` account may be linked to a party member", code="bad_role")
    if member.status != "approved":
        raise Conflict(f"member {member.id} is {member.status}: approve them first", code="not_approved")
    taken = session.scalar(select(PartyMember.id).where(
        PartyMember.user_id == account.id, PartyMember.id != member.id))
    if taken is not None:
        raise Conflict(f"account {account.username} is already linked to member {taken}", code="account_taken")
    member.user_id = account.id
    session.flush()
