"""A year of demo cases, planned: what is logged where and when, and every step it then takes.

Nothing here touches the database: history_write.py carries the plan out through the app's own intake and
workflow. Each day of each grid (and of each hotspot) has its own generator, seeded by the calendar day,
so a day always plans the same cases under the same idempotency keys and a reload finds them again.
Counts follow the week (fewer on Sundays) and the seasons (more rubbish and street vending in summer,
burst pipes in winter); a market and a construction site draw their own clusters.
"""
from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from grid_app.cases.workflow import level_for
from grid_app.demo_data.history_texts import DESCRIPTIONS, DONE, ESCALATE_NOTES, REJECT_NOTES, REOPEN_NOTES
from grid_app.models.cases import LEVELS

SEED = "grid_app-demo-history-1"
HISTORY_DAYS = 365
KEY_PREFIX = "demo-case:"  # the demo's cases are found (and never made twice) by this key prefix
PER_GRID_DAY = 0.1  # cases a grid logs on an average day: with the hotspots about 1,350 a year in the demo
WEEKDAY = (1.15, 1.1, 1.05, 1.05, 1.0, 0.75, 0.5)  # Monday .. Sunday
M_PER_DEG = 111_320.0
P_PUBLIC, P_PHOTO = 0.12, 0.012
SUMMER = (0.7, 0.7, 0.85, 1.0, 1.15, 1.35, 1.5, 1.5, 1.25, 1.0, 0.85, 0.75)
WARM = (0.6, 0.7, 0.9, 1.1, 1.2, 1.3, 1.35, 1.3, 1.2, 1.1, 0.85, 0.65)
WINTER = (1.8, 1.5, 1.0, 0.8, 0.7, 0.7, 0.7, 0.7, 0.8, 0.9, 1.2, 1.6)
FLAT = (1.0,) * 12
# Category code: (share of an average month, seasonal factor per month), after a street's usual mix:
# rubbish, vending, parking and small ads dominate; disputes, hazards and help for residents follow.
CATEGORY_MIX = {
    "0101": (0.17, SUMMER), "0102": (0.04, SUMMER), "0103": (0.05, SUMMER), "0201": (0.07, FLAT),
    "0202": (0.01, FLAT), "0301": (0.02, WARM), "0302": (0.006, WARM), "0401": (0.004, SUMMER),
    "0402": (0.015, WINTER), "0501": (0.12, WARM), "0502": (0.07, FLAT), "0503": (0.10, FLAT),
    "0601": (0.05, WARM), "0602": (0.02, FLAT), "0701": (0.04, FLAT), "0702": (0.01, WARM),
    "0703": (0.05, FLAT), "0801": (0.03, WINTER), "0802": (0.01, WINTER), "0901": (0.01, FLAT),
    "9901": (0.07, FLAT),
}
# What becomes of a case, drawn per case: most are closed inside their level, a few go up.
OUTCOMES = (("closed", 0.73), ("reopened", 0.04), ("late", 0.06), ("escalated", 0.09),
            ("escalated_twice", 0.02), ("rejected", 0.04), ("stuck", 0.02))
RATINGS = {"closed": (5, 5, 5, 4, 4, 4, 3), "reopened": (3, 4, 4, 2), "late": (2, 3, 3, 4),
           "escalated": (4, 5, 5, 3), "escalated_twice": (3, 4, 5)}
P_EVALUATED = 0.65
STUCK_ESCALATE_DAYS = 30  # a case stuck longer than this was sent up a level (and stuck there too)
STUCK_AT_MOST_DAYS = 120  # older cases drawn as stuck were closed late instead


@dataclass(frozen=True)
class GridPlace:
    """A grid as the plan needs it: its code, its community's code and points where cases happen."""

    code: str
    community: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Hotspot:
    """A place that draws its own cases: a centre, a radius, categories, a rate and the days it is active."""

    code: str
    grid: str
    address: str
    lon: float
    lat: float
    radius_m: float
    categories: tuple[tuple[str, float], ...]
    per_day: float
    active_days: tuple[int, int]  # days back from the load day: (from, to), inclusive


@dataclass(frozen=True)
class Category:
    """A category as the plan needs it: its code, the level it starts at and the hours each step may take."""

    code: str
    level: str
    hours: dict


@dataclass(frozen=True)
class Step:
    """One workflow action, when, with its note and (evaluate) rating."""

    action: str
    at: datetime
    note: str | None = None
    rating: int | None = None
    photo: bool = False


@dataclass(frozen=True)
class PlannedCase:
    """A case to log: its key, where, what, by whom (a grid's worker or the public), and its steps."""

    key: str
    grid: str
    category: str
    severity: int
    lon: float
    lat: float
    address: str | None
    description: str
    at: datetime
    public: bool
    photo: bool
    outcome: str
    steps: tuple[Step, ...]


