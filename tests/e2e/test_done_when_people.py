"""Issue 15, "Done when", walked through the real CLI and HTTP API: a secretary imports a few hundred
households, the worker's phone lists the visits due in the worker's grids, a home visit sent twice
arrives once and becomes a case in the right grid, the secretary's coverage moves by exactly that visit,
and nobody outside the grid, nor any map, tile or public endpoint, shows these residents."""
from __future__ import annotations

import pytest
from geoalchemy2.shape import from_shape
from sqlalchemy import func, select

from grid_app.models import Building, Case, Community, Grid
from grid_app.models.care import ResidentCare, Visit
from grid_app.models.people import Household, Resident
from grid_app.people.masking import mask_id, mask_phone

from .. import district as d
from ..geo import box, lonlat, multi
from ..people.test_no_leak import text_of, urls
from . import register_file as reg

CATEGORY = "0801"  # 独居老人帮扶


@pytest.fixture()
def imported(cli, session, tmp_path):
    """The generated register imported by the secretary's command, with a building added in grid A2."""
    grids = {g.code: g for g in session.scalars(select(Grid))}
    community_a = session.scalar(select(Community).where(Community.code == d.COMM_A))
    session.add(Building(code=reg.A2_HOUSE, name="3栋", community_id=community_a.id, grid_id=grids[d.GRID_A2].id,
                         geom=from_shape(multi(box(100, 600, 150, 650)), srid=4326)))
    session.flush()
    persons = reg.people()
    res = cli.invoke(args=["grid", "import-residents", reg.write(tmp_path / "register.xlsx", persons)])
    assert res.exit_code == 0, res.output
    return persons


def _in_grid(persons, grid):
    codes = {d.GRID_A1: (d.COURTYARD, d.TOWER), d.GRID_A2: (reg.A2_HOUSE,), d.GRID_B1: (reg.SHOP,)}[grid]
    return [p for p in persons if p.building in codes]


def _resident_ids(session, building_codes, *, key_only: bool) -> set[int]:
    query = (select(Resident.id).join(Household, Resident.household_id == Household.id)
             .join(Building, Household.building_id == Building.id).where(Building.code.in_(building_codes)))
    if key_only:
        query = query.where(Resident.id.in_(select(ResidentCare.resident_id)))
    return set(session.scalars(query))


def _grid_row(body, code):
    return next(g for g in body["grids"] if g["code"] == code)


def test_the_import_holds_a_few_hundred_households(session, imported):
    households = session.scalar(select(func.count()).select_from(Household))
    residents = session.scalar(select(func.count()).select_from(Resident))
    assert (households, residents) == (300, len(imported)) and 600 <= residents <= 800
    assert session.scalar(select(func.count(func.distinct(ResidentCare.resident_id)))) == \
        sum(1 for p in imported if p.tags)
    raw = session.execute(select(Resident.id_cipher, Resident.phone_cipher)).all()
    ids = {p.id_number for p in imported}
    assert not any(str(c) in ids for row in raw for c in row)  # ciphertext, not the numbers


