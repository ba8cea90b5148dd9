"""Random runs of the workflow: any sequence of actions by any role keeps a case consistent.

Each example logs a fresh case somewhere in the test district, then applies random actions (with
random notes, versions, merge targets and ratings) by random users, and now and then runs the
automatic escalation of overdue cases. After every step the case must be in a consistent state.
"""
from __future__ import annotations

import os
from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from grid_app.cases import workflow
from grid_app.cases import clock
from grid_app.cases.transitions import available_actions, escalate_overdue, transition
from grid_app.platform.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from grid_app.models import LEVELS, OPEN_STATES, STATES, Case, CaseEvent
from grid_app.platform.text import refused_character

from ..cases.helpers import log_case

RUNS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 40)), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ROLES = ["admin", "street", "secretary", "secretary_b", "worker", "worker_a2", "planner", "api"]
ACTIONS = [*workflow.ACTIONS, "merge", "fly", ""]
FORWARD = {"register", "dispatch", "start", "report", "close", "reopen", "evaluate"}
FINISHED = {"closed", "evaluated", "rejected", "merged"}
# Where a case is logged: (x, y) in metres, and the grid suffix it lands in (None: unlocated).
PLACES = {"A1": (100, 300), "A2": (250, 750), "B1": (900, 900), "nowhere": (-500, 300)}
GRIDS = {"A1": "341702900001001", "B1": "341702900002001", "missing": "341702900009009", "none": None}
CATEGORIES = ["0101", "0602", "0401"]  # handled at grid, community and street level

step = st.fixed_dictionaries({
    "role": st.sampled_from(ROLES),
    "pick": st.sampled_from(["able"] * 4 + ["any"]),  # mostly a user who sees the case and an action they may take
    # Any characters: the service itself refuses control characters (NUL included) and non-characters.
    "note": st.one_of(st.none(), st.text(max_size=20), st.just("长" * 2001)),
    "version": st.sampled_from(["none", "none", "current", "stale"]),
    "into": st.sampled_from(["sibling", "sibling", "self", "missing", "none", "closed"]),
    "rating": st.one_of(st.none(), st.integers(-1, 7)),
    "grid": st.sampled_from(["A1", "A1", "B1", "missing", "none"]),  # where `place` puts an unlocated case
    "tick": st.sampled_from([False] * 5 + [True]),  # run the automatic escalation with the clock far ahead
})


def sees(role: str, case: Case) -> bool:
    """Who can see the case, from the scope rules written out by hand (the case is logged by admin)."""
    grid = case.grid.code[-6:] if case.grid else None
    return {
        "admin": True, "planner": True, "api": True, "street": True,
        "secretary": grid in ("001001", "001002"), "secretary_b": grid == "002001",
        "worker": grid == "001001", "worker_a2": grid == "001002",
    }[role]


def assert_consistent(session, case_id: int, successes: int) -> Case:
    """The invariants of a case after any step."""
    session.expire_all()
    case = session.get(Case, case_id)
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()
    assert case.state in STATES and case.level in LEVELS and case.max_level in LEVELS
    assert LEVELS.index(case.max_level) >= LEVELS.index(case.level)
    assert LEVELS.index(case.max_level) == max(LEVELS.index(e.to_level) for e in events)
    assert (case.deadline is None) == (case.state in FINISHED), (case.state, case.deadline)
    assert [e.action for e in events][0] == "collect" and len(events) == 1 + successes
    assert (events[-1].to_state, events[-1].to_level) == (case.state, case.level)
    for before, after in zip(events, events[1:]):  # the log is a chain: each step starts where the last ended
        assert (after.from_state, after.from_level) == (before.to_state, before.to_level)
    assert (case.merged_into_id is not None) == (case.state == "merged")
    assert (case.rating is not None) == (case.state == "evaluated")
    assert (case.closed_at is not None) == (case.state in ("closed", "evaluated"))
    return case


@RUNS
@given(place=st.sampled_from(sorted(PLACES)), category=st.sampled_from(CATEGORIES), severity=st.integers(1, 3),
       steps=st.lists(step, min_size=4, max_size=16), data=st.data())
def test_random_runs_keep_the_case_consistent(session, users, place, category, severity, steps, data):
    case, _ = log_case(session, users["admin"], *PLACES[place], category=category, severity=severity)
    sibling, _ = log_case(session, users["admin"], *PLACES[place], category=category)
    finished, _ = log_case(session, users["admin"], *PLACES[place], category=category)
    finished.state, finished.deadline = "rejected", None  # a merge target that is no longer open
    session.commit()
    successes = 0
    later = clock.now()
    for s in steps:
        if s["tick"]:
            later += timedelta(days=30)
            successes += escalate_overdue(session, now=later).count(case.id)
            assert_consistent(session, case.id, successes)
        current = session.get(Case, case.id)
        able = [(r, a) for r in ROLES if sees(r, current) for a in available_actions(users[r], current)]
        # Lean to the steps that move a case on, else reject and merge end most runs at once.
        forward = [(r, a) for r, a in able if a in FORWARD]
        if forward and data.draw(st.sampled_from([True] * 3 + [False])):
            able = forward
        if s["pick"] == "able" and able:
            s["role"], s["action"] = data.draw(st.sampled_from(able))
        else:
            s["action"] = data.draw(st.sampled_from(ACTIONS))
        user = users[s["role"]]
        allowed = available_actions(user, current)
        version = {"none": None, "current": current.version, "stale": current.version - 1}[s["version"]]
        into = {"sibling": sibling.id, "self": case.id, "missing": 2**31 - 1, "none": None,
                "closed": finished.id}[s["into"]]
        try:
            transition(session, user, case.id, s["action"], note=s["note"], version=version, into=into,
                       rating=s["rating"], grid=GRIDS[s["grid"]])
        except (Conflict, Forbidden, InvalidInput, NotFound) as exc:
            session.rollback()
            assert not _must_succeed(s, allowed, current, sibling, user), (s, allowed, exc)
            if isinstance(exc, NotFound):  # only for a case, a merge target or a grid out of sight
                assert not sees(s["role"], current) or s["action"] in ("merge", "place"), (s, exc)
        except DomainError as exc:  # any other domain error is a bug in the workflow service
            raise AssertionError(f"{s}: unexpected {type(exc).__name__}: {exc}") from exc
        else:
            successes += 1
            assert sees(s["role"], current) and s["action"] in allowed, (s, allowed)
        final = assert_consistent(session, case.id, successes)
    event(f"ended {final.state if steps else 'collected'} at {final.level if steps else 'start'} level")
    event(f"{min(successes, 5)}{'+' if successes >= 5 else ''} successful steps")


def _must_succeed(s, allowed, case, sibling, user) -> bool:
    """True when nothing in the step gives a reason to refuse it."""
    if not sees(s["role"], case) or s["action"] not in allowed or s["version"] == "stale":
        return False
    if s["note"] and (len(s["note"]) > 2000 or refused_character(s["note"])):
        return False
    if s["action"] == "evaluate":
        return s["rating"] is not None and 1 <= s["rating"] <= 5
    if s["action"] == "merge":
        return s["into"] == "sibling" and sibling.state in OPEN_STATES and sees(s["role"], sibling)
    if s["action"] == "place":
        return s["grid"] in ("A1", "B1")  # both in the street of the only roles that may place
    return True
