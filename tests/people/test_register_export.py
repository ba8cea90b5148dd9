"""Exports of the register: admin only, masked unless asked with a reason, audited, and an unmasked one re-imports."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from grid_app.models import AuditEvent
from grid_app.models.care import ResidentCare
from grid_app.models.people import Household, Resident

from .. import district as d
from .register import HEADER, LI, PHONE, WANG, ZHAO, rows, write_csv

TAGGED = HEADER + ["标签"]
CHILD = [d.COURTYARD, "1", "101", "王小宝", "女", "2023-05-06", "", "", "孙女", "户籍", ""]


def run(cli, *args):
    return cli.invoke(args=["grid", *[str(a) for a in args]])


@pytest.fixture()
def register(cli, session, tmp_path):
    """The three residents (王建国 tagged) plus a child without an ID number."""
    body = [row + [tag] for row, tag in zip(rows(), ["独居老人:红; 低保:黄", "", ""])] + [CHILD]
    assert run(cli, "import-residents", write_csv(tmp_path / "r.csv", body, header=TAGGED)).exit_code == 0


def exports(session):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "resident-export")))


def counts(session):
    return (session.scalar(select(func.count()).select_from(Resident)),
            session.scalar(select(func.count()).select_from(Household)))


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_unmasked_cli_export_reimports_without_duplicates(cli, session, register, tmp_path, suffix):
    out = tmp_path / f"all.{suffix}"
    res = run(cli, "export-residents", out, "--unmasked", "--reason", "迁移到区系统")
    assert res.exit_code == 0 and "4 resident(s)" in res.output, res.output
    [event] = exports(session)
    assert event.detail == {"format": suffix, "community": None, "masked": False, "rows": 4, "reason": "迁移到区系统"}
    assert event.actor_name.startswith("cli:")
    before = counts(session)
    again = run(cli, "import-residents", out)
    assert again.exit_code == 0 and "0 new, 4 updated" in again.output, again.output
    assert counts(session) == before
    wang = session.scalar(select(Resident).where(Resident.name == "王建国"))
    tags = {c.tag.code: c.level.code for c in session.scalars(select(ResidentCare).where(
        ResidentCare.resident_id == wang.id))}
    assert tags == {"elderly_alone": "red", "dibao": "yellow"}


def test_masked_export_by_default(cli, session, register, tmp_path):
    out = tmp_path / "masked.csv"
    res = run(cli, "export-residents", out, "--community", d.COMM_A)
    assert res.exit_code == 0, res.output
    data = out.read_text(encoding="utf-8-sig")
    for plain in (WANG, LI, ZHAO, PHONE, "王建国", "1950-03-12"):
        assert plain not in data
    table = list(csv.DictReader(io.StringIO(data)))
    assert table[0]["身份证号"].endswith(WANG[-4:]) and "*" in table[0]["身份证号"]
    assert exports(session)[0].detail["masked"] is True and exports(session)[0].detail["community"] == d.COMM_A


def test_cli_unmasked_without_reason_and_bad_format_write_nothing(cli, session, register, tmp_path):
    res = run(cli, "export-residents", tmp_path / "x.csv", "--unmasked")
    assert res.exit_code == 2 and "needs a reason" in res.output
    res = run(cli, "export-residents", tmp_path / "x.txt")
    assert res.exit_code == 2 and "format must be one of" in res.output
    res = run(cli, "export-residents", tmp_path / "x.csv", "--community", "999")
    assert res.exit_code == 2 and "no community" in res.output
    assert list(tmp_path.glob("x.*")) == [] and exports(session) == []


def test_admin_api_export_masked_and_unmasked(login, session, register):
    client = login("admin")
    res = client.get("/api/v1/exports/residents.xlsx")
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(res.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 5 and WANG not in str(values) and "王**" in str(values)
    res = client.get(f"/api/v1/exports/residents.csv?unmasked=1&reason=%E6%A0%B8%E5%AF%B9&community={d.COMM_A}")
    assert res.status_code == 200 and WANG in res.get_data(as_text=True)
    masked, unmasked = exports(session)
    assert masked.detail == {"format": "xlsx", "community": None, "masked": True, "rows": 4, "reason": None}
    assert unmasked.detail == {"format": "csv", "community": d.COMM_A, "masked": False, "rows": 4, "reason": "核对"}


@pytest.mark.parametrize("role", ["secretary", "worker", "street", "planner", "api"])
def test_non_admin_api_export_is_refused(login, session, register, role):
    res = login(role).get("/api/v1/exports/residents.csv")
    assert res.status_code == 403 and res.get_json()["error"] == "forbidden"
    assert exports(session) == []


@pytest.mark.parametrize("query, code", [("?unmasked=1", "bad_reason"), ("?unmasked=1&reason=%20", "bad_reason"),
                                         ("?reason=" + "x" * 501, "bad_reason")])
def test_api_export_needs_a_reason_when_unmasked(login, session, register, query, code):
    res = login("admin").get(f"/api/v1/exports/residents.csv{query}")
    assert res.status_code == 400 and res.get_json()["error"] == code and WANG not in res.get_data(as_text=True)
    assert exports(session) == []


def test_api_export_bad_format_and_community(login, session, register):
    client = login("admin")
    assert client.get("/api/v1/exports/residents.json").status_code == 400
    assert client.get("/api/v1/exports/residents.csv?community=nope").status_code == 404
    assert exports(session) == []
