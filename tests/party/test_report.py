"""双报告: the quarter's report per employer unit, exactly as hand-computed (report_fixture.py)."""
from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from grid_app.extensions import db
from grid_app.models.audit import AuditEvent
from grid_app.models.party_service import MemberRemark
from grid_app.party import report as party_report
from grid_app.party.quarters import parse_quarter
from grid_app.platform.errors import InvalidInput

from .. import district as d
from .report_fixture import EXPECTED_MEMBERS, EXPECTED_ORDER, EXPECTED_UNITS, PHONES, build_quarter

BJ = ZoneInfo("Asia/Shanghai")


@pytest.fixture()
def quarter_rows(session, make_member, users):
    """The hand-computed quarter."""
    return build_quarter(session, make_member, users["admin"])


@pytest.mark.parametrize("raw", ["2026Q3", "2026q3", " 2026 Q3 "])
def test_quarter_parses(raw):
    q = parse_quarter(raw)
    assert (q.code, q.first_day.isoformat(), q.last_day.isoformat()) == ("2026Q3", "2026-07-01", "2026-09-30")
    start, end = q.bounds(BJ)
    assert start.isoformat() == "2026-07-01T00:00:00+08:00" and end.isoformat() == "2026-10-01T00:00:00+08:00"


@pytest.mark.parametrize("raw", [None, "", "2026Q5", "2026Q0", "Q3-2026", "2026-07", "26Q3", "1999Q1", "2026Q3x"])
def test_bad_quarter_is_a_clear_error(raw):
    with pytest.raises(InvalidInput) as exc:
        parse_quarter(raw)
    assert exc.value.code == "bad_quarter" and "2026Q3" in exc.value.message


def _build(session, keys, communities, **kw):
    return party_report.build(session, keys, parse_quarter("2026Q3"), BJ, communities=communities, **kw)


def test_report_lists_exactly_the_hand_computed_quarter(session, keys, quarter_rows):
    statements = []
    engine = session.get_bind().engine

    def count(*args):
        statements.append(args[2])
    event.listen(engine, "before_cursor_execute", count)
    try:
        built = _build(session, keys, [quarter_rows["comm_a"], quarter_rows["comm_b"]])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 7, statements  # one query per family, whatever the number of members
    assert [s.name for s in built.sections] == EXPECTED_ORDER
    for section in built.sections:
        names, signed, checked, far, hours, wishes = EXPECTED_UNITS[section.name]
        assert [m.name for m in section.members] == names
        assert (section.total("signed_up_count"), section.total("checked_in"), section.total("far"),
                float(section.total("hours")), section.total("wish_count")) == (signed, checked, far, hours, wishes)
        for m in section.members:
            posts, signed, checked, far, hours, wishes, remark = EXPECTED_MEMBERS[m.name]
            assert (m.posts, m.signed_up_count, m.checked_in, m.far, float(m.hours), m.wishes, m.remark) == \
                (posts, signed, checked, far, hours, wishes, remark), m.name
            assert m.phone == PHONES[m.name][:3] + "****" + PHONES[m.name][-4:]
    typed = built.sections[-1]
    assert typed.code is None and typed.party_org == "某科技公司党支部"
    first = built.sections[1].members[0]
    assert [a.title for a in first.activities] == ["环境整治", "政策宣传"]  # both edges of the quarter, in Beijing time
    assert first.party_group == "1栋党小组" and first.community == "甲社区"


def test_report_of_one_unit_and_one_community(session, keys, quarter_rows):
    built = _build(session, keys, [quarter_rows["comm_b"]], unit_code="91341700MA2N000001")
    assert [(s.name, [m.name for m in s.members]) for s in built.sections] == [("市财政局", ["王芳"])]
    with pytest.raises(Exception) as exc:
        _build(session, keys, [quarter_rows["comm_a"]], unit_code="NOPE")
    assert "NOPE" in str(exc.value)


def _read_xlsx(data) -> dict[str, list[tuple]]:
    wb = load_workbook(data)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}


