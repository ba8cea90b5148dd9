"""Register operations: residents without an ID number, the retention purge, and the re-key after a rotation."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from grid_app.models import AuditEvent, Building
from grid_app.models.care import CareLevel, CareTag, ResidentCare, Visit
from grid_app.models.people import Household, Resident
from grid_app.people import crypto
from grid_app.people.crypto import app_keyring

from .. import district as d
from .ids import make_id
from .register import LI, PHONE, WANG, ZHAO, rows, write_csv, write_xlsx


def run(cli, *args):
    return cli.invoke(args=["grid", *[str(a) for a in args]])


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


CHILD = [d.COURTYARD, "1", "101", "王小宝", "女", "2023-05-06", "", "", "孙女", "户籍"]
FOREIGNER = [d.TOWER, "", "1203", "John Smith", "男", "1985/2/3", "", "13600001111", "户主", "流动"]


def test_residents_without_an_id_number_are_imported_and_reimported_once(cli, session, app, tmp_path):
    res = run(cli, "import-residents", write_csv(tmp_path / "a.csv", rows() + [CHILD, FOREIGNER]))
    assert res.exit_code == 0 and "5 new" in res.output, res.output
    child = session.scalar(select(Resident).where(Resident.name == "王小宝"))
    assert (child.id_cipher, child.id_hash, child.sex, child.birth_date) == (None, None, "女", date(2023, 5, 6))
    res = run(cli, "import-residents", write_xlsx(tmp_path / "b.xlsx", rows() + [CHILD, FOREIGNER]))
    assert res.exit_code == 0 and "0 new, 5 updated" in res.output, res.output
    assert count(session, Resident) == 5
    # The child's first card: the ID number is added to the same resident, not a second row.
    carded = CHILD[:6] + [make_id("20230506", 40, male=False)] + CHILD[7:]
    res = run(cli, "import-residents", write_csv(tmp_path / "c.csv", [carded]))
    assert res.exit_code == 0 and "0 new, 1 updated" in res.output, res.output
    session.refresh(child)
    assert child.id_hash is not None and app_keyring(app).decrypt("id_number", child.id_cipher) == carded[6]


def test_resident_without_id_is_shown_with_a_null_id(cli, login, session, tmp_path):
    assert run(cli, "import-residents", write_csv(tmp_path / "a.csv", [CHILD])).exit_code == 0
    child = session.scalar(select(Resident).where(Resident.name == "王小宝"))
    body = login("worker").get(f"/api/v1/residents/{child.id}").get_json()
    assert (body["id_number"], body["phone"], body["birth_year"]) == (None, None, 2023)


@pytest.mark.parametrize("column, value, header, reason", [
    (4, "", "性别", "required without an ID number"),
    (5, "", "出生日期", "required without an ID number"),
])
def test_without_id_sex_and_birth_date_are_required(cli, session, tmp_path, column, value, header, reason):
    child = list(CHILD)
    child[column] = value
    res = run(cli, "import-residents", write_csv(tmp_path / "bad.csv", rows() + [child]))
    assert res.exit_code == 1 and f"bad.csv row 5 column {header}" in res.output and reason in res.output
    assert count(session, Resident) == 0


def test_the_same_person_without_id_twice_in_a_file(cli, session, tmp_path):
    res = run(cli, "import-residents", write_csv(tmp_path / "dup.csv", [CHILD, list(CHILD)]))
    assert res.exit_code == 1 and "dup.csv row 3 column 姓名/name: the same flat, name and birth date as row 2" \
        in res.output
    assert count(session, Resident) == 0


# --- retention ------------------------------------------------------------------------------------------

def _moved_out(body, index, when):
    row = body[index] + [""] * (12 - len(body[index]))
    row[11] = when.isoformat()
    return row


def test_purge_deletes_exactly_the_residents_past_retention(cli, session, app, users, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "GRID_APP_RESIDENT_RETENTION_DAYS", 30)
    today = date.today()
    header = ["楼栋编码", "单元", "房号", "姓名", "性别", "出生日期", "身份证号", "手机号", "与户主关系", "人员类别",
              "迁入日期", "迁出日期"]
    body = [_moved_out(rows(), 0, today - timedelta(days=31)),  # past retention
            _moved_out(rows(), 1, today - timedelta(days=30)),  # exactly at the limit: kept
            _moved_out(rows(), 2, today - timedelta(days=400)),  # past, alone in flat 2-302
            [d.TOWER, "1", "101", "钱多", "男", "", make_id("19800101", 20), "", "户主", "常住", "", ""]]
    assert run(cli, "import-residents", write_csv(tmp_path / "r.csv", body, header=header)).exit_code == 0
    ids = {r.name: r.id for r in session.scalars(select(Resident))}
    tag = session.scalar(select(CareTag).where(CareTag.code == "veteran"))
    red = session.scalar(select(CareLevel).where(CareLevel.code == "red"))
    session.add(ResidentCare(resident_id=ids["王建国"], tag_id=tag.id, level_id=red.id))
    session.add(Visit(resident_id=ids["王建国"], worker_id=users["worker"].id, street_code=d.STREET, kind="phone",
                      at=func.now(), follow_up=False, far_from_home=False, idempotency_key="purge-test-1"))
    session.flush()

    dry = run(cli, "purge-residents", "--dry-run")
    assert dry.exit_code == 0 and "would delete 2 resident(s)" in dry.output and "1 household(s)" in dry.output
    assert count(session, Resident) == 4 and session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "purge-residents")) == 0

    res = run(cli, "purge-residents")
    assert res.exit_code == 0, res.output
    assert sorted(r.name for r in session.scalars(select(Resident))) == ["李秀英", "钱多"]
    assert count(session, ResidentCare) == 0 and count(session, Visit) == 0  # cascaded
    flats = {(h.unit, h.room) for h in session.scalars(select(Household).join(Building).where(
        Building.code == d.COURTYARD))}
    assert flats == {("1", "101")}  # 2-302 emptied and deleted; 1-101 keeps 李秀英
    courtyard = session.scalar(select(Building).where(Building.code == d.COURTYARD))
    session.refresh(courtyard)
    assert (courtyard.residents, courtyard.households) == (0, 0)  # 李秀英 moved out: kept, not counted
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "purge-residents"))
    assert event.detail["residents"] == 2 and event.detail["households"] == 1
    assert "王建国" not in str(event.detail) and WANG not in str(event.detail)  # counts only
    again = run(cli, "purge-residents")
    assert again.exit_code == 0 and "deleted 0 resident(s)" in again.output


def test_purge_refuses_a_bad_retention_setting(cli, session, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "GRID_APP_RESIDENT_RETENTION_DAYS", 0)
    assert run(cli, "import-residents", write_csv(tmp_path / "r.csv", rows())).exit_code == 0
    res = run(cli, "purge-residents")
    assert res.exit_code == 2 and "GRID_APP_RESIDENT_RETENTION_DAYS" in res.output
    assert count(session, Resident) == 3


# --- rekey -------------------------------------------------------------------------------------------

def test_rekey_rewrites_every_value_under_the_new_key(cli, session, app, tmp_path, monkeypatch):
    assert run(cli, "import-residents", write_csv(tmp_path / "r.csv", rows() + [CHILD])).exit_code == 0
    old = app_keyring(app)
    new_raw = crypto.parse_key(crypto.new_key_text())
    rotated = crypto.Keyring(new_raw, [])
    rotated.keys.update(old.keys)  # the old key kept as a previous key
    monkeypatch.setitem(app.extensions, "grid_app.keyring", rotated)
    res = run(cli, "rekey")
    assert res.exit_code == 0 and "3 of 4 row(s) re-encrypted" in res.output, res.output
    raw = session.execute(text("SELECT id_cipher, id_hash, phone_cipher, phone_hash, r::text FROM resident r")).all()
    for plain in (WANG, LI, ZHAO, PHONE, "13987654321"):
        assert not any(plain in row.r for row in raw)
    only_new = crypto.Keyring(new_raw, [])  # the old key can now be dropped
    for row in raw:
        if row.id_cipher is not None:
            number = only_new.decrypt("id_number", row.id_cipher)
            assert row.id_hash == only_new.digest("id_number", number)
        if row.phone_cipher is not None:
            assert row.phone_hash == only_new.digest("phone", only_new.decrypt("phone", row.phone_cipher))
    again = run(cli, "rekey")
    assert again.exit_code == 0 and "0 of 4 row(s)" in again.output  # idempotent
    monkeypatch.setitem(app.extensions, "grid_app.keyring", only_new)
    res = run(cli, "import-residents", write_csv(tmp_path / "again.csv", rows()))
    assert res.exit_code == 0 and "0 new, 3 updated" in res.output  # found under the new key alone


def test_rekey_with_a_lost_key_changes_nothing(cli, session, app, tmp_path, monkeypatch):
    assert run(cli, "import-residents", write_csv(tmp_path / "r.csv", rows())).exit_code == 0
    before = session.execute(text("SELECT id, id_cipher FROM resident ORDER BY id")).all()
    monkeypatch.setitem(app.extensions, "grid_app.keyring", crypto.Keyring(crypto.parse_key(crypto.new_key_text())))
    res = run(cli, "rekey")
    assert res.exit_code == 2 and "unknown key" in res.output and "nothing was written" in res.output
    assert session.execute(text("SELECT id, id_cipher FROM resident ORDER BY id")).all() == before
