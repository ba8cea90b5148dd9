"""The overdue rule is written once: the Python form and the SQL form agree, at the deadline edge too."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

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
    ("closed", None, False),  # finished cases have no deadline and are never overdue
    ("merged", None, False),
    ("evaluated", None, False),
])
def test_overdue_rule_agrees_in_python_and_sql(session, users, state, offset, expected):
    case, _ = log_case(session, users["worker"])
    now = clock.now()
    case.state = state
    case.deadline = None if offset is None else now + offset
    session.flush()
    assert case.overdue_at(now) is expected
    assert session.scalar(select(Case.overdue_at(now).is_(True)).where(Case.id == case.id)) is expected
    found = session.scalars(select(Case.id).where(Case.id == case.id, Case.overdue_at(now))).all()
    missed = session.scalars(select(Case.id).where(Case.id == case.id, Case.overdue_at(now).is_not(True))).all()
    assert (found, missed) == (([case.id], []) if expected else ([], [case.id]))


@pytest.mark.parametrize("state, has_deadline", [("closed", True), ("merged", True), ("handling", False),
                                                 ("collected", False)])
def test_only_open_cases_have_a_deadline(session, users, state, has_deadline):
    """The database refuses a finished case with a running deadline and an open one without: the SQL rule relies on it."""
    case, _ = log_case(session, users["worker"])
    with pytest.raises(IntegrityError, match="deadline_when_open"):
        with session.begin_nested():
            session.execute(update(Case).where(Case.id == case.id).values(
                state=state, deadline=clock.now() if has_deadline else None))


def test_overdue_filters_list_open_late_cases_and_the_rest(login, session, users):
    """overdue=true lists the late open case; overdue=false lists the on-time and the closed ones, not it."""
    late, _ = log_case(session, users["worker"])
    on_time, _ = log_case(session, users["worker"])
    closed, _ = log_case(session, users["worker"])
    now = clock.now()
    session.execute(update(Case).where(Case.id == late.id).values(deadline=now - timedelta(hours=1)))
    session.execute(update(Case).where(Case.id == closed.id).values(state="closed", deadline=None, closed_at=now))
    session.commit()
    client = login("worker")
    ids = {flag: {c["id"] for c in client.get(f"/api/v1/cases?overdue={flag}&limit=200").get_json()["cases"]}
           for flag in ("true", "false")}
    assert late.id in ids["true"] and {on_time.id, closed.id}.isdisjoint(ids["true"])
    assert {on_time.id, closed.id} <= ids["false"] and late.id not in ids["false"]
