"""The seven-step workflow at each handling level, illegal and stale transitions, merging."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import InternalError

from grid_app.cases.transitions import available_actions, transition
from grid_app.platform.errors import Conflict, Forbidden, InvalidInput
from grid_app.models import CaseEvent

from .helpers import log_case

FULL = ["register", "dispatch", "start", "report", "close"]


@pytest.mark.parametrize("category, level, actors", [
    ("0101", "grid", {"register": "worker", "dispatch": "worker", "start": "worker", "report": "worker",
                      "close": "worker", "evaluate": "secretary"}),
    ("0602", "community", {a: "secretary" for a in [*FULL, "evaluate"]}),
    ("0401", "street", {a: "street" for a in [*FULL, "evaluate"]}),
])
def test_whole_lifecycle_per_level(session, users, category, level, actors):
    case, created = log_case(session, users["worker"], category=category)
    assert created and case.state == "collected" and case.level == level
    for action in FULL:
        case = transition(session, users[actors[action]], case.id, action, note=f"{action} ok")
    assert case.state == "closed" and case.closed_at is not None and case.deadline is None
    case = transition(session, users[actors["evaluate"]], case.id, "evaluate", rating=5)
    assert case.state == "evaluated" and case.rating == 5 and case.deadline is None
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    assert [e.action for e in events] == ["collect", *FULL, "evaluate"]
    assert [e.to_state for e in events] == ["collected", "registered", "dispatched", "handling",
                                            "reported", "closed", "evaluated"]
    assert all(e.to_level == level for e in events) and case.max_level == level


def test_severity_three_starts_at_community(session, users):
    case, _ = log_case(session, users["worker"], category="0101", severity=3)
    assert case.level == "community"


@pytest.mark.parametrize("action", ["close", "start", "report", "evaluate", "reopen", "dispatch"])
def test_illegal_transition_is_409(session, users, action):
    case, _ = log_case(session, users["worker"])
    with pytest.raises(Conflict) as info:
        transition(session, users["secretary"], case.id, action)
    assert info.value.code == "illegal_transition"


def test_wrong_role_is_403(session, users):
    case, _ = log_case(session, users["worker"], category="0602")  # community level
    with pytest.raises(Forbidden):
        transition(session, users["worker"], case.id, "register")
    planner_case, _ = log_case(session, users["worker"])
    with pytest.raises(Exception) as info:
        transition(session, users["planner"], planner_case.id, "register")
    assert isinstance(info.value, Forbidden)


def test_stale_version_is_409_and_changes_nothing(session, users):
    case, _ = log_case(session, users["worker"])
    v = case.version
    transition(session, users["worker"], case.id, "register", version=v)
    with pytest.raises(Conflict) as info:
        transition(session, users["secretary"], case.id, "reject", version=v)
    assert info.value.code == "stale_version"
    session.refresh(case)
    assert case.state == "registered"


def test_reject(session, users):
    case, _ = log_case(session, users["worker"])
    case = transition(session, users["secretary"], case.id, "reject", note="重复上报")
    assert case.state == "rejected" and case.deadline is None


def test_reopen_goes_back_to_handling(session, users):
    case, _ = log_case(session, users["worker"])
    for a in ["register", "dispatch", "start", "report"]:
        transition(session, users["worker"], case.id, a)
    case = transition(session, users["secretary"], case.id, "reopen", note="核查不通过")
    assert case.state == "handling" and case.reopen_count == 1


def test_escalate_and_deescalate(session, users):
    case, _ = log_case(session, users["worker"])
    case = transition(session, users["worker"], case.id, "escalate", note="需要社区协调")
    assert case.level == "community" and case.max_level == "community"
    with pytest.raises(Forbidden):
        transition(session, users["worker"], case.id, "register")
    case = transition(session, users["secretary"], case.id, "escalate")
    assert case.level == "street"
    with pytest.raises(Conflict):
        transition(session, users["street"], case.id, "escalate")
    case = transition(session, users["street"], case.id, "deescalate")
    assert case.level == "community" and case.max_level == "street"


def test_merge(session, users):
    first, _ = log_case(session, users["worker"])
    second, _ = log_case(session, users["worker"], x=105)
    with pytest.raises(InvalidInput):
        transition(session, users["secretary"], second.id, "merge")
    merged = transition(session, users["secretary"], second.id, "merge", into=first.id)
    assert merged.state == "merged" and merged.merged_into_id == first.id
    with pytest.raises(Conflict):
        transition(session, users["secretary"], first.id, "merge", into=second.id)


def test_evaluate_needs_rating(session, users):
    case, _ = log_case(session, users["worker"])
    for a in FULL:
        transition(session, users["worker"], case.id, a)
    with pytest.raises(InvalidInput):
        transition(session, users["secretary"], case.id, "evaluate", rating=9)


def test_unknown_action(session, users):
    case, _ = log_case(session, users["worker"])
    with pytest.raises(InvalidInput):
        transition(session, users["worker"], case.id, "teleport")


def test_event_log_is_append_only(session, users):
    case, _ = log_case(session, users["worker"])
    with pytest.raises(InternalError):
        with session.begin_nested():
            session.execute(text("UPDATE case_event SET note = 'forged' WHERE case_id = :c"), {"c": case.id})
    with pytest.raises(InternalError):
        with session.begin_nested():
            session.execute(text("DELETE FROM case_event WHERE case_id = :c"), {"c": case.id})


def test_unlocated_case_is_kept_for_triage(session, users):
    case, created = log_case(session, users["worker"], x=-2000, y=300)
    assert created and case.grid_id is None and case.community_id is None
    event = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
    assert "triage" in event.note
    with pytest.raises(Conflict) as info:
        transition(session, users["admin"], case.id, "register")
    assert info.value.code == "unlocated"


@pytest.mark.parametrize("severity", [1, 3])  # starts at grid, at community level
def test_the_street_triages_an_unlocated_case_at_any_level(session, users, severity):
    case, _ = log_case(session, users["worker"], x=-2000, y=300, severity=severity)
    assert case.grid_id is None and case.level == ("grid" if severity == 1 else "community")
    assert available_actions(users["street"], case) == ["reject", "place"]
    assert available_actions(users["worker"], case) == available_actions(users["secretary"], case) == []
    with pytest.raises(Conflict) as info:
        transition(session, users["street"], case.id, "register")
    assert info.value.code == "unlocated"
    assert transition(session, users["street"], case.id, "reject", note="不在本街道").state == "rejected"


def test_street_code_travels_to_events_and_hierarchy(session, users):
    from grid_app.models import Building
    case, _ = log_case(session, users["worker"])
    transition(session, users["worker"], case.id, "register")
    assert case.street_code == "341702900"
    assert {e.street_code for e in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))} == {
        "341702900"}
    session.expire_all()
    assert {b.street_code for b in session.scalars(select(Building))} >= {"341702900"}
