"""Writing the household register: checked rows upserted by ID-number hash, building counts from the register.

A resident is found by the keyed hash of their ID number under the current or an old key, so a
re-import updates (and re-encrypts under the current key) instead of adding a second row. A resident
without an ID number is found by flat + name + birth date (and so is one whose ID number is new to the
register, so a child's first card updates the child's row). A row with a tags column replaces the
resident's care tags (grid_app/people/care.py). A building
with a register takes its resident and household counts from it (current residents: not moved out);
a building without keeps its estimate. The count change bumps the "buildings" dataset version, so the
coverage job recomputes (coverage weighs homes by building.residents).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tqdm import tqdm

from grid_app.models import Building
from grid_app.models.people import Household, Resident
from grid_app.network.store import bump_version
from grid_app.people.care import replace_cares
from grid_app.people.crypto import Keyring
from grid_app.people.sheet import Person

LOOKUP_CHUNK = 5000


@dataclass
class RegisterReport:
    """What an import wrote (counts only: no personal data)."""

    created: int = 0
    updated: int = 0
    households_created: int = 0
    care_changed: int = 0
    buildings_recounted: list[str] = field(default_factory=list)


def existing_building_codes(session: Session, codes: set[str]) -> set[str]:
    """The codes among `codes` that name stored buildings."""
    return set(session.scalars(select(Building.code).where(Building.code.in_(list(codes)))))


def write_people(session: Session, keys: Keyring, people: list[Person], *, progress: bool = False) -> RegisterReport:
    """Upsert households and residents for checked rows (flush only; the caller commits once)."""
    report = RegisterReport()
    buildings = {b.code: b for b in session.scalars(
        select(Building).where(Building.code.in_({p.building_code for p in people})))}
    flats = {(h.building_id, h.unit, h.room): h for h in session.scalars(
        select(Household).where(Household.building_id.in_([b.id for b in buildings.values()])))}
    found = _residents_by_hash(session, keys, [p.id_number for p in people if p.id_number])
    without_id = _residents_without_id(session, buildings)
    touched, cares = set(), []
    for person in tqdm(people, desc="residents", unit="row", disable=not progress):
        building = buildings[person.building_code]
        key = (building.id, person.unit, person.room)
        household = flats.get(key)
        if household is None:
            household = flats[key] = Household(building_id=building.id, street_code=building.street_code,
                                               unit=person.unit, room=person.room)
            session.add(household)
            report.households_created += 1
        if person.floor is not None:
            household.floor = person.floor
        resident = found.get(person.id_number) or without_id.get(person.flat_key())
        if resident is None:
            resident = Resident()
            session.add(resident)
            report.created += 1
        else:
            touched.add(resident.household.building_id)
            report.updated += 1
        _fill(resident, person, household, keys)
        touched.add(building.id)
        if person.tags is not None:
            cares.append((resident, person.tags))
    session.flush()
    report.care_changed = replace_cares(session, {resident.id: tags for resident, tags in cares})
    # a register import can multiply these tables inside one transaction, where autovacuum cannot see it:
    # without fresh statistics the scope's nested IN lists run as loops over every resident and household
    session.execute(text("ANALYZE household, resident, resident_care"))
    report.buildings_recounted = recount_buildings(session, touched)
    return report


def _residents_by_hash(session: Session, keys: Keyring, numbers: list[str]) -> dict[str, Resident]:
    by_hash = {h: n for n in numbers for h in keys.digests("id_number", n)}
    hashes = list(by_hash)
    found = {}
    for start in range(0, len(hashes), LOOKUP_CHUNK):
        for resident in session.scalars(select(Resident).where(Resident.id_hash.in_(hashes[start:start + LOOKUP_CHUNK]))):
            found[by_hash[resident.id_hash]] = resident
    return found


def _residents_without_id(session: Session, buildings: dict[str, Building]) -> dict[tuple, Resident]:
    """The residents without an ID number in these buildings, by flat + name + birth date."""
    codes = {b.id: code for code, b in buildings.items()}
    rows = session.scalars(select(Resident).join(Household, Resident.household_id == Household.id)
                           .where(Household.building_id.in_(list(codes)), Resident.id_hash.is_(None)))
    return {(codes[r.household.building_id], r.household.unit, r.household.room, r.name, r.birth_date): r
            for r in rows}


def _fill(resident: Resident, person: Person, household: Household, keys: Keyring) -> None:
    resident.household = household
    resident.street_code = household.street_code
    resident.name, resident.sex, resident.birth_date = person.name, person.sex, person.birth_date
    resident.id_cipher = keys.encrypt("id_number", person.id_number)
    resident.id_hash = keys.digest("id_number", person.id_number)
    resident.phone_cipher = keys.encrypt("phone", person.phone)
    resident.phone_hash = keys.digest("phone", person.phone)
    resident.relation, resident.residence_type = person.relation, person.residence_type
    resident.moved_in, resident.moved_out = person.moved_in, person.moved_out


def recount_buildings(session: Session, building_ids: set[int], today: date | None = None) -> list[str]:
    """Set residents/households of buildings with a register from it; bump "buildings" when any changed."""
    if not building_ids:
        return []
    changed = session.execute(text("""
        WITH counts AS (
            SELECT h.building_id,
                   count(r.id) FILTER (WHERE r.moved_out IS NULL OR r.moved_out > :today) AS residents,
                   count(DISTINCT h.id) FILTER (WHERE r.id IS NOT NULL
                                                 AND (r.moved_out IS NULL OR r.moved_out > :today)) AS households
            FROM household h LEFT JOIN resident r ON r.household_id = h.id
            WHERE h.building_id = ANY(:ids)
            GROUP BY h.building_id)
        UPDATE building b SET residents = c.residents, households = c.households
        FROM counts c
        WHERE b.id = c.building_id AND (b.residents, b.households) IS DISTINCT FROM (c.residents, c.households)
        RETURNING b.code"""), {"ids": sorted(building_ids), "today": today or date.today()}).scalars().all()
    if changed:
        bump_version(session, "buildings")  # stored coverage results are now stale
    return sorted(changed)
