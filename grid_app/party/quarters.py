"""Quarters ("2026Q3") for the 双报告 report and the party indicators, bounded in the display time zone.

A quarter runs from its first day 00:00 to the next quarter's first day 00:00 in the display zone
(Asia/Shanghai by default, DISPLAY_TIMEZONE), half-open: an activity at 1 July 00:00 Beijing time is
in Q3, one at 30 September 23:59 too, one at 1 October 00:00 is not.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from grid_app.platform.errors import InvalidInput

PATTERN = re.compile(r"(\d{4})\s*[Qq]\s*([1-4])")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999  # the years a party report can be about


@dataclass(frozen=True)
class Quarter:
    """One calendar quarter of one year."""

    year: int
    number: int

    @property
    def code(self) -> str:
        """The quarter as it is written: 2026Q3."""
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> date:
        """The quarter's first day (what MemberRemark.quarter_start holds)."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def next_first_day(self) -> date:
        """The first day of the next quarter (the exclusive end)."""
        return date(self.year + 1, 1, 1) if self.number == 4 else date(self.year, 3 * self.number + 1, 1)

    @property
    def last_day(self) -> date:
        """The quarter's last day (inclusive)."""
        return date.fromordinal(self.next_first_day.toordinal() - 1)

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) as aware instants: the first day 00:00 and the next quarter's 00:00 in ``zone``."""
        return (datetime.combine(self.first_day, time(), zone), datetime.combine(self.next_first_day, time(), zone))

    def previous(self) -> "Quarter":
        """The quarter before this one."""
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def label_zh(self) -> str:
        """2026年第3季度."""
        return f"{self.year}年第{self.number}季度"


def parse_quarter(raw, field: str = "quarter") -> Quarter:
    """A quarter from text such as 2026Q3 (2026q3, 2026 Q3); InvalidInput naming the expected form."""
    if raw is None or not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(f"{field} is required, as YEAR + Q + 1-4, e.g. 2026Q3", code="bad_quarter",
                           details={"field": field, "reason": "missing"})
    found = PATTERN.fullmatch(raw.strip())
    if found is None:
        raise InvalidInput(f"{field} must be YEAR + Q + 1-4, e.g. 2026Q3, got {raw.strip()[:20]!r}",
                           code="bad_quarter", details={"field": field, "reason": "format"})
    year = int(found.group(1))
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise InvalidInput(f"{field} must be a quarter of the years {EARLIEST_YEAR} to {LATEST_YEAR} such as 2026Q3, "
                           f"got {raw.strip()[:20]!r}",
                           code="bad_quarter", details={"field": field, "reason": "range"})
    return Quarter(year, int(found.group(2)))


def quarter_of(day: date) -> Quarter:
    """The quarter holding ``day``."""
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def current_quarter(zone: tzinfo, now: datetime | None = None) -> Quarter:
    """The quarter holding today in ``zone``."""
    from grid_app.cases import clock
    return quarter_of((now or clock.now()).astimezone(zone).date())
