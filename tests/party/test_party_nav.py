"""The party desk is reachable: a 党建 entry in the top bar, and tabs that all open for the roles shown them."""
from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("role", ["secretary", "street", "admin"])
def test_every_party_tab_opens(login, role):
    client = login(role)
    home = client.get("/cases").get_data(as_text=True)
    assert "/party/activities" in home  # the top bar's 党建 entry
    page = client.get("/party/activities").get_data(as_text=True)
    nav = re.search(r'<nav class="map-links party-nav".*?</nav>', page, re.S).group(0)
    links = re.findall(r'href="([^"]+)"', nav)
    assert len(links) == (5 if role != "street" else 4)
    for link in links:
        assert client.get(link).status_code == 200, link


@pytest.mark.parametrize("role", ["planner", "worker"])
def test_roles_without_a_party_desk_get_no_entry(login, role):
    home = login(role).get("/cases").get_data(as_text=True)
    assert "/party/activities" not in home
    if role == "planner":
        assert "/people" not in home  # nor the visits figures they cannot open
