"""Synthesising case histories in numpy: each case a valid path of grid_app/cases/workflow.py.

A case walks fixed slots (collect, register|reject, [escalate], dispatch, start, report,
[reopen, report], close, [evaluate]); every step takes less than its deadline, so only the few
cases that stall (and stop before the end) pass their deadline, and those are escalated by the
periodic job at the deadline (grid → community → street), as escalate_overdue() would have done.
Events after `now` have not happened yet: such a case is open today, not overdue.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grid_app.cases import workflow
from grid_app.models.cases import LEVELS, OPEN_STATES, STATES

HOUR = 3600.0
YEAR = 365.25 * 24 * HOUR
# slot: (action, from state, to state); slot 1 is register or reject, 10 and 11 the job's escalations
SLOTS = [("collect", None, "collected"), ("register", "collected", "registered"),
         ("escalate", "registered", "registered"), ("dispatch", "registered", "dispatched"),
         ("start", "dispatched", "handling"), ("report", "handling", "reported"),
         ("reopen", "reported", "handling"), ("report", "handling", "reported"),
         ("close", "reported", "closed"), ("evaluate", "closed", "evaluated")]
N_SLOTS = len(SLOTS) + 2
STEP_INDEX = {step: i for i, step in enumerate(workflow.STEPS)}
STATE_INDEX = {s: i for i, s in enumerate(STATES)}
# the step whose deadline runs in each state (-1: none), as an array over STATES
STEP_OF = np.array([STEP_INDEX.get(workflow.STEP_OF_STATE.get(s), -1) for s in STATES])
OPEN = np.array([s in OPEN_STATES for s in STATES])
# Shares: rejected, escalated by hand (grid or community level), reopened once, evaluated, stalled.
P_REJECT, P_ESCALATE, P_REOPEN, P_EVALUATE, P_STALL = 0.03, 0.06, 0.04, 0.85, 0.004


@dataclass
class Places:
    """Where cases happen: one row per building, with its ids, street code, point and weight."""

    building: np.ndarray
    residential_area: np.ndarray  # -1: none
    grid: np.ndarray
    community: np.ndarray
    street_code: np.ndarray  # str
    lon: np.ndarray
    lat: np.ndarray
    weight: np.ndarray
    worker: np.ndarray  # the grid worker's user id
    secretary: np.ndarray  # the community secretary's user id
    officer: np.ndarray  # the street officer's user id


@dataclass
class Categories:
    """The code list: ids, default level index, hours per step (register, dispatch, handle, verify), names."""

    id: np.ndarray
    level: np.ndarray
    hours: np.ndarray  # (n, 4)
    name: np.ndarray
    weight: np.ndarray


def created_times(rng: np.random.Generator, n: int, now: float, years: float) -> np.ndarray:
    """n sorted creation times over the last `years`: more recent years busier, weekends and nights quieter."""
    start = now - years * YEAR
    days = int(years * 365.25)
    day = np.arange(days)
    weekday = (np.floor((start / 86400.0 + day + 3) % 7)).astype(int)  # 1970-01-01 was a Thursday
    season = 1 + 0.25 * np.sin(2 * np.pi * (day / 365.25 - 0.3))  # a summer peak
    w = (0.6 + 0.4 * day / days) * season * np.where(weekday >= 5, 0.6, 1.0)
    picked = rng.choice(days, size=n, p=w / w.sum())
    hour = np.clip(rng.normal(12.5, 3.5, n), 6.0, 22.5)
    t = start + picked * 86400.0 + hour * HOUR
    t = np.minimum(t, now - 60.0)
    t.sort()
    return t


def synthesise(rng: np.random.Generator, t0: np.ndarray, places: Places, cats: Categories, now: float,
               first_id: int) -> tuple[dict, dict]:
    """Cases created at t0 (sorted): (case columns, event columns), events in case and slot order."""
    n = len(t0)
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    home = rng.choice(len(places.building), size=n, p=places.weight / places.weight.sum())
    cat = rng.choice(len(cats.id), size=n, p=cats.weight / cats.weight.sum())
    sev = rng.choice([1, 2, 3], size=n, p=[0.75, 0.2, 0.05])
    lvl0 = np.where(sev >= 3, np.maximum(cats.level[cat], LEVELS.index("community")), cats.level[cat])
    H = cats.hours[cat] * HOUR  # (n, 4): register, dispatch, handle, verify
    reject = rng.random(n) < P_REJECT
    esc = ~reject & (lvl0 < 2) & (rng.random(n) < P_ESCALATE * (1 + (sev >= 2)))
    reopen = ~reject & (rng.random(n) < P_REOPEN)
    evaluate = ~reject & (rng.random(n) < P_EVALUATE)
    present = np.ones((n, len(SLOTS)), dtype=bool)
    present[:, 2] = esc
    present[:, 3:6] = ~reject[:, None]
    present[:, 6:8] = reopen[:, None]
    present[:, 8] = ~reject
    present[:, 9] = evaluate
    u = 0.05 + 0.95 * rng.random((n, len(SLOTS)))
    # Each duration is a share of the deadline then running: no step ever overruns it.
    dur = np.column_stack([np.zeros(n), 0.9 * H[:, 0], 0.5 * H[:, 1], 0.9 * H[:, 1], 0.4 * H[:, 2],
                           0.45 * H[:, 2], 0.9 * H[:, 3], 0.9 * H[:, 2], 0.9 * H[:, 3],
                           np.full(n, 72 * HOUR)]) * u
    T = t0[:, None] + np.cumsum(dur * present, axis=1)
    # A stalled case stops after a random open step and waits there past its deadline.
    stall = ~reject & (rng.random(n) < P_STALL)
    stop = np.where(stall, rng.choice([0, 1, 3, 4, 5], size=n), len(SLOTS))
    reached = present & (T <= now) & (np.arange(len(SLOTS))[None, :] <= stop[:, None])
    level = np.repeat(lvl0[:, None], len(SLOTS), axis=1) + (esc[:, None] & (np.arange(len(SLOTS)) >= 2))
    to_state = np.array([STATE_INDEX[s[2]] for s in SLOTS])[None, :].repeat(n, axis=0)
    to_state[:, 1] = np.where(reject, STATE_INDEX["rejected"], STATE_INDEX["registered"])
    last = len(SLOTS) - 1 - np.argmax(reached[:, ::-1], axis=1)
    rows = np.arange(n)
    state, lvl, t_last = to_state[rows, last], level[rows, last], T[rows, last]
    deadline = _deadline_after(T, H, state, last)
    auto_t, auto_from = [], []
    for _ in range(2):  # the job escalates an overdue open case at its deadline, up to street level
        due = OPEN[state] & (deadline < now) & (lvl < 2)
        auto_t.append(np.where(due, deadline, np.nan))
        auto_from.append(lvl.copy())
        lvl = lvl + due
        step_h = H[rows, np.maximum(STEP_OF[state], 0)]
        deadline = np.where(due, deadline + step_h, deadline)
        t_last = np.where(due, auto_t[-1], t_last)
    staff = {"grid": places.worker[home], "community": places.secretary[home], "street": places.officer[home]}
    cases = {
        "id": ids, "category_id": cats.id[cat], "severity": sev, "home": home, "cat": cat,
        "state": np.array(STATES)[state], "level": np.array(LEVELS)[lvl], "max_level": np.array(LEVELS)[lvl],
        "deadline": np.where(OPEN[state], deadline, np.nan), "created_at": t0, "updated_at": t_last,
        "resolve_by": t0 + H.sum(axis=1),
        "closed_at": np.where(reached[:, 8], T[:, 8], np.nan),
        "rating": np.where(reached[:, 9], rng.choice([3, 4, 5, 5, 5], size=n), -1),
        "reopen_count": reached[:, 6].astype(int),
        "handler_id": np.where(reached[:, 4], _actor(staff, level[:, 4], "handle"), -1),
        "reporter_id": staff["grid"],
        "version": reached.sum(axis=1) + sum(~np.isnan(a) for a in auto_t),
    }
    events = _events(ids, reached, T, to_state, level, reject, staff, auto_t, auto_from, state)
    return cases, events


def _deadline_after(T, H, state, last):
    """The deadline running after the case's last event: the step's hours from the event that started it."""
    rows = np.arange(len(T))
    step = STEP_OF[state]
    # start keeps the handling deadline of the dispatch (slot 3); every other action restarts it
    since = np.where(last == 4, T[:, 3], T[rows, last])
    return np.where(step >= 0, since + H[rows, np.maximum(step, 0)], np.nan)


def _actor(staff: dict, level: np.ndarray, kind: str) -> np.ndarray:
    """Who takes an action at each level: the handler (worker / secretary / officer) or the supervisor."""
    grid = staff["community"] if kind == "supervise" else staff["grid"]  # the secretary supervises the grid
    return np.select([level == 0, level == 1], [grid, staff["community"]], staff["street"])


def _events(ids, reached, T, to_state, level, reject, staff, auto_t, auto_from, state) -> dict:
    """Event columns for every reached slot and the job's escalations, in case then slot order."""
    n = len(ids)
    cols: dict[str, list] = {k: [] for k in ("case_id", "action", "actor_id", "at", "from_state", "to_state",
                                             "from_level", "to_level", "note")}
    prev_state = np.full(n, -1)
    prev_level = np.full(n, -1)
    for s, (action, _, _) in enumerate(SLOTS):
        m = reached[:, s]
        act = np.full(n, action, dtype=object)
        if s == 1:
            act[reject] = "reject"
        from_level = np.where(prev_level >= 0, prev_level, level[:, s])
        kind = "supervise" if s in (9,) else "handle"
        actor = _actor(staff, from_level if action == "escalate" else level[:, s], kind)
        if s == 1:
            actor = np.where(reject, _actor(staff, level[:, s], "supervise"), actor)
        actor = actor if s else staff["grid"]
        _append(cols, m, ids, act, actor, T[:, s], prev_state, to_state[:, s], from_level, level[:, s], None)
        prev_state = np.where(m, to_state[:, s], prev_state)
        prev_level = np.where(m, level[:, s], prev_level)
    for at, lvl in zip(auto_t, auto_from):
        m = ~np.isnan(at)
        _append(cols, m, ids, np.full(n, "escalate", dtype=object), np.full(n, -1), at, state, state,
                lvl, lvl + 1, workflow.ESCALATION_NOTE)
    out = {k: np.concatenate(v) for k, v in cols.items() if k != "note"}
    out["note"] = np.concatenate(cols["note"])
    order = np.lexsort((out["at"], out["case_id"]))  # per case in time order: slot order already is
    return {k: v[order] for k, v in out.items()}


def _append(cols, m, ids, act, actor, at, from_state, to_state, from_level, to_level, note):
    states = np.array([*STATES, None], dtype=object)
    levels = np.array(LEVELS, dtype=object)
    cols["case_id"].append(ids[m])
    cols["action"].append(act[m])
    cols["actor_id"].append(actor[m])
    cols["at"].append(at[m])
    cols["from_state"].append(states[from_state[m]])  # -1 picks None (the collect event)
    cols["to_state"].append(states[to_state[m]])
    cols["from_level"].append(np.where(from_state[m] >= 0, levels[from_level[m]], None))
    cols["to_level"].append(levels[to_level[m]])
    cols["note"].append(np.full(int(m.sum()), note, dtype=object))
