"""Care tags: the register's 标签 column (checked per row, all or nothing, re-import replaces) and PUT /care."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grid_app.models import AuditEvent
from grid_app.models.care import CareTag, ResidentCare
from grid_app.models.people import Resident

from .. import district as d
from .register import HEADER, rows, write_csv, write_xlsx

TAGGED = HEADER + ["标签"]


def run(cli, path):
    return cli.invoke(args=["grid", "import-residents", str(path)])


def tagged_rows(*cells):
    return [row + [cell] for row, cell in zip(rows(), cells)]


def tags_of(session, name):
    """{tag code: level code} of the named resident."""
    resident = session.scalar(select(Resident).where(Resident.name == name))
    cares = session.scalars(select(ResidentCare).where(ResidentCare.resident_id == resident.id))
    return {c.tag.code: c.level.code for c in cares}


def care_rows(session):
    return session.scalar(select(func.count()).select_from(ResidentCare))


def test_tags_column_by_name_or_code_and_reimport_replaces(cli, session, tmp_path):
    res = run(cli, write_csv(tmp_path / "a.csv", tagged_rows("独居老人:红; 低保：黄色", "veteran:green", ""),
                             header=TAGGED))
    assert res.exit_code == 0, res.output
    assert tags_of(session, "王建国") == {"elderly_alone": "red", "dibao": "yellow"}
    assert tags_of(session, "李秀英") == {"veteran": "green"}
    assert tags_of(session, "欧阳明辉") == {}
    since = session.scalar(select(ResidentCare.since).join(CareTag).where(CareTag.code == "elderly_alone"))
    res = run(cli, write_xlsx(tmp_path / "b.xlsx", tagged_rows("独居老人:yellow", "", "残疾人:红"), header=TAGGED))
    assert res.exit_code == 0, res.output
    assert tags_of(session, "王建国") == {"elderly_alone": "yellow"}  # 低保 removed, level changed
    assert tags_of(session, "李秀英") == {}  # an empty cell clears
    assert tags_of(session, "欧阳明辉") == {"disabled": "red"}
    assert session.scalar(select(ResidentCare.since).join(CareTag).where(CareTag.code == "elderly_alone")) == since


def test_a_file_without_the_column_keeps_the_tags(cli, session, tmp_path):
    assert run(cli, write_csv(tmp_path / "a.csv", tagged_rows("独居老人:红", "", ""), header=TAGGED)).exit_code == 0
    res = run(cli, write_csv(tmp_path / "b.csv", rows()))
    assert res.exit_code == 0 and "0 new, 3 updated" in res.output, res.output
    assert tags_of(session, "王建国") == {"elderly_alone": "red"}


@pytest.mark.parametrize("cell, reason", [
    ("独居:红", "entry 1: no care tag"),
    ("独居老人:紫", "entry 1: no care level"),
    ("独居老人", "entry 1 is not TAG:LEVEL"),
    ("低保:黄; 低保:红", "entry 2: the same care tag twice"),
    ("低保:黄;:红", "entry 2 is not TAG:LEVEL"),
])
def test_a_bad_tag_refuses_the_file(cli, session, tmp_path, cell, reason):
    res = run(cli, write_csv(tmp_path / "bad.csv", tagged_rows("独居老人:红", "低保:黄", cell), header=TAGGED))
    assert res.exit_code == 1
    assert f"bad.csv row 4 column 标签/tags: {reason}" in res.output
    assert "nothing was written" in res.output
    assert session.scalar(select(func.count()).select_from(Resident)) == 0 and care_rows(session) == 0


def test_every_bad_tag_row_is_listed_and_an_earlier_register_is_untouched(cli, session, tmp_path):
    assert run(cli, write_csv(tmp_path / "a.csv", tagged_rows("独居老人:红", "", ""), header=TAGGED)).exit_code == 0
    res = run(cli, write_csv(tmp_path / "bad.csv", tagged_rows("残疾人:红", "x:y", "独居老人:蓝"), header=TAGGED))
    assert res.exit_code == 1
    assert "bad.csv row 3 column 标签/tags" in res.output and "bad.csv row 4 column 标签/tags" in res.output
    assert "bad.csv row 2" not in res.output
    assert tags_of(session, "王建国") == {"elderly_alone": "red"} and care_rows(session) == 1


@pytest.fixture()
def register(cli, session, tmp_path):
    """The three residents (grid A1), 王建国 an elderly person living alone on red."""
    assert run(cli, write_csv(tmp_path / "r.csv", tagged_rows("独居老人:红", "", ""), header=TAGGED)).exit_code == 0
    return {r.name: r.id for r in session.scalars(select(Resident))}


def care_audits(session):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "resident-care")))


@pytest.mark.parametrize("role", ["worker", "secretary", "admin"])
def test_put_care_replaces_and_is_audited(login, session, users, register, role):
    body = {"tags": [{"tag": "dibao", "level": "yellow"}, {"tag": "elderly_alone", "level": "green"}]}
    res = login(role).put(f"/api/v1/residents/{register['王建国']}/care", json=body)
    assert res.status_code == 200, res.get_json()
    assert res.headers["Cache-Control"] == "no-store"
    assert res.get_json() == {"resident_id": register["王建国"], "tags": body["tags"]}
    assert tags_of(session, "王建国") == {"dibao": "yellow", "elderly_alone": "green"}
    [event] = care_audits(session)
    assert event.actor_id == users[role].id and event.detail["resident"] == register["王建国"]
    assert login(role).put(f"/api/v1/residents/{register['王建国']}/care", json={"tags": []}).status_code == 200
    assert tags_of(session, "王建国") == {} and len(care_audits(session)) == 2


@pytest.mark.parametrize("role, status", [("worker_a2", 404), ("secretary_b", 404), ("planner", 403),
                                          ("street", 403), ("api", 403)])
def test_put_care_out_of_scope_or_role(login, session, register, role, status):
    res = login(role).put(f"/api/v1/residents/{register['王建国']}/care",
                          json={"tags": [{"tag": "dibao", "level": "red"}]})
    assert res.status_code == status and res.get_json()["error"] in ("resident_not_found", "forbidden")
    assert tags_of(session, "王建国") == {"elderly_alone": "red"} and care_audits(session) == []


@pytest.mark.parametrize("body, code", [
    ([], "bad_body"), ({}, "bad_body"), ({"tags": "dibao"}, "bad_body"), ({"tags": [["dibao", "red"]]}, "bad_tags"),
    ({"tags": [{"tag": "dibao"}]}, "bad_tags"), ({"tags": [{"tag": "低保", "level": "red"}]}, "bad_tag"),
    ({"tags": [{"tag": "dibao", "level": "红色"}]}, "bad_level"), ({"tags": [{"tag": 1, "level": "red"}]}, "bad_tags"),
    ({"tags": [{"tag": "dibao", "level": "red"}, {"tag": "dibao", "level": "green"}]}, "bad_tags"),
])
def test_put_care_bad_bodies_write_nothing(login, session, register, body, code):
    res = login("worker").put(f"/api/v1/residents/{register['王建国']}/care", json=body)
    assert res.status_code == 400 and res.get_json()["error"] == code
    assert tags_of(session, "王建国") == {"elderly_alone": "red"} and care_audits(session) == []


def test_put_care_unknown_resident_and_no_login(client, login, register):
    assert client.put(f"/api/v1/residents/{register['王建国']}/care", json={"tags": []}).status_code == 401
    assert login("admin").put("/api/v1/residents/999999/care", json={"tags": []}).status_code == 404


def test_care_tag_code_lists(login):
    body = login("worker").get("/api/v1/care-tags").get_json()
    assert {"elderly_alone", "dibao", "veteran"} <= {t["code"] for t in body["tags"]}
    assert [(lv["code"], lv["visit_days"]) for lv in body["levels"]] == [("red", 7), ("yellow", 14), ("green", 30)]
    assert d.COURTYARD not in str(body)  # code lists only, no place or person
