"""Checking a member's registration (phone form, API, spreadsheet row) and finding the home building.

The home building is named by its code, or found from a point: the building containing it, else the
nearest one within HOME_SNAP_M (a phone's fix in the courtyard). Every check runs before any write.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grid_app.models import Building
from grid_app.models.party import PartyUnit
from grid_app.people.sheet import PHONE
from grid_app.places.locate import check_coordinates, locate_one
from grid_app.platform.errors import InvalidInput, NotFound
from grid_app.platform.text import optional_text

HOME_SNAP_M = 50.0  # a point this close to a building, and in none, is taken as that building
MAX_LEN = {"name": 50, "employer_name": 200, "employer_party_org": 200, "skills": 500, "building": 32,
           "unit": 32}

_NEAREST = text("""
SELECT id FROM building
WHERE ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography, :d)
ORDER BY ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography), code LIMIT 1
""")


@dataclass
class Registration:
    """A checked registration, ready to write."""

    name: str
    phone: str
    building: Building
    unit: PartyUnit | None
    employer_name: str | None
    employer_party_org: str | None
    skills: str | None


def normalise_phone(raw: str | None) -> str | None:
    """Spaces, brackets and +86 removed; None when empty."""
    return re.sub(r"[\s()]", "", raw or "").removeprefix("+86") or None


def check_phone(raw) -> str:
    """A mobile (11 digits) or landline number; InvalidInput otherwise."""
    if not isinstance(raw, str) or not normalise_phone(raw):
        raise InvalidInput("phone is required", code="bad_phone")
    phone = normalise_phone(raw)
    if not PHONE.fullmatch(phone):
        raise InvalidInput("phone is not a mobile (11 digits) or landline number", code="bad_phone")
    return phone


def building_by_code(session: Session, code: str) -> Building:
    """The building with this code; InvalidInput (a bad field, not a missing page) otherwise."""
    found = session.scalar(select(Building).where(Building.code == code))
    if found is None:
        raise InvalidInput(f"no building with code {code!r}", code="bad_building")
    return found


def building_at(session: Session, lon, lat, crs: str = "wgs84", snap_m: float = 30.0) -> Building:
    """The building containing the point, else the nearest within HOME_SNAP_M; InvalidInput otherwise."""
    x, y = check_coordinates(lon, lat, crs or "wgs84")
    located = locate_one(session, x, y, snap_m)
    if located.building is not None:
        return session.get(Building, located.building.id)
    near = session.scalar(_NEAREST, {"x": x, "y": y, "d": HOME_SNAP_M})
    if near is None:
        raise InvalidInput(f"no building within {HOME_SNAP_M:.0f} m of this position: choose it by code",
                           code="bad_building")
    return session.get(Building, near)


def unit_by_code(session: Session, code: str) -> PartyUnit:
    """A registered unit by its code; InvalidInput otherwise."""
    found = session.scalar(select(PartyUnit).where(PartyUnit.code == code))
    if found is None:
        raise InvalidInput(f"no registered unit with code {code!r}", code="bad_unit")
    return found


def check_registration(session: Session, data, *, snap_m: float = 30.0) -> Registration:
    """A registration from a dict (JSON body or form): name, phone, building or lon/lat, unit or employer_name."""
    if not isinstance(data, dict):
        raise InvalidInput("body must be a JSON object", code="bad_body")
    name = optional_text(data.get("name"), "name", MAX_LEN["name"])
    if not name:
        raise InvalidInput("name is required", code="bad_name")
    phone = check_phone(data.get("phone"))
    code = optional_text(data.get("building"), "building", MAX_LEN["building"])
    if code:
        building = building_by_code(session, code)
    elif data.get("lon") not in (None, "") and data.get("lat") not in (None, ""):
        building = building_at(session, data.get("lon"), data.get("lat"), data.get("crs") or "wgs84", snap_m)
    else:
        raise InvalidInput("give the home building's code, or lon and lat of the home", code="bad_building")
    unit_code = optional_text(data.get("unit"), "unit", MAX_LEN["unit"])
    unit = unit_by_code(session, unit_code) if unit_code else None
    employer = optional_text(data.get("employer_name"), "employer_name", MAX_LEN["employer_name"])
    if unit is None and not employer:
        raise InvalidInput("give the employer: a registered unit's code or its name", code="bad_employer")
    return Registration(
        name=name, phone=phone, building=building, unit=unit, employer_name=None if unit else employer,
        employer_party_org=optional_text(data.get("employer_party_org"), "employer_party_org",
                                         MAX_LEN["employer_party_org"]) or (unit.party_org_name if unit else None),
        skills=optional_text(data.get("skills"), "skills", MAX_LEN["skills"]))


def not_found_member(member_id) -> NotFound:
    """The one 404 for a member record that is absent or out of scope."""
    return NotFound(f"no party member {member_id}", code="party_member_not_found")


def search_buildings(session: Session, query: str, limit: int = 20) -> list[dict]:
    """Buildings whose code starts with, or whose area + name contains, the query (the form's picker)."""
    query = (optional_text(query, "q", 50, code="bad_query") or "")
    if len(query) < 2:
        return []
    like = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.execute(text("""
        SELECT b.code, b.name, ra.name AS area, c.name AS community
        FROM building b JOIN community c ON c.id = b.community_id
        LEFT JOIN residential_area ra ON ra.id = b.residential_area_id
        WHERE b.code LIKE :prefix OR concat(ra.name, b.name) ILIKE :inside OR b.name ILIKE :inside
        ORDER BY b.code LIMIT :limit"""), {"prefix": like + "%", "inside": f"%{like}%", "limit": limit}).mappings()
    return [{"code": r["code"], "label": f"{r['community']} {r['area'] or ''}{r['name']}"} for r in rows]
