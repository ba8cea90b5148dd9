"""The phone's 走访 pages: for the register's roles, a resident out of scope looks absent, texts in Chinese."""
from __future__ import annotations

import pytest

from .test_visits import register  # noqa: F401  (the fixture: three key residents in grid A1)


def test_worker_opens_the_list_and_the_form(login, register):
    client = login("worker")
    page = client.get("/m/visits")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "走访" in text and 'href="/m/visits"' in text  # the tab
    assert '"code": "0801"' in text  # the categories for 转为事件 (独居老人帮扶)
    form = client.get(f"/m/visits/{register['王建国']}")
    assert form.status_code == 200 and "发现情况" in form.get_data(as_text=True)
    assert client.get("/m/visits/shell").status_code == 200


@pytest.mark.parametrize("role", ["worker_a2", "secretary_b"])
def test_a_resident_of_another_grid_is_absent(login, register, role):
    client = login(role)
    assert client.get("/m/visits").status_code == 200  # their own (empty) list
    assert client.get(f"/m/visits/{register['王建国']}").status_code == 404


@pytest.mark.parametrize("role", ["street", "planner"])
def test_roles_without_a_register_have_no_visits(login, register, role):
    client = login(role)
    assert client.get("/m/visits").status_code == 403
    assert client.get(f"/m/visits/{register['王建国']}").status_code == 403
    assert 'href="/m/visits"' not in client.get("/m/").get_data(as_text=True)
