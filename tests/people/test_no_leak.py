"""Nobody outside the grid, nor any map, tile or public endpoint, shows a resident's name, ID number,
phone or what a visit found: every GET route of the app is crawled per role and its body searched."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from grid_app.cases import clock
from grid_app.models.people import Resident
from grid_app.people import visits
from grid_app.people.masking import mask_id, mask_name, mask_phone

from .. import district as d
from .register import HEADER, LI, PHONE, WANG, ZHAO, rows, write_csv

FINDING = "走访发现漏水-7788"


@pytest.fixture()
def register(cli, session, tmp_path, users):
    """The test register with care tags and a visit by the grid's worker."""
    body = [row + [tag] for row, tag in zip(rows(), ["独居老人:红", "低保:黄", "退役军人:绿"])]
    res = cli.invoke(args=["grid", "import-residents", write_csv(tmp_path / "r.csv", body, header=HEADER + ["标签"])])
    assert res.exit_code == 0, res.output
    wang = session.scalar(select(Resident).where(Resident.name == "王建国"))
    visit, _ = visits.record_visit(session, users["worker"], visits.VisitInput(
        wang.id, "phone", FINDING, True, None, None, clock.now() - timedelta(days=1), "leak-test-visit-1"))
    return {"resident_id": wang.id, "visit_id": visit.id}


def secrets() -> list[str]:
    """Every form in which the register's people could show: full, masked, and the visit's finding."""
    names = ["王建国", "李秀英", "欧阳明辉"]
    return (names + [mask_name(n) for n in names] + [WANG, LI, ZHAO, PHONE, "13987654321"]
            + [mask_id(n) for n in (WANG, LI, ZHAO)] + [mask_phone("13987654321"), FINDING])  # 138****5678 is the forms' example


def urls(app, ids: dict) -> list[str]:
    """Every GET route with its parameters filled, plus the register's filters pointing at grid A1."""
    values = {"code": d.COMM_A, "fmt": "json", "layer": "buildings", "z": 16, "x": 54113, "y": 27134,
              "case_id": 1, "photo_id": 1, "request_id": 1, "member_id": 1, "filename": "app.css", "anything": "x",
              "key": "leak-test-visit-1", "wish_id": 1, "post_id": 1, "activity_id": 1, **ids}
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in ("static", "auth.logout"):  # stay logged in
            found.append(re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values.get(m.group(1), 1)), rule.rule))
    fmt = "?format=json"
    return found + [f"/api/v1/residents?grid={d.GRID_A1}", f"/api/v1/residents?building={d.COURTYARD}",
                    f"/api/v1/households?building={d.COURTYARD}", f"/api/v1/visits/due?grid={d.GRID_A1}",
                    f"/api/v1/people/figures?grid={d.GRID_A1}", f"/api/v1/people/figures?community={d.COMM_A}",
                    f"/people?community={d.COMM_A}", f"/api/v1/exports/residents.csv?community={d.COMM_A}",
                    "/open311/v2/requests.json", "/open311/v2/requests.xml", f"/api/v1/cases{fmt}",
                    f"/communities/{d.COMM_A}/map", f"/communities/{d.COMM_A}/dashboard"]


def text_of(res) -> str:
    """The body as text, JSON with its characters unescaped (JSON writes 王 as \\u738b)."""
    body = res.get_data(as_text=True)
    if res.is_json:
        try:
            return json.dumps(res.get_json(), ensure_ascii=False)
        except ValueError:
            return body
    return body


@pytest.mark.parametrize("role", [None, "planner", "api", "street", "worker_a2", "secretary_b"])
def test_no_route_shows_a_resident_to_who_has_no_duty(app, client, login, register, role):
    if role:
        login(role)
    leaks = []
    for url in urls(app, register):
        res = client.get(url)
        body = text_of(res)
        leaks += [f"{url} -> {res.status_code} shows {secret!r}" for secret in secrets() if secret in body]
    assert leaks == []


def test_the_crawl_finds_them_where_they_belong(app, client, login, register):
    """The same crawl as the grid's worker does find the masked name and the finding (the search works)."""
    login("worker")
    bodies = "".join(text_of(client.get(url)) for url in urls(app, register))
    assert mask_name("王建国") in bodies and FINDING in bodies
    assert "王建国" not in bodies and WANG not in bodies and PHONE not in bodies  # masked even for the worker

