"""Dates and times from query strings: ISO 8601, inside a documented range, so arithmetic never overflows.

Every since/until/start/end parameter of the API, the desk pages and Open311 goes through ``parse_time``.
Outside EARLIEST..LATEST it is a 400: ``until=0001-01-01`` minus a 30-day default period, or
``9999-12-31`` plus the day that makes a form's end date inclusive, once raised OverflowError (a 500).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from grid_app.cases import clock
from grid_app.platform.errors import InvalidInput

EARLIEST = date(1970, 1, 1)
LATEST = date(2999, 12, 31)
RANGE = f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"
# As wall-clock times: the first and last instants of that range (the end of LATEST is the next midnight).
START, END = datetime.combine(EARLIEST, time()), datetime.combine(LATEST + timedelta(days=1), time())
# An unencoded '+' of a UTC offset arrives as a space: 2026-05-01T08:00:00 08:00.
SPACED_OFFSET = re.compile(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$")


def parse_time(raw, name: str, *, code: str = "bad_period", next_day: bool = False) -> datetime | None:
    """An aware datetime from an ISO 8601 date or date-time (naive means UTC), or None when blank.

    With ``next_day`` a bare date means the end of that day (the next midnight), as a form's "until" does.
    """
    if raw is None or str(raw).strip() == "":
        return None
    text = SPACED_OFFSET.sub(r"\1+\2", str(raw).strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be an ISO 8601 date or time such as 2026-05-31 or "
                           f"2026-05-31T08:00:00+08:00, got {str(raw)[:40]!r}", code=code,
                           details={"field": name, "reason": "format"}) from exc
    bare = _is_bare_date(text)
    if not (EARLIEST <= parsed.date() <= LATEST if bare else START <= parsed.replace(tzinfo=None) <= END):
        raise InvalidInput(f"{name} must be from {RANGE}, got {str(raw)[:40]!r}", code=code,
                           details={"field": name, "reason": "range"})
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock.now().tzinfo)
    if next_day and bare:
        parsed += timedelta(days=1)
    return parsed


def _is_bare_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
