"""Escalation by deadline with a controlled clock."""
from __future__ import annotations

from datetime import timedelta

import pytest

from grid_app.cases import clock
from grid_app.cases.transitions import escalate_overdue, transition

from .helpers import log_case


def escalate(session, now, *cases):
    """Run the escalation job; keep only the given cases (other tests commit cases too)."""
    wanted = {c.id for c in cases}
    return [i for i in escalate_overdue(session, now=now) if i in wanted]


@pytest.fixture()
def frozen(monkeypatch):
    """A clock the test moves by hand."""
    state = {"now": clock.now()}
    monkeypatch.setattr(clock, "now", lambda: state["now"])
    return state


def test_overdue_case_climbs_one_level_per_missed_deadline(session, users, frozen):
    t0 = frozen["now"]
    case, _ = log_case(session, users["worker"])  # 0101: register within 1 h
    assert escalate(session, t0 + timedelta(minutes=59), case) == []
    assert escalate(session, t0 + timedelta(hours=2), case) == [case.id]
    session.refresh(case)
    assert case.level == "community" and case.deadline == t0 + timedelta(hours=3)
    # running again at the same moment changes nothing
    assert escalate(session, t0 + timedelta(hours=2), case) == []
    assert escalate(session, t0 + timedelta(hours=4), case) == [case.id]
    session.refresh(case)
    assert case.level == "street" and case.max_level == "street"
    # the street is the top: an overdue street case stays there (and stays overdue)
    assert escalate(session, t0 + timedelta(days=3), case) == []
    actions = [(e.action, e.actor_id, e.to_level) for e in case.events]
    assert actions == [("collect", users["worker"].id, "grid"), ("escalate", None, "community"),
                       ("escalate", None, "street")]


def test_cases_on_time_and_finished_cases_are_left_alone(session, users, frozen):
    t0 = frozen["now"]
    done, _ = log_case(session, users["worker"])
    for a in ["register", "dispatch", "start", "report", "close"]:
        transition(session, users["worker"], done.id, a)
    slow, _ = log_case(session, users["worker"], category="0601")  # 2 h to register
    assert escalate(session, t0 + timedelta(minutes=90), done, slow) == []
    assert escalate(session, t0 + timedelta(days=10), done, slow) == [slow.id]


def test_each_step_restarts_its_deadline(session, users, frozen):
    t0 = frozen["now"]
    case, _ = log_case(session, users["worker"])
    frozen["now"] = t0 + timedelta(minutes=30)
    case = transition(session, users["worker"], case.id, "register")
    assert case.deadline == frozen["now"] + timedelta(hours=2)  # dispatch within 2 h
    case = transition(session, users["worker"], case.id, "dispatch")
    assert case.deadline == frozen["now"] + timedelta(hours=24)  # handle within 24 h
