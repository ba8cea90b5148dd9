"""The one service that changes a case's state or level, and writes the event for it."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from grid_app.access.scope import get_case, may_act_on, require_act
from grid_app.cases import clock, photos, placing, workflow
from grid_app.models import LEVELS, OPEN_STATES, Case, CaseEvent, User
from grid_app.platform.errors import Conflict, Forbidden, InvalidInput
from grid_app.platform.text import optional_text

MAX_NOTE = 2000
RATINGS = (1, 5)  # the lowest and highest rating an evaluation gives
PHOTO_ACTIONS = ("report",)  # photos taken after the work show it done: they come with the report back


def available_actions(user: User, case: Case, *, in_area: bool | None = None) -> list[str]:
    """The actions this user may take on this case now (none outside the area they work in; in_area: already checked)."""
    names = []
    if in_area is None:
        session = object_session(case)
        in_area = session is not None and may_act_on(session, user, case)
    if not in_area:
        return names
    for name in workflow.actions_from(case.state):
        action = workflow.ACTIONS[name]
        if case.grid_id is None:
            # An unlocated case is the street's to triage, whatever its level: until it is placed in a
            # grid it can only be rejected or placed.
            if name in workflow.TRIAGE_ACTIONS and user.role in workflow.TRIAGE_ROLES | {"admin"}:
                names.append(name)
            continue
        if action.unlocated_only:
            continue
        if user.role not in workflow.allowed_roles(action, case.level):
            continue
        if action.level_step and workflow.next_level(case.level, action.level_step) is None:
            continue
        names.append(name)
    if case.state in OPEN_STATES and user.role in ("admin", "secretary", "street") and case.grid_id:
        names.append("merge")
    return names


def check_photo_action(action_name: str | None, count: int) -> None:
    """Refuse photos with any action but the report back (InvalidInput)."""
    if count and action_name not in PHOTO_ACTIONS:
        raise InvalidInput("photos can only come with the report action", code="bad_body")


def transition(session: Session, user: User, case_id: int, action_name: str, *, note: str | None = None,
               version: int | None = None, into: int | None = None, rating: int | None = None,
               grid: str | None = None, after_photos: Sequence[photos.Photo] = (),
               upload_dir: str | None = None) -> Case:
    """Apply an action to a case, enforcing state, role, scope and version; store its checked photos
    (report only, under upload_dir); one commit for all of it. `grid`: the grid code `place` puts it in."""
    if action_name not in workflow.ACTIONS and action_name != "merge":
        raise InvalidInput(f"unknown action {action_name!r}; one of {', '.join([*workflow.ACTIONS, 'merge'])}",
                           code="bad_action")
    check_photo_action(action_name, len(after_photos))
    if after_photos and upload_dir is None:
        raise ValueError("upload_dir is needed to store photos")  # a programming error, not bad input
    note = optional_text(note, "note", MAX_NOTE, code="bad_note")  # type, length, control characters
    case = get_case(session, user, case_id, for_update=True)  # row lock: concurrent changes queue here
    require_act(session, user, case)
    if version is not None and version != case.version:
        raise Conflict(f"case {case_id} changed since version {version} (now {case.version}); reload it",
                       code="stale_version")
    if action_name not in available_actions(user, case, in_area=True):  # require_act has just checked the area
        _explain_refusal(user, case, action_name)
    now = clock.now()
    from_state, from_level = case.state, case.level
    # One flush at the commit: an autoflush in the middle (a lazy load) would raise the version twice.
    with session.no_autoflush:
        if action_name == "merge":
            _merge(session, user, case, into)
        elif action_name == "evaluate":
            if rating is None or not RATINGS[0] <= int(rating) <= RATINGS[1]:
                raise InvalidInput(f"evaluate needs a rating from {RATINGS[0]} to {RATINGS[1]}", code="bad_rating")
            case.rating = int(rating)
            case.state = "evaluated"
        elif action_name == "place":
            placed = placing.place_in_grid(session, user, case, grid, now)
            note = f"{placed.code} {placed.name}" + (f" — {note}" if note else "")
        else:
            action = workflow.ACTIONS[action_name]
            if action.level_step:
                _move_level(case, action.level_step)
            else:
                case.state = action.target
            if action_name == "start":
                case.handler_id = user.id
            if action_name == "reopen":
                case.reopen_count += 1
            if action_name == "close":
                case.closed_at = now
        _restart_deadline(case, now, action_name)
        case.updated_at = now
        session.add(CaseEvent(case_id=case.id, action=action_name, actor_id=user.id, at=now,
                              from_state=from_state, to_state=case.state, from_level=from_level,
                              to_level=case.level, note=(note or None)))
        first_photo = len(case.photos) if after_photos else 0  # numbered after the photos it has
    photos.commit_with_photos(session, upload_dir, case.id, list(after_photos), "after", first_photo)
    return case


def _explain_refusal(user: User, case: Case, action_name: str) -> None:
    if case.grid_id is None and action_name not in workflow.TRIAGE_ACTIONS:
        raise Conflict("this case is not located to a grid yet; only reject or place is possible",
                       code="unlocated")
    action = workflow.ACTIONS.get(action_name)
    if case.grid_id is not None and action is not None and action.unlocated_only:
        raise Conflict(f"case {case.id} is already located to a grid", code="located")
    if action_name != "merge" and case.state not in workflow.ACTIONS[action_name].sources:
        raise Conflict(f"cannot {action_name} a case that is {case.state}", code="illegal_transition")
    if action is not None and action.level_step and workflow.next_level(case.level, action.level_step) is None:
        raise Conflict(f"cannot {action_name} a case already at {case.level} level", code="illegal_transition")
    raise Forbidden(f"role {user.role!r} may not {action_name} a case at {case.level} level", code="forbidden")


def _restart_deadline(case: Case, now: datetime, action_name: str) -> None:
    """Start the deadline of the step the case is now in (none once it is finished)."""
    step = workflow.STEP_OF_STATE.get(case.state)
    if step is None:
        case.deadline = None
    elif action_name not in ("start",):  # starting work keeps the handling deadline running
        case.deadline = now + timedelta(hours=case.category.deadline_hours[step])


def _move_level(case: Case, step: int) -> None:
    """Move the case one level up (+1) or down (-1); max_level keeps the highest it ever reached."""
    case.level = workflow.next_level(case.level, step)
    if LEVELS.index(case.level) > LEVELS.index(case.max_level):
        case.max_level = case.level


def _merge(session: Session, user: User, case: Case, into: int | None) -> None:
    if into is None:
        raise InvalidInput("merge needs 'into': the id of the case to merge into", code="bad_merge")
    if into == case.id:
        raise InvalidInput("a case cannot be merged into itself", code="bad_merge")
    target = get_case(session, user, int(into))
    require_act(session, user, target)
    if target.state not in OPEN_STATES:
        raise Conflict(f"case {into} is {target.state}; merge only into an open case", code="illegal_transition")
    if target.grid_id is None:  # its grid's staff could not see the case merged into it
        raise Conflict(f"case {into} is not located to a grid yet; place it first", code="unlocated")
    case.state = "merged"
    case.merged_into_id = target.id


def escalate_overdue(session: Session, now: datetime | None = None, batch: int = 500,
                     commit: bool = True) -> list[int]:
    """Raise every overdue open case one level (grid → community → street) in one transaction;
    safe to run concurrently. commit=False leaves it open for the caller."""
    now = now or clock.now()
    escalated = []
    last_id = 0
    while True:
        # SKIP LOCKED: a second runner takes other rows instead of waiting or repeating work; the id
        # keyset keeps this run from taking again the rows it already escalated (it holds their locks).
        rows = session.scalars(
            select(Case).where(Case.overdue_at(now), Case.level != "street",
                               Case.grid_id.is_not(None), Case.id > last_id)
            .order_by(Case.id).limit(batch).with_for_update(skip_locked=True)).all()
        if not rows:
            break
        for case in rows:
            from_level = case.level
            _move_level(case, +1)
            _restart_deadline(case, now, "escalate")
            case.updated_at = now
            session.add(CaseEvent(case_id=case.id, action="escalate", actor_id=None, at=now,
                                  from_state=case.state, to_state=case.state, from_level=from_level,
                                  to_level=case.level, note=workflow.ESCALATION_NOTE))
            escalated.append(case.id)
        last_id = rows[-1].id
        session.flush()
    if commit:
        session.commit()
    return escalated
