"""微心愿: a resident's small need, raised by the register's staff, claimed and fulfilled by a party member.

A wish has two faces. The register roles (grid worker in their grids, secretary, admin) raise it for a
resident or household, or from a visit, and read the resident link masked. A member of the same
community reads only what the wish says (title, description, grid name, raised date): never the
resident's name, address, id or care tags. The text is never filled in from the register or the
visit's finding: the worker writes what the member needs to know.
First come, first served: a claim locks the wish's row, so of two members claiming at once one wins
and the other gets 409.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from sqlalchemy import false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from grid_app.access import scope
from grid_app.cases import clock
from grid_app.cases.intake import KEY_PATTERN
from grid_app.models import Building, Grid, User
from grid_app.models.party import PartyMember
from grid_app.models.party_service import WISH_STATUSES, Wish
from grid_app.models.people import Household, Resident
from grid_app.people.masking import mask_name
from grid_app.people.queries import get_resident
from grid_app.people.visit_case import visit_in_scope
from grid_app.platform import audit
from grid_app.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from grid_app.platform.text import optional_text

MAX_TITLE = 100
MAX_TEXT = 2000
MAX_ID = 2 ** 31 - 1
READ_ROLES = ("admin", "street", "secretary", "worker", "member")  # planner and api: 403
CANCELLABLE = ("open", "claimed")


@dataclass(frozen=True)
class WishInput:
    """A checked wish: who it is for (not read when raised from a visit), its text, its key."""

    resident_id: int | None
    household_id: int | None
    title: str
    description: str | None
    idempotency_key: str


def _id(body: dict, field: str) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise InvalidInput(f"{field} must be a positive whole number", code=f"bad_{field}")
    return value


def parse_wish(body, *, from_visit: bool = False) -> WishInput:
    """Check {"resident_id" | "household_id", "title", "description"?, "idempotency_key"} or raise InvalidInput."""
    if not isinstance(body, dict):
        raise InvalidInput('body must be a JSON object {"title": ..., "idempotency_key": ...}', code="bad_body")
    resident_id = household_id = None
    if not from_visit:
        resident_id, household_id = _id(body, "resident_id"), _id(body, "household_id")
        if (resident_id is None) == (household_id is None):
            raise InvalidInput("give resident_id or household_id (one of them)", code="bad_target")
    title = optional_text(body.get("title"), "title", MAX_TITLE, code="bad_title")
    if not title:
        raise InvalidInput("title is required: what the member needs to know, without names or addresses",
                           code="bad_title")
    description = optional_text(body.get("description"), "description", MAX_TEXT, code="bad_description")
    key = optional_text(body.get("idempotency_key"), "idempotency_key", 100, code="bad_idempotency_key") or ""
    if not KEY_PATTERN.match(key):
        raise InvalidInput("idempotency_key must be 8-100 letters, digits or . _ : - (a UUID is ideal)",
                           code="bad_idempotency_key")
    return WishInput(resident_id, household_id, title, description, key)


def parse_note(body, field: str = "note", *, required: bool = False) -> str | None:
    """The optional (or required) note of a fulfil or cancel body; an empty body is no note."""
    if body is not None and not isinstance(body, dict):
        raise InvalidInput(f'body must be a JSON object {{"{field}": "..."}}', code="bad_body")
    note = optional_text((body or {}).get(field), field, MAX_TEXT, code=f"bad_{field}")
    if required and not note:
        raise InvalidInput(f"{field} is required: what was done", code=f"bad_{field}")
    return note


# ---- raising (the register roles) ----

def raise_wish(session: Session, user: User, data: WishInput) -> tuple[Wish, bool]:
    """Raise a wish for a resident or household in the user's register scope (True), or the one this key made."""
    scope.require_register_role(user)
    household_id = _household_of(session, user, data)  # out of scope: 404
    existing = _by_key(session, user, data.idempotency_key)
    if existing is not None:
        if existing.visit_id is not None or existing.household_id != household_id or (
                data.resident_id is not None and existing.resident_id != data.resident_id):
            raise Conflict("this idempotency_key belongs to another wish", code="key_in_use")
        return existing, False
    return _store(session, user, data, resident_id=data.resident_id, household_id=household_id)


def raise_from_visit(session: Session, user: User, visit_id: int, data: WishInput) -> tuple[Wish, bool]:
    """Raise the wish of a visit (its resident and grid); a visit gives at most one wish (409 with its id)."""
    scope.require_register_role(user)
    visit = visit_in_scope(session, user, visit_id=visit_id, for_update=True)  # out of scope: 404
    existing = _by_key(session, user, data.idempotency_key)
    if existing is not None and existing.visit_id != visit.id:
        raise Conflict("this idempotency_key belongs to another wish", code="key_in_use")
    made = session.scalar(select(Wish).where(Wish.visit_id == visit.id))
    if made is not None:
        if made.idempotency_key == data.idempotency_key:
            return made, False
        raise Conflict(f"this visit already gave wish {made.id}", code="visit_has_wish", details={"wish_id": made.id})
    resident = session.get(Resident, visit.resident_id)
    return _store(session, user, data, resident_id=resident.id, household_id=resident.household_id,
                  visit_id=visit.id)


