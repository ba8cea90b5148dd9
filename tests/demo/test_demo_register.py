"""The demo's synthetic register: people matching the buildings, key residents in every grid, visits due today.

The demo is loaded once for the module (a slice: the first PER_GRID buildings of every grid, as a test
load should be quick) in a transaction rolled back at the end; the full district's people are checked
without a database through the generator itself.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import func, select, text
from sqlalchemy.orm import scoped_session, sessionmaker

from grid_app.access.accounts import authenticate, issue_token
from grid_app.cases import clock
from grid_app.demo_data import people, visit_plan
from grid_app.demo_data.load import load_demo_data
from grid_app.extensions import db
from grid_app.models import Building, Grid, User
from grid_app.models.care import CareLevel, ResidentCare, Visit
from grid_app.models.people import Household, Resident
from grid_app.people.crypto import app_keyring
from grid_app.people.identity import parse_id
from grid_app.people.visits import FAR_FROM_HOME_M, due_list
from grid_app.platform.errors import Unauthorized

DEMO = Path(__file__).resolve().parents[2] / "geodata" / "demo"
PER_GRID = 3
SETTING = "GRID_APP_DEMO_REGISTER_PER_GRID"


def _shipped(layer: str) -> list[dict]:
    return [f["properties"] for f in json.loads((DEMO / f"{layer}.geojson").read_text("utf-8"))["features"]]


@pytest.fixture(scope="module")
def demo(app):
    """A session holding the loaded demo (its slice of the register), rolled back after the module."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original, before = db.session, app.config.get(SETTING)
        db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
                                    scopefunc=_app_ctx_id)
        app.config[SETTING] = PER_GRID
        try:
            load_demo_data(db.session, str(DEMO), app.config)
            db.session.flush()
            yield db.session
        finally:
            app.config[SETTING] = before
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


def _demo_grids(session) -> dict[int, str]:
    codes = [g["code"] for g in _shipped("grids")]
    return dict(session.execute(select(Grid.id, Grid.code).where(Grid.code.in_(codes))).all())


def _demo_residents(session) -> list[Resident]:
    return list(session.scalars(select(Resident).join(Household).join(Building)
                                .where(Building.code.in_([b["code"] for b in _shipped("buildings")]))))


def test_every_grid_has_key_residents_on_every_level(demo):
    grids = _demo_grids(demo)
    levels = demo.execute(select(Building.grid_id, func.array_agg(func.distinct(CareLevel.code)))
                          .select_from(ResidentCare).join(CareLevel).join(Resident).join(Household).join(Building)
                          .where(Building.grid_id.in_(list(grids))).group_by(Building.grid_id)).all()
    assert len(grids) == 29
    assert {grids[g]: sorted(codes) for g, codes in levels} == {
        code: ["green", "red", "yellow"] for code in grids.values()}


def test_residents_per_building_match_the_shipped_counts(demo):
    shipped = {b["code"]: (b["residents"], b["households"]) for b in _shipped("buildings")}
    counted = demo.execute(select(Building.code, Building.residents, Building.households,
                                  func.count(Resident.id), func.count(func.distinct(Household.id)))
                           .join(Household, Household.building_id == Building.id)
                           .join(Resident, Resident.household_id == Household.id)
                           .where(Building.code.in_(list(shipped)), Resident.moved_out.is_(None))
                           .group_by(Building.id)).all()
    assert len(counted) == PER_GRID * 29
    for code, residents, households, n_residents, n_households in counted:
        assert (n_residents, n_households) == (residents, households) == shipped[code], code
    # Buildings outside the slice keep their estimate.
    assert demo.scalar(select(func.sum(Building.residents)).where(Building.code.in_(list(shipped)))) == \
        sum(r for r, _ in shipped.values())


def test_the_full_district_matches_every_building():
    buildings = [people.DemoBuilding(b["code"], b["code"][:12], b["floors"], b["households"], b["residents"])
                 for b in _shipped("buildings")]
    homes = people.generate(buildings)
    residents, households = Counter(), Counter()
    for home in homes:
        households[home.building] += 1
        residents[home.building] += len(home.members)
    assert {b.code: (b.residents, b.households) for b in buildings} == \
        {code: (residents[code], households[code]) for code in residents}
    assert sum(residents.values()) == 52237
    numbers = [m.id_number for h in homes for m in h.members]
    assert len(set(numbers)) == len(numbers)
    assert len({(h.building, h.unit, h.room) for h in homes}) == len(homes)
    again = people.generate(buildings[:40])  # the same people every time
    assert [(m.name, m.id_number) for h in again for m in h.members] == \
        [(m.name, m.id_number) for h in homes[:len(again)] for m in h.members]


def test_id_numbers_pass_the_check_digit_with_the_unassigned_region(app, demo):
    keys = app_keyring(app)
    residents = _demo_residents(demo)
    assert residents
    for r in residents:
        number = keys.decrypt("id_number", r.id_cipher)
        parsed = parse_id(number)  # raises on a wrong check digit
        assert number.startswith(people.REGION) and people.REGION == "000000"
        assert (parsed.birth_date, parsed.sex) == (r.birth_date, r.sex)
        phone = keys.decrypt("phone", r.phone_cipher)
        assert phone is None or (phone.startswith("100") and len(phone) == 11 and phone.isdigit())


