"""What a case intake costs and that the cheaper paths answer as before: statements, token look-up, races."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from grid_app.access import accounts
from grid_app.cases import intake, intake_sql
from grid_app.extensions import db
from grid_app.models import Case, CaseEvent
from grid_app.platform.errors import Conflict

from ..geo import lonlat
from ..statements import statements_run
from .helpers import jpeg, log_case, new_key

# auth (token + user), category (none while the process keeps it: cases/category_cache.py), and one statement:
# the located case with its event and the read-back (places, may act, duplicates), run by name as prepared on
# the connection (PREPARE once per connection and role); nothing after the commit.
# A new statement here costs every case logged: raise it knowingly.
INTAKE_STATEMENTS = 3


def counted():
    """The SQL statements executed meanwhile (savepoint bookkeeping of the test session left out)."""
    return statements_run(lambda statement: "SAVEPOINT" not in statement)


def body(x=150, y=150, key=None):
    lon, lat = lonlat(x, y)
    return {"category": "0101", "lon": lon, "lat": lat, "accuracy_m": 8, "description": "楼下堆放垃圾",
            "idempotency_key": key or new_key()}


@pytest.fixture()
def bearer(session, users):
    token, _ = accounts.issue_token(session, users["worker"], "cost-test")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_bearer_intake_stays_within_its_statement_budget(client, bearer, session):
    assert client.post("/api/v1/cases", json=body(x=120), headers=bearer).status_code == 201  # kept, prepared
    with counted() as statements:
        res = client.post("/api/v1/cases", json=body(), headers=bearer)
    assert res.status_code == 201
    assert len(statements) <= INTAKE_STATEMENTS, "\n".join(s.split("\n")[0][:100] for s in statements)
    assert sum(s.startswith("EXECUTE grid_") for s in statements) == 1
    assert session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == res.get_json()["id"], CaseEvent.action == "collect")) == 1


def test_the_insert_is_prepared_once_and_then_reuses_its_plan(client, bearer, session, users):
    """Planning the insert was a third of the server's work per case: after a few runs a generic plan is kept."""
    with counted() as statements:
        for x in range(110, 230, 10):
            assert client.post("/api/v1/cases", json=body(x=x), headers=bearer).status_code == 201
    assert sum(s.startswith("PREPARE") for s in statements) <= 1
    prepared = intake_sql.prepared_insert(users["worker"])
    generic, custom = session.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = :name"),
        {"name": prepared.name}).one()
    assert generic >= 6 and custom <= 6, (generic, custom)


def test_workers_share_one_insert_and_each_reads_back_in_their_own_scope(client, session, users):
    """One prepared insert for every worker; the duplicates and actions answered are still the reader's own."""
    bearers = {}
    for role in ("worker", "worker_a2"):
        token, _ = accounts.issue_token(session, users[role], "cost-test")
        bearers[role] = {"Authorization": f"Bearer {token}"}
    session.commit()
    assert intake_sql.prepared_insert(users["worker"]) is intake_sql.prepared_insert(users["worker_a2"])
    assert intake_sql.scope_of(users["worker"]).values != intake_sql.scope_of(users["worker_a2"]).values
    mine = client.post("/api/v1/cases", json=body(), headers=bearers["worker"]).get_json()
    theirs = client.post("/api/v1/cases", json=body(x=155), headers=bearers["worker_a2"]).get_json()
    assert theirs["grid"] == mine["grid"] and theirs["grid"]["code"] != users["worker_a2"].grids[0].code
    assert theirs["possible_duplicates"] == [] and theirs["actions"] == []  # A1's case and grid are not theirs
    again = client.post("/api/v1/cases", json=body(x=160), headers=bearers["worker"]).get_json()
    assert [d["id"] for d in again["possible_duplicates"]] == [theirs["id"], mine["id"]]
    assert again["actions"]


def test_intake_answer_is_the_case_as_read_back(client, bearer, session):
    first = client.post("/api/v1/cases", json=body(), headers=bearer)
    assert first.status_code == 201
    created = first.get_json()
    assert created.pop("possible_duplicates") == []
    read = client.get(f"/api/v1/cases/{created['id']}", headers=bearer).get_json()
    assert created == read
    assert db.session().expire_on_commit  # kept loaded for the intake's answer only