def test_visit_due_once_case_and_coverage(session, login, imported):
    a1_key = _resident_ids(session, (d.COURTYARD, d.TOWER), key_only=True)
    expected_key = sum(1 for p in _in_grid(imported, d.GRID_A1) if p.tags)
    assert len(a1_key) == expected_key > 50

    # the worker's phone: every key resident of grid A1 due (none visited yet), nobody else's
    worker = login("worker")
    due = worker.get("/api/v1/visits/due?limit=500")
    assert due.status_code == 200, due.get_data(as_text=True)
    listed = due.get_json()
    assert listed["total"] == len(a1_key) and {r["id"] for r in listed["residents"]} == a1_key
    text = text_of(due)
    assert not any(p.name in text or p.id_number in text or p.phone in text for p in imported)
    assert all(r["due"] for r in listed["residents"])
    assert login("worker_a2").get("/api/v1/visits/due?limit=500").get_json()["total"] == \
        len(_resident_ids(session, (reg.A2_HOUSE,), key_only=True))
    assert login("worker_a2").get(f"/api/v1/visits/due?grid={d.GRID_A1}").status_code == 404

    # the secretary's figures before the visit
    secretary = login("secretary")
    before = secretary.get(f"/api/v1/people/figures?community={d.COMM_A}")
    assert before.status_code == 200, before.get_data(as_text=True)
    before = before.get_json()
    a1, a2 = _grid_row(before, d.GRID_A1), _grid_row(before, d.GRID_A2)
    assert (a1["key_residents"], a1["visited_on_time"], a1["coverage"]) == (len(a1_key), 0, 0)
    assert a1["residents"] == len(_in_grid(imported, d.GRID_A1))
    assert d.GRID_B1 not in {g["code"] for g in before["grids"]}

    # a home visit made offline, sent twice with the same key: one visit
    target = listed["residents"][0]["id"]
    building = session.scalar(select(Building.code).join(Household, Household.building_id == Building.id)
                              .join(Resident, Resident.household_id == Household.id).where(Resident.id == target))
    where = (150, 110) if building == d.COURTYARD else (315, 315)
    lon, lat = lonlat(*where)
    body = {"resident_id": target, "kind": "home", "finding": "水管滴漏，需维修", "follow_up": True,
            "lon": lon, "lat": lat, "idempotency_key": "e2e-visit-0001"}
    worker = login("worker")
    first, again = worker.post("/api/v1/visits", json=body), worker.post("/api/v1/visits", json=body)
    assert (first.status_code, again.status_code) == (201, 200), first.get_data(as_text=True)
    assert first.get_json()["id"] == again.get_json()["id"] and first.get_json()["far_from_home"] is False
    assert session.scalar(select(func.count()).select_from(Visit)) == 1

    # it becomes a case, located in grid A1 at the resident's building
    made = worker.post(f"/api/v1/visits/{first.get_json()['id']}/case",
                       json={"category": CATEGORY, "idempotency_key": "e2e-case-0001"})
    assert made.status_code == 201, made.get_data(as_text=True)
    case = session.get(Case, made.get_json()["id"])
    assert (case.grid.code, case.community.code, case.building.code) == (d.GRID_A1, d.COMM_A, building)
    resent = worker.post(f"/api/v1/visits/{first.get_json()['id']}/case",
                         json={"category": CATEGORY, "idempotency_key": "e2e-case-0001"})
    made_from_visits = select(func.count()).select_from(Case).where(Case.visit_id.is_not(None))
    assert resent.status_code == 200 and session.scalar(made_from_visits) == 1

    # coverage moved by exactly that visit, in that grid only
    after = login("secretary").get(f"/api/v1/people/figures?community={d.COMM_A}").get_json()
    b1, b2 = _grid_row(after, d.GRID_A1), _grid_row(after, d.GRID_A2)
    assert b1["visited_on_time"] == 1 and b1["due"] == a1["due"] - 1
    assert b1["coverage"] == pytest.approx(1 / len(a1_key))
    assert {k: b2[k] for k in ("visited_on_time", "due", "coverage")} == \
        {k: a2[k] for k in ("visited_on_time", "due", "coverage")}
    assert after["total"]["visited_on_time"] == before["total"]["visited_on_time"] + 1
    assert target not in {r["id"] for r in login("worker").get("/api/v1/visits/due?limit=500")
                          .get_json()["residents"] if r["due"]}


def _secrets(persons) -> list[str]:
    """Every form in which grid A1's people could show: names, ID numbers and phones (full and masked)."""
    a1 = _in_grid(persons, d.GRID_A1)
    others = [p for p in persons if p not in a1]
    taken = {mask_id(p.id_number) for p in others} | {mask_phone(p.phone) for p in others}
    found = [p.name for p in a1] + [p.id_number for p in a1] + [p.phone for p in a1]
    found += [m for p in a1 for m in (mask_id(p.id_number), mask_phone(p.phone)) if m not in taken]
    return found


CODE_LISTS = ("/api/v1/care-tags", "/api/v1/openapi.json")  # tag names as a vocabulary, no one's tag
TAG_READERS = ("worker_a2", "secretary_b")  # their pages name every tag as a column: A1's counts are checked instead
A1_TAG_CODES = ("disabled", "serious_illness")


@pytest.mark.parametrize("role", [None, "planner", "api", "street", "worker_a2", "secretary_b"])
def test_nobody_outside_the_grid_sees_them(app, session, client, login, imported, role):
    visit = session.scalar(select(Resident.id).join(Household).join(Building).where(Building.code == d.COURTYARD))
    if role:
        login(role)
    secrets = _secrets(imported)
    leaks = []
    for url in urls(app, {"resident_id": visit, "visit_id": 1, "grid_code": d.GRID_A1}):
        res = client.get(url)
        body = text_of(res)
        leaks += [f"{url} -> {res.status_code} shows {s!r}" for s in secrets if s in body]
        if url.split("?")[0] not in CODE_LISTS and role not in TAG_READERS:
            leaks += [f"{url} -> {res.status_code} shows tag {t!r}" for t in reg.A1_TAGS if t in body]
    assert leaks == []
    if role in TAG_READERS:  # their own grids' figures only: A1's tagged people count nowhere
        figures = client.get(f"/api/v1/people/figures?community={d.COMM_A}")
        if figures.status_code == 200:
            body = figures.get_json()
            assert d.GRID_A1 not in {g["code"] for g in body["grids"]}
            assert all(body["total"]["tags"][code] == 0 for code in A1_TAG_CODES)
        else:
            assert figures.status_code == 404


def test_the_crawl_sees_them_where_they_belong(app, session, client, login, imported):
    """The grid's worker does read masked entries and tags (so the search above can find something)."""
    login("worker")
    body = text_of(client.get("/api/v1/visits/due?limit=500"))
    a1 = _in_grid(imported, d.GRID_A1)
    assert any(t in body for t in reg.A1_TAGS) and any(mask_id(p.id_number) in body or p.name[0] in body for p in a1)
