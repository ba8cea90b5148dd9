"""Writing the demo's synthetic register: households, residents, care tags and visits, in bulk.

The register write path (grid_app/people/register.py) adds ORM objects one by one, which is right for a
spreadsheet of a few hundred households but slow for the demo's 52,000 residents; here the same
encryption and keyed hashes (the app's keyring) go into COPY. A building that already has households
(an earlier load, or a real import) keeps them, so a reload adds no one twice; care tags are added
where missing and the demo's visits are upserted by their idempotency keys, re-dated to the load date.
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from grid_app.demo_data import people, visit_plan
from grid_app.demo_data.names import GIVEN, SURNAMES
from grid_app.models import Building, Grid, User
from grid_app.models.care import CareLevel, CareTag
from grid_app.models.people import Household, Resident
from grid_app.people.crypto import Keyring
from grid_app.people.register import recount_buildings

LOOKUP_CHUNK = 5000
NO_LOGIN = "!"  # not a password hash: check_password_hash() is False for every password


@dataclass(frozen=True)
class StoredBuilding:
    """A building the register fills, with the point its home visits are made at."""

    id: int
    code: str
    street_code: str
    grid_id: int | None
    grid: str | None
    floors: int | None
    households: int
    residents: int
    lon: float
    lat: float


def load_demo_register(session: Session, keys: Keyring, codes: set[str], now: datetime, zone: tzinfo, *,
                       per_grid: int | None = None) -> list[str]:
    """Fill the demo's buildings (by code) with synthetic people, all or the first `per_grid` of each grid; flush only.

    Only the demo's own buildings: a database holding real buildings never gets synthetic people in them."""
    stored = _buildings(session, codes, per_grid)
    by_code = {b.code: b for b in stored}
    homes = people.generate([people.DemoBuilding(b.code, b.grid, b.floors or 1, b.households, b.residents)
                             for b in stored])
    registered = set(session.scalars(select(Household.building_id).distinct()))
    fresh = [h for h in homes if by_code[h.building].id not in registered]
    _write_homes(session, keys, fresh, by_code)
    key_homes = [(h, m) for h in homes for m in h.members if m.care]
    ids = _resident_ids(session, keys, [m.id_number for _, m in key_homes])
    cares = _write_care(session, key_homes, ids)
    days = dict(session.execute(select(CareLevel.code, CareLevel.visit_days)).all())
    visited = [(h, m) for h, m in key_homes if m.id_number in ids and by_code[h.building].grid_id is not None]
    key_residents = [visit_plan.KeyResident(_visit_key(h, m), h.grid, min(days[level] for _, level in m.care),
                                            by_code[h.building].lon, by_code[h.building].lat) for h, m in visited]
    resident_of = {_visit_key(h, m): (ids[m.id_number], by_code[h.building]) for h, m in visited}
    visits = visit_plan.plan(key_residents, now.astimezone(zone).date(), zone)
    workers = grid_workers(session, {b.grid_id: b.grid for b in stored if b.grid_id is not None})
    _write_visits(session, visits, resident_of, workers)
    # tens of thousands of rows just arrived in this transaction: without fresh statistics the planner still
    # believes these tables empty and nests loops over them for the rest of the load (minutes, not ms)
    session.execute(text("ANALYZE household, resident, resident_care, visit"))
    changed = recount_buildings(session, {by_code[h.building].id for h in fresh})
    return [f"demo register (synthetic people): {len(fresh)} households and "
            f"{sum(len(h.members) for h in fresh)} residents added in {len({h.building for h in fresh})} "
            f"buildings ({len(homes)} households in {len(stored)} buildings in all), {len(ids)} key residents "
            f"({cares} care tags added), {len(visits)} visits dated back from today"
            + (f"; counts changed in {len(changed)} buildings" if changed else "")]


def _buildings(session: Session, codes: set[str], per_grid: int | None) -> list[StoredBuilding]:
    point = func.ST_PointOnSurface(Building.geom)
    rows = session.execute(
        select(Building.id, Building.code, Building.street_code, Building.grid_id, Grid.code, Building.floors,
               Building.households, Building.residents, func.ST_X(point), func.ST_Y(point))
        .outerjoin(Grid, Building.grid_id == Grid.id)
        # A register can only match a building whose every household has somebody in it.
        .where(Building.code.in_(sorted(codes)), Building.households > 0, Building.residents >= Building.households)
        .order_by(Building.code)).all()
    stored = [StoredBuilding(*row) for row in rows]
    if per_grid is None:
        return stored
    taken: dict[str | None, int] = {}
    sliced = []
    for b in stored:
        if taken.get(b.grid, 0) < per_grid:
            taken[b.grid] = taken.get(b.grid, 0) + 1
            sliced.append(b)
    return sliced