def _household_of(session: Session, user: User, data: WishInput) -> int:
    if data.resident_id is not None:
        return get_resident(session, user, data.resident_id).household_id
    found = session.scalar(select(Household.id).where(Household.id == data.household_id,
                                                      scope.household_clause(user)))
    if found is None:
        raise NotFound(f"no household {data.household_id}", code="household_not_found")
    return found


def _store(session: Session, user: User, data: WishInput, *, resident_id, household_id, visit_id=None):
    building = session.scalar(select(Building).join(Household, Household.building_id == Building.id)
                              .where(Household.id == household_id))
    wish = Wish(community_id=building.community_id, street_code=building.street_code, grid_id=building.grid_id,
                resident_id=resident_id, household_id=household_id, visit_id=visit_id, title=data.title,
                description=data.description, status="open", raised_by=user.id, raised_at=clock.now(),
                idempotency_key=data.idempotency_key)
    try:
        with session.begin_nested():
            session.add(wish)
            session.flush()
    except IntegrityError:
        again = _by_key(session, user, data.idempotency_key)  # the same key won a race
        if again is None:
            raise Conflict("this visit already gave a wish", code="visit_has_wish") from None
        return again, False
    return wish, True


def _by_key(session: Session, user: User, key: str) -> Wish | None:
    wish = session.scalar(select(Wish).where(Wish.idempotency_key == key))
    if wish is not None and wish.raised_by != user.id:
        raise Conflict("this idempotency_key belongs to another user's wish", code="key_in_use")
    return wish


# ---- reading ----

def _require_read(user: User) -> None:
    if user.role not in READ_ROLES:
        raise Forbidden(f"role {user.role!r} may not read wishes", code="forbidden")


def my_member(session: Session, user: User) -> PartyMember:
    """The approved party member behind a `member` login; Forbidden for anyone else."""
    if user.role != "member":
        raise Forbidden("only a party member's account may claim and fulfil wishes", code="forbidden")
    member = session.scalar(select(PartyMember).where(PartyMember.user_id == user.id))
    if member is None or member.status != "approved":
        raise Forbidden("your registration is not approved", code="not_approved")
    return member


def _clause(session: Session, user: User, *, any_status: bool = False):
    """A WHERE clause over Wish: what the user reads (a member: open ones and their own, in the home community).

    any_status: a member acting on a wish finds any wish of the community, so that one claimed a moment
    ago answers 409 (taken), not 404.
    """
    _require_read(user)
    if user.role == "member":
        member = session.scalar(select(PartyMember).where(PartyMember.user_id == user.id,
                                                          PartyMember.status == "approved"))
        if member is None:
            return false()
        home = scope.party_community_clause(user, Wish.community_id)
        return home if any_status else home & or_(Wish.status == "open", Wish.member_id == member.id)
    if user.role == "worker":
        return Wish.grid_id.in_(scope.grid_ids(user))
    return scope.party_community_clause(user, Wish.community_id)


def get_wish(session: Session, user: User, wish_id: int, *, for_update: bool = False) -> Wish:
    """The wish if the user reads it; NotFound otherwise (out of scope looks absent)."""
    query = select(Wish).where(Wish.id == wish_id, _clause(session, user, any_status=for_update))
    if for_update:  # first come: the second claimer waits here, then reads the first one's claim
        query = query.with_for_update(of=Wish).execution_options(populate_existing=True)
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"no wish {wish_id}", code="wish_not_found")
    return found


