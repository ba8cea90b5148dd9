"""Exports of the register: admin-only, masked unless asked for with a reason, every one audited.

The columns are the import's (grid_app/people/sheet.py), so an unmasked export re-imports as it is
(residents found by ID number, or flat + name + birth date; tags as `独居老人:红色; ...`). A masked
export shows names by surname, ID numbers and phones masked and the birth year only, like every
list. Cells leave through platform/tables.py (never a formula). The audit line says who, which
scope, masked or not, how many rows and why; it never holds a resident.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from grid_app.access import scope
from grid_app.models import Building, Community, User
from grid_app.models.people import Household, Resident
from grid_app.people.care import cell_text, load_codes, resident_pairs
from grid_app.people.crypto import Keyring
from grid_app.people.masking import mask_id, mask_name, mask_phone
from grid_app.people.sheet import COLUMNS as SHEET_COLUMNS
from grid_app.platform import audit, tables
from grid_app.platform.errors import Forbidden, InvalidInput, NotFound
from grid_app.platform.text import refuse_controls

FORMATS = ("csv", "xlsx")
MAX_REASON = 500
COLUMNS = [(key, zh, en) for key, (zh, en, _) in SHEET_COLUMNS.items()]  # key, Chinese heading, English heading
BATCH = 2000


def check_request(user: User | None, fmt: str, *, unmasked: bool, reason) -> str | None:
    """Refuse a non-admin, an unknown format or an unmasked export without a reason; the stripped reason."""
    if user is not None and user.role != "admin":
        raise Forbidden("only an administrator may export personal data", code="forbidden")
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}", code="bad_format")
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput("reason must be text", code="bad_reason")
    reason = (reason or "").strip() or None
    if reason is not None:
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"reason is longer than {MAX_REASON} characters", code="bad_reason")
        refuse_controls(reason, "reason")
    if unmasked and reason is None:
        raise InvalidInput("an unmasked export needs a reason (it is written to the audit log)", code="bad_reason")
    return reason


def community_filter(session: Session, user: User | None, code: str | None) -> Community | None:
    """The community named by code (None: every community); NotFound when absent or out of scope."""
    if not code:
        return None
    query = select(Community).where(Community.code == code)
    if user is not None:
        query = query.where(scope.place_clause(user, Community))
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"no community with code {code!r}", code="community_not_found")
    return found


def resident_rows(session: Session, keys: Keyring, community: Community | None, *, unmasked: bool) -> list[dict]:
    """The rows of the export in register order (building, unit, room, resident)."""
    query = (select(Resident).join(Household, Resident.household_id == Household.id)
             .join(Building, Household.building_id == Building.id)
             .options(joinedload(Resident.household).joinedload(Household.building))
             .order_by(Building.code, Household.unit, Household.room, Resident.id))
    if community is not None:
        query = query.where(Building.community_id == community.id)
    codes = load_codes(session)
    rows = []
    residents = session.scalars(query).all()
    for start in range(0, len(residents), BATCH):
        batch = residents[start:start + BATCH]
        cares = resident_pairs(session, [r.id for r in batch])
        rows.extend(_row(r, keys, cell_text(cares.get(r.id, []), codes), unmasked) for r in batch)
    return rows


def _row(resident: Resident, keys: Keyring, tags: str, unmasked: bool) -> dict:
    household = resident.household
    id_number = keys.decrypt("id_number", resident.id_cipher)
    phone = keys.decrypt("phone", resident.phone_cipher)
    return {
        "building_code": household.building.code, "unit": household.unit, "floor": household.floor,
        "room": household.room, "name": resident.name if unmasked else mask_name(resident.name),
        "sex": resident.sex,
        "birth_date": resident.birth_date if unmasked else str(resident.birth_date.year),
        "id_number": id_number if unmasked else mask_id(id_number),
        "phone": phone if unmasked else mask_phone(phone),
        "relation": resident.relation, "residence_type": resident.residence_type,
        "moved_in": resident.moved_in, "moved_out": resident.moved_out, "tags": tags,
    }


def write(rows: list[dict], fmt: str, target, lang: str = "zh") -> None:
    """Write the rows as CSV or xlsx to a path or binary file object."""
    if fmt == "csv":
        data = tables.to_csv(rows, COLUMNS, lang)
        if hasattr(target, "write"):
            target.write(data)
        else:
            with open(target, "wb") as out:
                out.write(data)
    else:
        tables.write_xlsx_sheets([("residents", rows, COLUMNS)], lang, target)


def record(session: Session, user: User | None, fmt: str, community: Community | None, *, unmasked: bool,
           rows: int, reason: str | None) -> None:
    """The export's audit line: who (the user or the OS account), what scope, masked or not, rows, why."""
    audit.record(session, "resident-export", {
        "format": fmt, "community": community.code if community is not None else None,
        "masked": not unmasked, "rows": rows, "reason": reason}, actor=user)