def _write_homes(session: Session, keys: Keyring, homes: list[people.Home], by_code: dict) -> None:
    if not homes:
        return
    ids = session.scalars(text("SELECT nextval(pg_get_serial_sequence('household', 'id')) "
                               "FROM generate_series(1, :n)"), {"n": len(homes)}).all()
    flats, persons = [], []
    for hid, home in zip(ids, homes):
        b = by_code[home.building]
        flats.append((hid, b.id, b.street_code, home.unit, home.floor, home.room))
        for m in home.members:
            persons.append((hid, b.street_code, m.name, m.sex, m.birth_date, keys.encrypt("id_number", m.id_number),
                            keys.digest("id_number", m.id_number), keys.encrypt("phone", m.phone),
                            keys.digest("phone", m.phone), m.relation, m.residence_type, m.moved_in))
    copy_rows(session, "household", ("id", "building_id", "street_code", "unit", "floor", "room"), flats)
    copy_rows(session, "resident", ("household_id", "street_code", "name", "sex", "birth_date", "id_cipher", "id_hash",
                                    "phone_cipher", "phone_hash", "relation", "residence_type", "moved_in"), persons)


def copy_rows(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY rows into a table inside the session's transaction (values hold no tab, newline or backslash)."""
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join(r"\N" if v is None else str(v) for v in row))
        buf.write("\n")
    buf.seek(0)
    cursor = session.connection().connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)
    finally:
        cursor.close()


def _resident_ids(session: Session, keys: Keyring, numbers: list[str]) -> dict[str, int]:
    """{ID number: resident id} for the numbers stored under any key."""
    by_hash = {h: n for n in numbers for h in keys.digests("id_number", n)}
    hashes, found = list(by_hash), {}
    for start in range(0, len(hashes), LOOKUP_CHUNK):
        for rid, digest in session.execute(select(Resident.id, Resident.id_hash)
                                           .where(Resident.id_hash.in_(hashes[start:start + LOOKUP_CHUNK]))):
            found[by_hash[digest]] = rid
    return found


def _write_care(session: Session, key_homes, ids: dict[str, int]) -> int:
    tags = dict(session.execute(select(CareTag.code, CareTag.id)).all())
    levels = dict(session.execute(select(CareLevel.code, CareLevel.id)).all())
    rows = [(ids[m.id_number], tags[tag], levels[level]) for _, m in key_homes if m.id_number in ids
            for tag, level in m.care]
    if not rows:
        return 0
    residents, tag_ids, level_ids = (list(column) for column in zip(*rows))
    # A tag the resident already carries keeps its level: a district's own change survives a reload.
    return len(session.execute(text(
        "INSERT INTO resident_care (resident_id, tag_id, level_id) SELECT * FROM unnest(:r, :t, :l) "
        "ON CONFLICT ON CONSTRAINT uq_resident_care_tag DO NOTHING RETURNING id"),
        {"r": residents, "t": tag_ids, "l": level_ids}).all())


def _visit_key(home: people.Home, m: people.Member) -> str:
    # Place and position in the flat, never the ID number: idempotency keys are stored in plain text.
    return f"{home.building}:{home.unit}:{home.room}:{home.members.index(m)}"


def grid_workers(session: Session, grids: dict[int, str]) -> dict[int, int]:
    """{grid id: the user id who visits there}: a worker of the grid, else a demo worker without a password made for it."""
    found = dict(session.execute(text(
        "SELECT DISTINCT ON (ug.grid_id) ug.grid_id, u.id FROM user_grid ug JOIN app_user u ON u.id = ug.user_id "
        "WHERE u.role = 'worker' AND ug.grid_id = ANY(:ids) ORDER BY ug.grid_id, u.active DESC, u.username"),
        {"ids": list(grids)}).all())
    for grid_id, code in sorted(grids.items(), key=lambda g: g[1]):
        if grid_id not in found:
            rng = random.Random(f"{people.SEED}:worker:{code}")
            # Active (the figures name the grid's worker among active accounts) but with no password:
            # nobody can log in as it until an admin gives it one (flask grid user-add).
            user = User(username=f"demo-gw-{code}", display_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                        password_hash=NO_LOGIN, role="worker", active=True,
                        community_id=session.get(Grid, grid_id).community_id, grids=[session.get(Grid, grid_id)])
            session.add(user)
            session.flush()
            found[grid_id] = user.id
    return found


def _write_visits(session: Session, visits: list[visit_plan.PlannedVisit], resident_of: dict,
                  workers: dict[int, int]) -> None:
    rows = []
    for v in visits:
        rid, b = resident_of[v.resident]
        point = None if v.lon is None else f"SRID=4326;POINT({v.lon:.7f} {v.lat:.7f})"
        rows.append((rid, workers[b.grid_id], b.street_code, v.kind, v.at.isoformat(), v.finding,
                     v.follow_up, point, v.far_from_home, v.idempotency_key))
    columns = ("resident_id", "worker_id", "street_code", "kind", "at", "finding", "follow_up", "geom",
               "far_from_home", "idempotency_key")
    session.execute(text("DROP TABLE IF EXISTS demo_visit_in"))
    session.execute(text("CREATE TEMP TABLE demo_visit_in (LIKE visit INCLUDING DEFAULTS)"))
    copy_rows(session, "demo_visit_in", columns, rows)
    listed = ", ".join(columns)
    # Upserted by key: a reload re-dates the same visits (a visit turned into a case keeps its row).
    session.execute(text(f"INSERT INTO visit ({listed}) SELECT {listed} FROM demo_visit_in "
                         f"ON CONFLICT (idempotency_key) DO UPDATE SET "
                         + ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "idempotency_key")))
    session.execute(text("DROP TABLE demo_visit_in"))