def list_wishes(session: Session, user: User, *, status: str | None = None, community: str | None = None,
                limit: int = 500, offset: int = 0) -> dict:
    """Wishes the user reads, newest first; a member's default is the open ones of their community."""
    if status is not None and status not in WISH_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(WISH_STATUSES)}", code="bad_status")
    query = select(Wish).where(_clause(session, user))
    if status:
        query = query.where(Wish.status == status)
    if community:
        if user.role == "member":  # a member reads their home community only
            raise InvalidInput("community is not a filter for members", code="bad_filter")
        query = query.where(Wish.community_id == scope.community_in_scope(session, user, community).id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(session.scalars(query.options(joinedload(Wish.member)).order_by(Wish.raised_at.desc(), Wish.id.desc())
                                .limit(limit).offset(offset)))
    return {"total": total, "wishes": wishes_json(session, user, rows)}


def wishes_json(session: Session, user: User, wishes: list[Wish]) -> list[dict]:
    """Wishes as the user may see them: members the wish's own words, staff the resident link masked."""
    grids = dict(session.execute(select(Grid.id, Grid.name).where(
        Grid.id.in_({w.grid_id for w in wishes if w.grid_id}))).all()) if wishes else {}
    if user.role == "member":
        mine = my_member(session, user).id if wishes else None
        return [_member_json(w, grids, mine) for w in wishes]
    links = _resident_links(session, wishes) if user.role in scope.REGISTER_ROLES else {}
    return [_staff_json(w, grids, links.get(w.id), user) for w in wishes]


def _common(wish: Wish, grids: dict) -> dict:
    return {"id": wish.id, "title": wish.title, "description": wish.description, "status": wish.status,
            "grid": grids.get(wish.grid_id), "raised_on": wish.raised_at.date().isoformat()}


def _member_json(wish: Wish, grids: dict, mine: int | None) -> dict:
    """What a member sees: the wish's words, the grid's name, the day it was raised; nothing of the register."""
    item = _common(wish, grids)
    item["claimed_by_me"] = mine is not None and wish.member_id == mine
    if item["claimed_by_me"]:
        item.update(claimed_at=_iso(wish.claimed_at), fulfilled_at=_iso(wish.fulfilled_at),
                    fulfil_note=wish.fulfil_note)
    return item


def _staff_json(wish: Wish, grids: dict, link: dict | None, user: User) -> dict:
    item = _common(wish, grids)
    member = wish.member
    item.update(raised_at=_iso(wish.raised_at), claimed_at=_iso(wish.claimed_at), fulfilled_at=_iso(wish.fulfilled_at),
                fulfil_note=wish.fulfil_note, hours_to_fulfil=hours_to_fulfil(wish), visit_id=wish.visit_id
                if user.role in scope.REGISTER_ROLES else None,
                member=None if member is None else {
                    "id": member.id,
                    "name": member.name if user.role in scope.PARTY_DESK_ROLES else mask_name(member.name)})
    if user.role in scope.REGISTER_ROLES:  # the register's masked link; the street reads no register
        item["resident"] = link
    return item


def _resident_links(session: Session, wishes: list[Wish]) -> dict[int, dict]:
    ids = [w.id for w in wishes if w.household_id]
    rows = session.execute(
        select(Wish.id, Resident.id, Resident.name, Building.code, Building.name, Household.unit, Household.room)
        .join(Household, Household.id == Wish.household_id).join(Building, Building.id == Household.building_id)
        .outerjoin(Resident, Resident.id == Wish.resident_id).where(Wish.id.in_(ids))).all() if ids else []
    return {wid: {"id": rid, "name": mask_name(name), "building": code, "building_name": bname,
                  "unit": unit, "room": room} for wid, rid, name, code, bname, unit, room in rows}


def hours_to_fulfil(wish: Wish) -> float | None:
    """Time to fulfil: fulfilled_at − raised_at, in hours (None until fulfilled)."""
    if wish.fulfilled_at is None:
        return None
    return round((wish.fulfilled_at - wish.raised_at).total_seconds() / 3600, 1)


def summary(session: Session, user: User, community: str | None = None) -> dict:
    """Counts per status and the time to fulfil (mean, median hours) of the wishes the user reads."""
    query = select(Wish).where(_clause(session, user))
    if community:
        query = query.where(Wish.community_id == scope.community_in_scope(session, user, community).id)
    rows = query.subquery()
    counts = dict(session.execute(select(rows.c.status, func.count()).group_by(rows.c.status)).all())
    hours = [h for h in (hours_to_fulfil(w) for w in session.scalars(query.where(Wish.status == "fulfilled")))
             if h is not None]
    return {"counts": {s: counts.get(s, 0) for s in WISH_STATUSES}, "fulfilled": len(hours),
            "mean_hours": round(sum(hours) / len(hours), 1) if hours else None,
            "median_hours": round(median(hours), 1) if hours else None}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


# ---- claiming, fulfilling (the member), cancelling (the register roles) ----

def claim(session: Session, user: User, wish_id: int) -> Wish:
    """The member takes an open wish of their community; a wish already taken is 409 (flush only)."""
    member = my_member(session, user)
    wish = get_wish(session, user, wish_id, for_update=True)
    if wish.status != "open":
        raise Conflict(f"wish {wish.id} is {wish.status}: someone was quicker", code="wish_not_open")
    wish.status, wish.member_id, wish.claimed_at = "claimed", member.id, clock.now()
    session.flush()
    return wish


def fulfil(session: Session, user: User, wish_id: int, note: str) -> Wish:
    """The claimer reports the wish fulfilled with a note (flush only); anyone else 403."""
    member = my_member(session, user)
    wish = get_wish(session, user, wish_id, for_update=True)
    if wish.member_id != member.id:
        raise Forbidden("only the member who claimed this wish may report it fulfilled", code="not_your_wish")
    if wish.status != "claimed":
        raise Conflict(f"wish {wish.id} is {wish.status}, not claimed", code="wish_not_claimed")
    wish.status, wish.fulfilled_at, wish.fulfil_note = "fulfilled", clock.now(), note
    session.flush()
    return wish


def cancel(session: Session, user: User, wish_id: int, reason: str | None) -> Wish:
    """The grid worker, secretary or admin withdraws an open or claimed wish; audited (flush only)."""
    scope.require_register_role(user)
    wish = get_wish(session, user, wish_id, for_update=True)
    if wish.status not in CANCELLABLE:
        raise Conflict(f"wish {wish.id} is {wish.status}", code="wish_closed")
    wish.status = "cancelled"
    audit.record(session, "wish-cancel", {"wish": wish.id, "member": wish.member_id, "reason": reason}, actor=user)
    session.flush()
    return wish