def test_cli_xlsx_lists_exactly_the_rows_and_sums(cli, session, quarter_rows, tmp_path):
    out = tmp_path / "report.xlsx"
    result = cli.invoke(args=["grid", "party-report", "--quarter", "2026Q3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 unit(s), 5 member(s)" in result.output
    sheets = _read_xlsx(out)
    assert list(sheets) == EXPECTED_ORDER
    for title, rows in sheets.items():
        heads = rows[0]
        col = {h: i for i, h in enumerate(heads)}
        names, signed, checked, far, hours, wishes = EXPECTED_UNITS[title]
        assert [r[0] for r in rows[1:-1]] == names
        for r in rows[1:-1]:
            posts, e_signed, e_checked, e_far, e_hours, e_wishes, remark = EXPECTED_MEMBERS[r[0]]
            assert (r[col["认领岗位"]] or "", r[col["报名活动"]], r[col["签到次数"]], r[col["偏离地点签到"]],
                    r[col["服务时长(小时)"]], r[col["完成微心愿"]], r[col["社区评价"]]) == \
                ("；".join(posts), e_signed, e_checked, e_far, e_hours, len(e_wishes), remark)
            assert r[col["联系电话"]] == PHONES[r[0]][:3] + "****" + PHONES[r[0]][-4:]
        total = rows[-1]
        assert total[0] == f"合计（{len(names)}人）"
        assert (total[col["报名活动"]], total[col["签到次数"]], total[col["偏离地点签到"]], total[col["服务时长(小时)"]],
                total[col["完成微心愿"]]) == (signed, checked, far, hours, wishes)
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "party-report").order_by(AuditEvent.id.desc()))
    assert audit.detail["members"] == 5 and audit.detail["quarter"] == "2026Q3"


def test_cli_html_has_a_section_per_unit(cli, quarter_rows, tmp_path):
    out = tmp_path / "report.html"
    result = cli.invoke(args=["grid", "party-report", "--quarter", "2026q3", "--community", d.COMM_A,
                              "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.count('<section class="unit"') == 3  # 王芳 lives in B: 市财政局 keeps 张红 and 孙丽
    for name in ("市税务局", "市财政局", "某科技公司", "2026年第3季度", "page-break-before", "表现突出"):
        assert name in html
    assert "王芳" not in html and "上季度评价" not in html
    assert all(phone not in html for phone in PHONES.values())


@pytest.mark.parametrize("args, message", [
    (["--quarter", "2026Q5"], "--quarter must be YEAR + Q + 1-4"),
    (["--quarter", "Q3"], "--quarter must be YEAR + Q + 1-4"),
    (["--quarter", "2026Q3", "--community", "999"], "no community with code '999'"),
    (["--quarter", "2026Q3", "--unit", "NOPE"], "no registered unit with code 'NOPE'"),
])
def test_cli_bad_input_is_one_clear_line(cli, session, tmp_path, args, message):
    out = tmp_path / "r.xlsx"
    result = cli.invoke(args=["grid", "party-report", *args, "--out", str(out)])
    assert result.exit_code != 0 and message in result.output, result.output
    assert "Traceback" not in result.output and not out.exists()


def test_cli_refuses_an_unknown_file_type(cli, tmp_path):
    result = cli.invoke(args=["grid", "party-report", "--quarter", "2026Q3", "--out", str(tmp_path / "r.csv")])
    assert result.exit_code != 0 and "--out must end in .xlsx or .html" in result.output


def test_secretary_page_shows_own_community_and_saves_remarks(session, login, quarter_rows):
    client = login("secretary")
    res = client.get("/party/report?quarter=2026Q3")
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    for name in ("市税务局", "市财政局", "某科技公司", "张红", "李强", "表现突出"):
        assert name in page
    assert "王芳" not in page and all(phone not in page for phone in PHONES.values())
    zhang, li = quarter_rows["members"]["张红"], quarter_rows["members"]["李强"]
    res = client.post("/party/report/remarks", data={"quarter": "2026Q3", "community": d.COMM_A,
                                                     f"remark-{zhang.id}": "", f"remark-{li.id}": "积极参加巡逻"})
    assert res.status_code == 302
    remarks = dict(session.execute(select(MemberRemark.member_id, MemberRemark.remark).where(
        MemberRemark.quarter_start == parse_quarter("2026Q3").first_day)).all())
    assert remarks == {li.id: "积极参加巡逻"}
    actions = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "party-remark")).all()
    assert sorted(a["member"] for a in actions) == sorted([zhang.id, li.id])
    assert all("积极" not in str(a) for a in actions)


