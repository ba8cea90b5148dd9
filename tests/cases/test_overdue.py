"""The overdue rule is written once: the Python form and the SQL form agree, at the deadline edge too."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from grid_app.cases import clock
from grid_app.models import Case

from .helpers import log_case

TICK = timedelta(microseconds=1)  # PostgreSQL keeps microseconds, as Python does


@pytest.mark.parametrize("state, offset, expected", [
    ("handling", -TICK, True),  # a microsecond past the deadline
    ("handling", timedelta(0), False),  # at the deadline is still on time
    ("handling", TICK, False),
    ("collected", -timedelta(days=3), True),
    ("reported", -TICK, True),
    ("closed", -timedelta(days=3), False),  # finished cases are never overdue
    ("merged", -TICK, False),
    ("handling", None, False),  # no deadline: not overdue, and NOT overdue holds in SQL too
])
def test_overdue_rule_agrees_in_python_and_sql(session, users, state, offset, expected):
    case, _ = log_case(session, users["worker"])
    now = clock.now()
    case.state = state
    case.deadline = None if offset is None else now + offset
    session.flush()
    assert case.overdue_at(now) is expected
    assert session.scalar(select(Case.overdue_at(now)).where(Case.id == case.id)) is expected
    found = session.scalars(select(Case.id).where(Case.id == case.id, Case.overdue_at(now))).all()
    missed = session.scalars(select(Case.id).where(Case.id == case.id, ~Case.overdue_at(now))).all()
    assert (found, missed) == (([case.id], []) if expected else ([], [case.id]))
