"""Display names of workflow codes (states, levels, actions, categories) in the UI language."""
from __future__ import annotations

from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from grid_app.cases import workflow

# The labels of a map come from the caller as a gettext(msgid, **variables): flask_babel's in a
# request, grid_app.platform.i18n.translator(lang) in a script.
Translate = Callable[..., str]

# English names of actions; the Chinese ones come from the workflow table.
ACTION_EN = {"register": "Register", "reject": "Reject", "dispatch": "Dispatch", "start": "Start handling",
             "report": "Report back", "close": "Verify and close", "reopen": "Send back (not fixed)",
             "evaluate": "Evaluate", "escalate": "Escalate", "deescalate": "Hand down", "merge": "Merge",
             "place": "Place in a grid", "collect": "Collected"}
ACTION_ZH = {**{name: a.label_zh for name, a in workflow.ACTIONS.items()}, "merge": "合并", "collect": "信息采集"}
# The notes the system writes into the event log (stored as they are, in English): (Chinese, English).
SYSTEM_NOTES = {
    workflow.UNLOCATED_NOTE: ("不在任何网格内：待街道定位到网格或不予立案。",
                              "In no grid: held for the street to place in a grid or reject."),
    workflow.ESCALATION_NOTE: ("超过期限，已自动上报。", "Deadline passed: escalated automatically."),
}
# Colours of states on maps, badges and charts (open states warm, finished ones cool).
STATE_COLOURS = {"collected": "#f59e0b", "registered": "#f97316", "dispatched": "#ef4444",
                 "handling": "#dc2626", "reported": "#8b5cf6", "closed": "#10b981",
                 "evaluated": "#059669", "rejected": "#9ca3af", "merged": "#6b7280"}
OVERDUE_COLOUR = "#7f1d1d"


def _zh(lang: str | None) -> bool:
    return (lang or "zh").startswith("zh")


def state_name(state: str | None, lang: str | None = "zh") -> str:
    """The name of a case state."""
    if state is None:
        return "—"
    names = workflow.STATE_NAMES.get(state)
    return (names[0] if _zh(lang) else names[1]) if names else state


def level_name(level: str | None, lang: str | None = "zh") -> str:
    """The name of a handling level."""
    if level is None:
        return "—"
    names = workflow.LEVEL_NAMES.get(level)
    return (names[0] if _zh(lang) else names[1]) if names else level


def action_name(action: str, lang: str | None = "zh") -> str:
    """The name of a workflow action (or of the event it wrote)."""
    table = ACTION_ZH if _zh(lang) else ACTION_EN
    return table.get(action, action)


def event_note(event, lang: str | None = "zh") -> str | None:
    """An event's note as shown: one the system wrote in the UI language, a person's as written."""
    note = event.shown_note
    shown = SYSTEM_NOTES.get(note) if event.note_by_system else None
    return note if shown is None else shown[0 if _zh(lang) else 1]


def category_name(category, lang: str | None = "zh") -> str:
    """The name of a case category object."""
    if category is None:
        return "—"
    return category.name if _zh(lang) else (category.name_en or category.name)


def to_local(value: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str | None:
    """A stored UTC time as text in the display time zone (None stays None)."""
    return value.astimezone(zone).strftime(fmt) if value is not None else None