def plan(grids: list[GridPlace], hotspots: list[Hotspot], categories: dict[str, Category], now: datetime,
         zone: tzinfo, *, days: int = HISTORY_DAYS, per_month: int | None = None) -> list[PlannedCase]:
    """Every case of the last `days` days up to `now`, oldest first (a slice: `per_month` per community and month).

    In every grid the newest case is still open today and one of about ten days ago is stuck past its
    deadline, so each worker's task list and each community's overdue count show something (slice or not)."""
    today = now.astimezone(zone).date()
    by_grid: dict[str, list[PlannedCase]] = {}
    mix = _monthly_mix(categories)
    for age in range(days, -1, -1):
        day = today - timedelta(days=age)
        for g in grids:
            by_grid.setdefault(g.code, []).extend(_grid_day(g, day, mix[day.month - 1], categories, zone, now))
        for spot in hotspots:
            if spot.active_days[1] <= age <= spot.active_days[0]:
                by_grid.setdefault(spot.grid, []).extend(_spot_day(spot, day, categories, zone, now))
    cases, forced = [], set()
    for planned in by_grid.values():
        planned.sort(key=lambda c: c.at)
        cases.extend(_force_open_and_stuck(planned, categories, now, forced))
    cases.sort(key=lambda c: (c.at, c.key))
    if per_month is not None:
        community = {g.code: g.community for g in grids}
        cases = _cap(cases, forced, community, per_month, zone)
    return cases


def _cap(cases: list[PlannedCase], forced: set[str], community: dict[str, str], per_month: int,
         zone: tzinfo) -> list[PlannedCase]:
    """The forced cases and the first `per_month` others of each community and month."""
    taken: dict[tuple, int] = {}
    kept = []
    for c in cases:
        local = c.at.astimezone(zone)
        month = (community[c.grid], local.year, local.month)
        if c.key in forced:
            kept.append(c)
        elif taken.get(month, 0) < per_month:
            taken[month] = taken.get(month, 0) + 1
            kept.append(c)
    return kept


def _force_open_and_stuck(planned: list[PlannedCase], categories, now: datetime,
                          forced: set[str]) -> list[PlannedCase]:
    if not planned:
        return planned
    out = list(planned)
    out[-1] = _replan(out[-1], "open", categories, now)
    forced.add(out[-1].key)
    ten_days = now - timedelta(days=10)
    older = [i for i, c in enumerate(out[:-1]) if c.outcome != "stuck"]
    if older:
        i = min(older, key=lambda j: abs((out[j].at - ten_days).total_seconds()))
        out[i] = _replan(out[i], "stuck", categories, now)
        forced.add(out[i].key)
    return out


def _replan(c: PlannedCase, outcome: str, categories, now: datetime) -> PlannedCase:
    rng = random.Random(f"{SEED}:replan:{c.key}:{outcome}")
    steps = plan_steps(rng, categories[c.category], c.severity, outcome, c.at, now)
    return PlannedCase(**{**c.__dict__, "outcome": outcome, "steps": steps})


def _monthly_mix(categories) -> list[tuple[list[str], list[float], float]]:
    """Per month: the categories, their weights that month and the weights' sum (the month's busyness)."""
    out = []
    for month in range(12):
        codes = [code for code in CATEGORY_MIX if code in categories]
        weights = [CATEGORY_MIX[code][0] * CATEGORY_MIX[code][1][month] for code in codes]
        out.append((codes, list(itertools.accumulate(weights)), sum(weights)))
    return out


def _grid_day(g: GridPlace, day: date, mix, categories, zone: tzinfo, now: datetime) -> list[PlannedCase]:
    rng = random.Random(f"{SEED}:{day.isoformat()}:{g.code}")
    codes, cumulative, busyness = mix
    out = []
    for n in range(_poisson(rng, PER_GRID_DAY * WEEKDAY[day.weekday()] * busyness)):
        code = rng.choices(codes, cum_weights=cumulative)[0]
        lon, lat = _near(rng, *rng.choice(g.points), rng.uniform(3, 30))
        case = _case(rng, f"{KEY_PREFIX}{day:%Y%m%d}:{g.code}:{n}", g.code, code, lon, lat, None, day,
                     categories, zone, now)
        if case is not None:
            out.append(case)
    return out


def _spot_day(spot: Hotspot, day: date, categories, zone: tzinfo, now: datetime) -> list[PlannedCase]:
    rng = random.Random(f"{SEED}:{day.isoformat()}:{spot.code}")
    codes = [code for code, _ in spot.categories if code in categories]
    if not codes:
        return []
    weights = [w for code, w in spot.categories if code in categories]
    month = day.month - 1
    season = sum(CATEGORY_MIX[code][1][month] * w for code, w in zip(codes, weights)) / sum(weights)
    out = []
    for n in range(_poisson(rng, spot.per_day * WEEKDAY[day.weekday()] * season)):
        code = rng.choices(codes, weights)[0]
        # Uniform over the disc: most reports come from around the spot, none from its very centre.
        lon, lat = _near(rng, spot.lon, spot.lat, spot.radius_m * math.sqrt(rng.random()))
        case = _case(rng, f"{KEY_PREFIX}{day:%Y%m%d}:{spot.code}:{n}", spot.grid, code, lon, lat, spot.address,
                     day, categories, zone, now)
        if case is not None:
            out.append(case)
    return out