def test_photos_of_a_new_case_are_in_its_answer(client, bearer):
    data = {**body(), "photos": [(io.BytesIO(jpeg()), "a.jpg")]}
    res = client.post("/api/v1/cases", data=data, content_type="multipart/form-data", headers=bearer)
    assert res.status_code == 201
    created = res.get_json()
    assert [p["kind"] for p in created["photos"]] == ["before"] and created["photos"][0]["id"]
    created.pop("possible_duplicates")
    assert created == client.get(f"/api/v1/cases/{created['id']}", headers=bearer).get_json()


def test_a_duplicate_nearby_is_answered_with_its_text_and_date(client, bearer):
    first = client.post("/api/v1/cases", json=body(), headers=bearer).get_json()
    second = client.post("/api/v1/cases", json=body(x=160), headers=bearer).get_json()
    assert second["possible_duplicates"] == [
        {"id": first["id"], "description": "楼下堆放垃圾", "created_at": first["created_at"]}]


def test_a_stored_key_is_found_by_the_insert_and_answers_that_case(session, users, monkeypatch):
    """No look-up before the insert: the insert meets the stored row and only then is the case read by key."""
    case, _ = log_case(session, users["worker"])
    events_before = session.scalar(select(func.count()).select_from(CaseEvent))
    look_ups = []
    real = intake._by_key

    def counted_look_up(session_, key, user):
        look_ups.append(key)
        return real(session_, key, user)
    monkeypatch.setattr(intake, "_by_key", counted_look_up)
    again, created = log_case(session, users["worker"], key=case.idempotency_key)
    assert (again.id, created) == (case.id, False) and look_ups == [case.idempotency_key]
    assert session.scalar(select(func.count()).select_from(Case).where(
        Case.idempotency_key == case.idempotency_key)) == 1
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == events_before  # no second `collect`


def test_a_key_in_flight_elsewhere_is_a_conflict_not_a_500(session, users, monkeypatch):
    """The insert met a row that is gone by the look-up (its request rolled back): try again, 409."""
    case, _ = log_case(session, users["worker"])
    monkeypatch.setattr(intake, "_by_key", lambda *_: None)
    with pytest.raises(Conflict) as err:
        log_case(session, users["worker"], key=case.idempotency_key)
    assert err.value.code == "key_in_use"


@pytest.mark.parametrize("spoil", ["revoked", "expired", "disabled", "unknown"])
def test_only_a_live_token_of_an_active_user_authenticates(session, users, spoil):
    plain, token = accounts.issue_token(session, users["worker"], "cost-test")
    assert accounts.user_for_token(session, plain).id == users["worker"].id
    if spoil == "revoked":
        token.revoked_at = datetime.now(timezone.utc)
    elif spoil == "expired":
        token.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    elif spoil == "disabled":
        users["worker"].active = False
    else:
        plain = plain + "x"
    session.flush()
    assert accounts.user_for_token(session, plain) is None


@pytest.mark.parametrize("x, y", [
    (-10, 300),    # 10 m west of the district: snapped to the nearest grid
    (500, 250),    # on the border of two communities: the smaller code
    (150, 150),    # in a building's courtyard (a hole): the residential area, no building
    (315, 315),    # inside a building
    (1250, 50),    # the exclave of a multipolygon grid
    (-2000, 300),  # far outside: unlocated, held for triage
])
def test_the_case_lies_where_locate_says(client, bearer, session, x, y):
    """The place stored and answered at intake is the locator's answer for the same point (one rule)."""
    from grid_app.places import locate
    lon, lat = lonlat(x, y)
    res = client.post("/api/v1/cases", json={**body(), "lon": lon, "lat": lat}, headers=bearer)
    assert res.status_code == 201
    answer = res.get_json()
    where = locate.locate_one(session, lon, lat, 30.0).as_dict()
    for kind in ("community", "grid", "residential_area", "building"):
        assert answer[kind] == where[kind], kind
    assert answer["located"] == (where["grid"] is not None)
    assert (answer["snapped_m"] is None) == (where["snapped_m"] is None)
    if where["snapped_m"] is not None:
        assert answer["snapped_m"] == pytest.approx(where["snapped_m"], abs=0.01)
    case = session.get(Case, answer["id"])
    event = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
    assert (event.note is not None) == (where["grid"] is None)  # only an unlocated case is held for triage
    assert case.street_code == (where["community"]["code"][:9] if where["community"] else None)
    assert answer == {**client.get(f"/api/v1/cases/{answer['id']}", headers=bearer).get_json(),
                      "possible_duplicates": answer["possible_duplicates"]}
