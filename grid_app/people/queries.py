"""Reading the register in the one scope, masked; revealing one full value, audited."""
from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload

from grid_app.access import scope
from grid_app.models import Building, Grid, User
from grid_app.models.people import Household, Resident
from grid_app.people.crypto import Keyring
from grid_app.people.masking import mask_id, mask_name, mask_phone
from grid_app.platform import audit
from grid_app.platform.errors import InvalidInput, NotFound

REVEALABLE = {"id_number": "id_cipher", "phone": "phone_cipher"}
MAX_REASON = 500


def current_resident():
    """A WHERE clause over Resident: still living here (not moved out, or moving out later)."""
    return Resident.moved_out.is_(None) | (Resident.moved_out > func.current_date())


def _building(session: Session, user: User, code: str) -> Building:
    found = session.scalar(select(Building).where(Building.code == code, scope.building_register_clause(user)))
    if found is None:
        raise NotFound(f"no building with code {code!r}", code="building_not_found")
    return found


def grid_in_scope(session: Session, user: User, code: str) -> Grid:
    """The grid if its register is in the user's scope; NotFound otherwise."""
    visible = scope.grid_ids(user)
    query = select(Grid).where(Grid.code == code)
    if visible is not None:
        query = query.where(Grid.id.in_(visible))
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"no grid with code {code!r}", code="grid_not_found")
    return found


def list_residents(session: Session, user: User, keys: Keyring, *, building: str | None = None,
                   grid: str | None = None, limit: int = 500, offset: int = 0) -> dict:
    """Residents the user reads, masked, optionally of one building or grid (a named place out of scope: 404)."""
    scope.require_register_role(user)
    if building and grid:
        raise InvalidInput("give building or grid, not both", code="bad_filter")
    where = [scope.resident_clause(user)]
    if building:
        where.append(Household.building_id == _building(session, user, building).id)
    if grid:
        where.append(Building.grid_id == grid_in_scope(session, user, grid).id)
    base = select(Resident).join(Household, Resident.household_id == Household.id).join(
        Building, Household.building_id == Building.id).where(and_(*where))
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    rows = session.scalars(base.options(joinedload(Resident.household).joinedload(Household.building))
                           .order_by(Building.code, Household.unit, Household.room, Resident.id)
                           .limit(limit).offset(offset)).all()
    return {"total": total, "residents": [resident_json(r, keys) for r in rows]}


def get_resident(session: Session, user: User, resident_id: int) -> Resident:
    """The resident if the user reads them; NotFound otherwise (out of scope looks absent)."""
    scope.require_register_role(user)
    found = session.scalar(select(Resident).where(Resident.id == resident_id, scope.resident_clause(user)))
    if found is None:
        raise NotFound(f"no resident {resident_id}", code="resident_not_found")
    return found


def list_households(session: Session, user: User, *, building: str, limit: int = 500, offset: int = 0) -> dict:
    """The flats of one building with the number of current residents (no names)."""
    scope.require_register_role(user)
    if not building:
        raise InvalidInput("building (a building code) is required", code="bad_filter")
    found = _building(session, user, building)
    current = func.count(Resident.id).filter(current_resident())
    rows = session.execute(
        select(Household, current).outerjoin(Resident, Resident.household_id == Household.id)
        .where(Household.building_id == found.id, scope.household_clause(user))
        .group_by(Household.id).order_by(Household.unit, Household.room).limit(limit).offset(offset)).all()
    return {"building": found.code, "households": [
        {"id": h.id, "unit": h.unit, "floor": h.floor, "room": h.room, "residents": n} for h, n in rows]}


def resident_json(resident: Resident, keys: Keyring) -> dict:
    """A resident as every list and detail shows them: masked, birth year only."""
    household = resident.household
    return {
        "id": resident.id,
        "building": household.building.code, "unit": household.unit, "floor": household.floor,
        "room": household.room, "household_id": household.id,
        "name": mask_name(resident.name), "sex": resident.sex, "birth_year": resident.birth_date.year,
        "id_number": mask_id(keys.decrypt("id_number", resident.id_cipher)),
        "phone": mask_phone(keys.decrypt("phone", resident.phone_cipher)),
        "relation": resident.relation, "residence_type": resident.residence_type,
        "moved_in": _iso(resident.moved_in), "moved_out": _iso(resident.moved_out),
    }


def reveal(session: Session, user: User, keys: Keyring, resident_id: int, field, reason) -> dict:
    """One full value for the community's secretary or an admin, with the reason in the audit log; commit."""
    scope.require_register_role(user, reveal=True)
    if not isinstance(field, str) or field not in REVEALABLE:  # a dict or list is no field name (nor hashable)
        raise InvalidInput(f"field must be one of {', '.join(REVEALABLE)}", code="bad_field")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidInput(f"a reason of 1 to {MAX_REASON} characters is required", code="bad_reason")
    resident = get_resident(session, user, resident_id)
    value = keys.decrypt(field, getattr(resident, REVEALABLE[field]))
    audit.record(session, "resident-reveal", {"resident": resident.id, "field": field, "reason": reason.strip()},
                 actor=user)
    session.commit()
    return {"id": resident.id, "field": field, "value": value}


def _iso(value):
    return value.isoformat() if value else None