def _case(rng: random.Random, key: str, grid: str, code: str, lon: float, lat: float, address: str | None,
          day: date, categories, zone: tzinfo, now: datetime) -> PlannedCase | None:
    public = rng.random() < P_PUBLIC
    # Workers log in working hours; the public also in the evening.
    minutes = rng.randrange(7 * 60 + 30, 18 * 60) if not public else rng.randrange(7 * 60, 22 * 60)
    at = datetime.combine(day, time(0, 0), zone) + timedelta(minutes=minutes, seconds=rng.randrange(60))
    if at >= now:
        return None  # later today: not yet happened
    severity = rng.choices((1, 2, 3), (0.86, 0.11, 0.03))[0]
    roll, outcome = rng.random(), OUTCOMES[-1][0]
    for name, p in OUTCOMES:
        if roll < p:
            outcome = name
            break
        roll -= p
    if outcome == "stuck" and now - at > timedelta(days=STUCK_AT_MOST_DAYS):
        outcome = "late"  # no case is left open for the better part of a year: it was closed, late
    steps = plan_steps(rng, categories[code], severity, outcome, at, now)
    return PlannedCase(key, grid, code, severity, round(lon, 7), round(lat, 7), address,
                       rng.choice(DESCRIPTIONS[code]), at, public, rng.random() < P_PHOTO, outcome, steps)


def plan_steps(rng: random.Random, category: Category, severity: int, outcome: str, at: datetime,
               now: datetime) -> tuple[Step, ...]:
    """The actions a case takes after it is logged, each within its step's hours unless the outcome says
    late or stuck; only those before `now` (the rest are still to come)."""
    h = category.hours
    steps: list[Step] = []
    t = at

    def add(action, hours, note=None, rating=None, photo=False):
        nonlocal t
        t = t + timedelta(hours=hours)
        steps.append(Step(action, t, note, rating, photo))

    if outcome == "rejected":
        add("reject", h["register"] * rng.uniform(0.2, 0.9), rng.choice(REJECT_NOTES))
        return _before(steps, now)
    add("register", h["register"] * rng.uniform(0.1, 0.8))
    room = len(LEVELS) - 1 - LEVELS.index(level_for(category.level, severity))  # levels it can still go up
    for _ in range(min(room, {"escalated": 1, "escalated_twice": 2}.get(outcome, 0))):
        add("escalate", h["dispatch"] * rng.uniform(0.1, 0.5), rng.choice(ESCALATE_NOTES))
    add("dispatch", h["dispatch"] * rng.uniform(0.1, 0.7))
    if outcome == "open":
        return _before(steps[:rng.randint(0, len(steps))], now)
    if outcome == "stuck":
        if rng.random() < 0.6:
            add("start", h["handle"] * rng.uniform(0.05, 0.3))
        if (now - at).days > STUCK_ESCALATE_DAYS and room > 0:
            # Long past its deadline: sent up a level, where it waits too (an old 积案).
            add("escalate", h["handle"] * rng.uniform(1.2, 2.5), rng.choice(ESCALATE_NOTES))
        return _before(steps, now)
    add("start", h["handle"] * rng.uniform(0.02, 0.2))
    late = rng.uniform(1.2, 2.0) if outcome == "late" else rng.uniform(0.1, 0.65)
    add("report", h["handle"] * late, rng.choice(DONE[category.code]), photo=rng.random() < 0.3)
    if outcome == "reopened":
        add("reopen", h["verify"] * rng.uniform(0.1, 0.5), rng.choice(REOPEN_NOTES))
        add("report", h["handle"] * rng.uniform(0.1, 0.4), rng.choice(DONE[category.code]))
    add("close", h["verify"] * rng.uniform(0.05, 0.6))
    if rng.random() < P_EVALUATED:
        add("evaluate", rng.uniform(2, 72), rating=rng.choice(RATINGS[outcome]))
    return _before(steps, now)


def _before(steps: list[Step], now: datetime) -> tuple[Step, ...]:
    kept = []
    for s in steps:
        if s.at >= now:
            break
        kept.append(s)
    return tuple(kept)


def _near(rng: random.Random, lon: float, lat: float, metres: float) -> tuple[float, float]:
    angle = rng.uniform(0, 2 * math.pi)
    return (lon + metres * math.cos(angle) / (M_PER_DEG * math.cos(math.radians(lat))),
            lat + metres * math.sin(angle) / M_PER_DEG)


def _poisson(rng: random.Random, rate: float) -> int:
    """A Poisson draw (Knuth's method: rates here are small)."""
    limit, k, p = math.exp(-rate), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
