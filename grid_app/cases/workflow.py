"""The case workflow as data: states, actions, who may take each at each level, and deadlines.

The seven steps of digital urban management (GB/T 30428 / CJJ/T 106) map to states:
信息采集 collected → 案卷建立 registered → 任务派遣 dispatched → 任务处理 handling →
处理反馈 reported → 核查结案 closed → 综合评价 evaluated; plus 不予立案 rejected and merged.
Only cases_service.transition() applies this table; nothing else changes a case's state.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from grid_app.models.cases import LEVELS, OPEN_STATES

STATE_NAMES = {
    "collected": ("信息采集", "Collected"),
    "registered": ("案卷建立", "Registered"),
    "dispatched": ("任务派遣", "Dispatched"),
    "handling": ("任务处理", "Handling"),
    "reported": ("处理反馈", "Reported back"),
    "closed": ("核查结案", "Closed"),
    "evaluated": ("综合评价", "Evaluated"),
    "rejected": ("不予立案", "Rejected"),
    "merged": ("已合并", "Merged"),
}
LEVEL_NAMES = {"grid": ("网格", "Grid"), "community": ("社区", "Community"), "street": ("街道", "Street")}

# Which step's deadline runs while a case is in each state (hours come from its category).
STEP_OF_STATE = {"collected": "register", "registered": "dispatch", "dispatched": "handle",
                 "handling": "handle", "reported": "verify"}
STEPS = ("register", "dispatch", "handle", "verify")

# Shorthands for who may act at a level; admin may always act.
_G = {"grid": {"worker", "secretary"}, "community": {"secretary"}, "street": {"street"}}
_SUPERVISE = {"grid": {"secretary"}, "community": {"secretary"}, "street": {"street"}}
_HANDLE = {"grid": {"worker"}, "community": {"secretary"}, "street": {"street"}}
TRIAGE_ROLES = {"street"}  # who sorts out cases no grid holds (access/scope.py gives them the street's)
TRIAGE_ACTIONS = ("reject", "place")  # all that can be done with a case no grid holds, until it is placed
# Notes the system writes into the event log (labels.SYSTEM_NOTES shows them in the UI language).
UNLOCATED_NOTE = "unlocated: held for triage"  # intake's, on a case logged in no grid
ESCALATION_NOTE = "deadline passed (automatic)"  # the escalation job's


@dataclass(frozen=True)
class Action:
    """One action: the states it applies to, where it leads, and who may take it per level."""

    name: str
    label_zh: str
    sources: tuple[str, ...]
    target: str | None  # None: the state stays (escalate, deescalate, place)
    roles: dict[str, set[str]]
    level_step: int = 0  # +1 escalate, -1 de-escalate
    unlocated_only: bool = False  # only for a case no grid holds (triage)


ACTIONS = {a.name: a for a in (
    Action("register", "立案", ("collected",), "registered", _G),
    Action("reject", "不予立案", ("collected",), "rejected", _SUPERVISE),
    # The triage of a case whose point lies in no grid: the street gives it the grid that should handle it.
    Action("place", "定位到网格", ("collected",), None, {}, unlocated_only=True),
    Action("dispatch", "派遣", ("registered",), "dispatched", _G),
    Action("start", "开始处理", ("dispatched",), "handling", _HANDLE),
    Action("report", "处理反馈", ("handling",), "reported", _HANDLE),
    Action("close", "核查结案", ("reported",), "closed", _G),
    Action("reopen", "核查不通过", ("reported",), "handling", _G),
    Action("evaluate", "综合评价", ("closed",), "evaluated", _SUPERVISE),
    Action("escalate", "上报", OPEN_STATES, None,
           {"grid": {"worker", "secretary"}, "community": {"secretary"}, "street": set()}, +1),
    Action("deescalate", "下派", OPEN_STATES, None,
           {"grid": set(), "community": {"secretary"}, "street": {"street"}}, -1),
)}


def allowed_roles(action: Action, level: str) -> set[str]:
    """Roles that may take the action on a case at this level."""
    return action.roles.get(level, set()) | {"admin"}


def next_level(level: str, step: int) -> str | None:
    """The level one step up or down, or None past either end."""
    i = LEVELS.index(level) + step
    return LEVELS[i] if 0 <= i < len(LEVELS) else None


def level_for(category_level: str, severity: int) -> str:
    """The starting level: the category's, raised to community for severity 3."""
    if severity >= 3 and LEVELS.index(category_level) < LEVELS.index("community"):
        return "community"
    return category_level


def actions_from(state: str) -> list[str]:
    """Names of the actions whose source states include this state."""
    return [name for name, a in ACTIONS.items() if state in a.sources]


def resolve_by(start: datetime, deadline_hours: dict) -> datetime:
    """When a case whose handling starts at `start` should be finished: every step's hours in turn."""
    return start + timedelta(hours=sum(deadline_hours[step] for step in STEPS))
