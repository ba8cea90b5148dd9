"""A page of cases is the same whichever way it is found: few matches sorted, or many walked newest first."""
from __future__ import annotations

import pytest

from grid_app.cases import queries, transitions
from grid_app.cases.queries import CaseFilter

from .helpers import log_case


@pytest.fixture()
def mixed_cases(session, users):
    """Cases in both communities, some at community level, some moved on, from two reporters."""
    made = []
    for i in range(24):
        reporter = users["worker"] if i % 3 else users["secretary_b"]
        case, _ = log_case(session, reporter, x=(100, 300, 700, 900)[i % 4], y=200 + 10 * i,
                           severity=3 if i % 5 == 0 else 1)
        made.append(case)
    for case in made[::4]:
        transitions.transition(session, users["admin"], case.id, "register", note=None, version=case.version)
    return made


@pytest.mark.parametrize("role", ["admin", "street", "secretary", "secretary_b"])
@pytest.mark.parametrize("filters", [{}, {"state": "collected"}, {"level": "community"}, {"order": "deadline"},
                                     {"state": "registered", "order": "deadline"}])
def test_a_page_is_the_same_sorted_from_few_or_walked_from_many(session, users, mixed_cases, monkeypatch, role,
                                                                 filters):
    pages = {}
    for few in (0, 10**9):  # never / always sorted out of all the matches
        monkeypatch.setattr(queries, "FEW_MATCHES", few)
        pages[few] = [[c.id for c in queries.list_cases(session, users[role], CaseFilter(
            limit=5, offset=offset, **filters))[0]] for offset in (0, 5, 15)]
    assert pages[0] == pages[10**9]
    assert any(pages[0])