def test_remark_errors_write_nothing(session, login, quarter_rows):
    zhang, wang = quarter_rows["members"]["张红"], quarter_rows["members"]["王芳"]
    before = session.scalar(select(func.count()).select_from(MemberRemark))
    client = login("secretary")
    too_long = client.post("/party/report/remarks", data={"quarter": "2026Q3", "community": d.COMM_A,
                                                          f"remark-{zhang.id}": "好", f"remark-{wang.id}": "x" * 2001})
    assert too_long.status_code == 400
    other = client.post("/party/report/remarks", data={"quarter": "2026Q3", "community": d.COMM_A,
                                                       f"remark-{zhang.id}": "好", f"remark-{wang.id}": "王芳不归我管"})
    assert other.status_code == 404  # 王芳 lives in community B
    bad = client.post("/party/report/remarks", data={"quarter": "2026Q9", "community": d.COMM_A,
                                                     f"remark-{zhang.id}": "好"})
    assert bad.status_code == 400
    assert session.scalar(select(func.count()).select_from(MemberRemark)) == before


def test_secretary_of_another_community_sees_none_of_it(session, login, quarter_rows):
    client = login("secretary_b")
    page = client.get("/party/report?quarter=2026Q3").get_data(as_text=True)
    assert "王芳" in page and "张红" not in page and "李强" not in page and "某科技公司" not in page
    assert client.get(f"/party/report?quarter=2026Q3&community={d.COMM_A}").status_code == 404
    assert client.get(f"/party/report.xlsx?quarter=2026Q3&community={d.COMM_A}").status_code == 404
    zhang = quarter_rows["members"]["张红"]
    assert client.post("/party/report/remarks", data={"quarter": "2026Q3", "community": d.COMM_B,
                                                      f"remark-{zhang.id}": "改别人的"}).status_code == 404
    assert session.scalar(select(MemberRemark.remark).where(MemberRemark.member_id == zhang.id,
                                                            MemberRemark.quarter_start == parse_quarter("2026Q3").first_day)) == "表现突出"


@pytest.mark.parametrize("role, status", [("worker", 403), ("planner", 403), ("api", 403)])
def test_other_roles_may_not_read_the_report(login, quarter_rows, role, status):
    assert login(role).get(f"/party/report?quarter=2026Q3&community={d.COMM_A}").status_code == status


def test_street_chooses_a_community_and_reads_without_writing(login, quarter_rows):
    client = login("street")
    choose = client.get("/party/report?quarter=2026Q3").get_data(as_text=True)
    assert "甲社区" in choose and "乙社区" in choose and "张红" not in choose
    page = client.get(f"/party/report?quarter=2026Q3&community={d.COMM_A}").get_data(as_text=True)
    assert "张*" in page and "张红" not in page and "<textarea" not in page  # names masked for the street
    assert client.post("/party/report/remarks", data={"quarter": "2026Q3", "community": d.COMM_A}).status_code == 403


@pytest.mark.parametrize("url", ["/party/report?quarter=2026Q5", "/party/report?quarter=abc",
                                 "/party/report.xlsx?quarter=2026-3", "/party/report.html?quarter="])
def test_bad_quarter_on_the_page_is_a_400(login, url):
    res = login("secretary").get(url)
    assert res.status_code == 400
    assert "2026Q3" in res.get_data(as_text=True)


def test_page_downloads_both_formats_audited(session, login, quarter_rows):
    client = login("secretary")
    res = client.get(f"/party/report.xlsx?quarter=2026Q3&community={d.COMM_A}")
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    sheets = _read_xlsx(io.BytesIO(res.data))
    assert list(sheets) == EXPECTED_ORDER and [r[0] for r in sheets["市财政局"][1:]] == ["张红", "孙丽", "合计（2人）"]
    html = client.get(f"/party/report.html?quarter=2026Q3&community={d.COMM_A}").get_data(as_text=True)
    assert html.count('<section class="unit"') == 3
    formats = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "party-report-export")).all()
    assert sorted(f["format"] for f in formats) == ["html", "xlsx"]
