"""`flask grid import-party-members`: every row checked first, one line per problem, all or nothing, re-import updates."""
from __future__ import annotations

import csv

from sqlalchemy import func, select

from grid_app.models.party import PartyMember

from .. import district as d
from .conftest import UNIT_CODE

HEADER = ["姓名", "手机号", "单位编码", "楼栋编码", "单位党组织", "特长", "报到日期"]


def _rows():
    return [
        ["张红", "13900001111", UNIT_CODE, d.COURTYARD, "", "法律", "2026-03-01"],
        ["李明", "13900002222", UNIT_CODE, d.TOWER, "市财政局机关第二党支部", "", ""],
    ]


def _csv(path, body, header=HEADER):
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(body)
    return str(path)


def _count(session):
    return session.scalar(select(func.count()).select_from(PartyMember))


def test_import_then_reimport_updates_never_duplicates(session, cli, unit, tmp_path):
    path = _csv(tmp_path / "members.csv", _rows())
    result = cli.invoke(args=["grid", "import-party-members", path])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output and _count(session) == 2
    zhang = session.scalar(select(PartyMember).where(PartyMember.name == "张红"))
    assert zhang.status == "pending" and zhang.registered_on.isoformat() == "2026-03-01"
    assert zhang.employer_party_org == "市财政局机关第一党支部"  # the unit's, when the row leaves it empty
    moved = _rows()
    moved[0][3], moved[0][5] = d.TOWER, "法律、调解"
    result = cli.invoke(args=["grid", "import-party-members", _csv(tmp_path / "again.csv", moved)])
    assert result.exit_code == 0, result.output
    assert "0 new" in result.output and "2 updated" in result.output and _count(session) == 2
    session.refresh(zhang)
    assert zhang.building.code == d.TOWER and zhang.skills == "法律、调解"


def test_xlsx_with_english_headers_and_approved(session, cli, unit, tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    book.active.append(["name", "phone", "unit_code", "building_code"])
    book.active.append(["王芳", 13900003333, UNIT_CODE, d.COURTYARD])  # a phone typed as a number
    book.save(tmp_path / "m.xlsx")
    result = cli.invoke(args=["grid", "import-party-members", str(tmp_path / "m.xlsx"), "--approved"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(PartyMember.status).where(PartyMember.name == "王芳")) == "approved"


def test_bad_rows_each_named_and_nothing_written(session, cli, unit, tmp_path):
    body = _rows() + [
        ["", "13900004444", UNIT_CODE, d.COURTYARD, "", "", ""],
        ["赵强", "12345", UNIT_CODE, d.COURTYARD, "", "", ""],
        ["钱多", "13900005555", "NO-SUCH-UNIT", d.COURTYARD, "", "", ""],
        ["孙丽", "13900006666", UNIT_CODE, "NO-SUCH-BUILDING", "", "", ""],
        ["周杰", "13900007777", UNIT_CODE, d.COURTYARD, "", "", "2999-01-01"],
        ["吴用", "13900001111", UNIT_CODE, d.TOWER, "", "", ""],
    ]
    result = cli.invoke(args=["grid", "import-party-members", _csv(tmp_path / "bad.csv", body)])
    assert result.exit_code == 1
    lines = result.output
    assert "bad.csv row 4 column 姓名/name: is empty" in lines
    assert "bad.csv row 5 column 手机号/phone: is not a mobile" in lines
    assert "bad.csv row 6 column 单位编码/unit_code: no registered unit with code 'NO-SUCH-UNIT'" in lines
    assert "bad.csv row 7 column 楼栋编码/building_code: no building" in lines
    assert "bad.csv row 8 column 报到日期/registered_on: 2999-01-01 is in the future" in lines
    assert "bad.csv row 9 column 手机号/phone: the same phone and unit as row 2" in lines
    assert "13900001111" not in lines and "nothing was written" in lines
    assert _count(session) == 0


def test_missing_column_refused(session, cli, unit, tmp_path):
    result = cli.invoke(args=["grid", "import-party-members",
                              _csv(tmp_path / "m.csv", [["张红", "13900001111"]], header=["姓名", "手机号"])])
    assert result.exit_code == 1 and "单位编码/unit_code" in result.output and "required column missing" in result.output
    assert _count(session) == 0