def test_raw_columns_are_not_plaintext(app, demo):
    keys = app_keyring(app)
    sample = _demo_residents(demo)[:20]
    plain = [(keys.decrypt("id_number", r.id_cipher), keys.decrypt("phone", r.phone_cipher)) for r in sample]
    for number, phone in plain:
        assert demo.execute(text("SELECT 1 FROM resident r WHERE strpos(r::text, :n) > 0"), {"n": number}).all() == []
        if phone:
            found = demo.execute(text("SELECT 1 FROM resident r WHERE strpos(r::text, :p) > 0"), {"p": phone})
            assert found.all() == []
    assert demo.scalar(text("SELECT count(*) FROM resident WHERE id_cipher LIKE 'v1:%'")) >= len(sample)
    # Nor do the visits' idempotency keys carry an ID number.
    assert demo.scalar(text("SELECT count(*) FROM visit WHERE idempotency_key LIKE '%000000%'")) == 0


def test_demo_worker_has_visits_due_with_some_overdue(app, demo):
    worker = demo.scalar(select(User).where(User.username == "demo-worker"))
    due = due_list(demo, worker)
    assert due["total"] > 0
    assert any(r["overdue"] for r in due["residents"])
    assert not any(r["overdue"] for r in due["residents"][sum(r["overdue"] for r in due["residents"]):])
    token, _ = issue_token(demo, worker, "test")
    res = app.test_client().get("/api/v1/visits/due", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200, res.get_data(as_text=True)
    assert res.get_json()["total"] == due["total"] and res.get_json()["residents"][0]["overdue"] is True


def test_visits_look_like_a_grid_workers(demo):
    kinds = dict(demo.execute(select(Visit.kind, func.count()).group_by(Visit.kind)).all())
    assert set(kinds) == {"home", "phone", "video"} and kinds["home"] > kinds["video"]
    distance = func.ST_Distance(func.geography(Visit.geom), func.geography(Building.geom))
    home = demo.execute(select(Visit.far_from_home, func.min(distance), func.max(distance), func.count())
                        .join(Resident, Visit.resident_id == Resident.id).join(Household).join(Building)
                        .where(Visit.kind == "home").group_by(Visit.far_from_home)).all()
    by_flag = {far: (low, high, n) for far, low, high, n in home}
    assert by_flag[False][1] <= FAR_FROM_HOME_M < by_flag[True][0]
    assert 0 < by_flag[True][2] < by_flag[False][2] / 10
    assert demo.scalar(select(func.count()).where(Visit.kind != "home", Visit.geom.is_not(None))) == 0
    assert 0 < demo.scalar(select(func.count()).where(Visit.follow_up)) < sum(kinds.values()) / 10
    findings = set(demo.scalars(select(Visit.finding).distinct()))
    assert findings <= set(visit_plan.FINDINGS + visit_plan.CONCERNS)
    assert demo.scalar(select(func.max(Visit.at))) < clock.now()
    assert demo.scalar(select(func.min(Visit.at))) > clock.now() - timedelta(days=visit_plan.HISTORY_DAYS + 1)


def test_visits_elsewhere_are_by_grid_workers_nobody_can_log_in_as(demo):
    worker = demo.scalar(select(User).where(User.username == "demo-worker"))
    mine = {g.id for g in worker.grids}
    by_worker = demo.execute(select(Building.grid_id, func.array_agg(func.distinct(Visit.worker_id)))
                             .select_from(Visit).join(Resident).join(Household).join(Building)
                             .group_by(Building.grid_id)).all()
    for grid_id, worker_ids in by_worker:
        assert len(worker_ids) == 1
        if grid_id in mine:
            assert worker_ids == [worker.id]
        else:
            other = demo.get(User, worker_ids[0])
            assert other.username.startswith("demo-gw-") and other.password_hash == "!"
            assert grid_id in {g.id for g in other.grids}
            with pytest.raises(Unauthorized):
                authenticate(demo, other.username, "demo-password")
    assert len(by_worker) == 29


def test_loading_again_adds_no_one_and_dates_visits_from_the_new_day(app, demo, monkeypatch):
    tables = ("household", "resident", "resident_care", "visit", "app_user")
    counts = {t: demo.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}
    last = demo.scalar(select(func.max(Visit.at)))
    later = clock.now() + timedelta(days=10)
    nested = demo.connection().begin_nested()  # this test's reload is undone for the others
    try:
        monkeypatch.setattr("grid_app.cases.clock.now", lambda: later)
        load_demo_data(demo, str(DEMO), app.config)
        demo.flush()
        assert {t: demo.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables} == counts
        assert timedelta(days=9) < demo.scalar(select(func.max(Visit.at))) - last < timedelta(days=11)
        worker = demo.scalar(select(User).where(User.username == "demo-worker"))
        assert any(r["overdue"] for r in due_list(demo, worker, now=later)["residents"])
    finally:
        nested.rollback()
        demo.expire_all()
