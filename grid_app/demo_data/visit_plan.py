"""The demo's visits: a few months of a grid worker's visits to each key resident, dated back from today.

Dates are counted back from the load date, so whenever the demo is loaded some key residents are
overdue today and the rest are due later; everything else (who, how, what was found) comes from a
generator seeded per resident, so a reload makes the same visits on new dates.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from grid_app.demo_data.people import SEED

HISTORY_DAYS = 90
KEY_PREFIX = "demo:"  # the demo's visits are found (and replaced on a reload) by this idempotency-key prefix
P_NEVER, P_OVERDUE = 0.04, 0.15
P_FAR, P_FOLLOW_UP = 0.03, 0.6  # share of home visits far from home; of concerning findings to follow up
M_PER_DEG = 111_320.0
KINDS = {7: (("home", 0.5), ("phone", 0.45), ("video", 0.05)),
         14: (("home", 0.7), ("phone", 0.25), ("video", 0.05))}
KINDS_DEFAULT = (("home", 0.6), ("phone", 0.35), ("video", 0.05))
FINDINGS = ["身体状况良好，生活正常", "情绪稳定，已叮嘱按时服药", "家中整洁，未发现安全隐患",
            "子女近期来探望过，生活有人照应", "已提醒用电用气安全", "电话联系，本人表示一切正常",
            "已讲解最新惠民政策", "已送去社区活动通知"]
CONCERNS = ["反映腿脚不便，需协助预约社区医生上门", "家中燃气灶老化，建议更换", "反映低保年审材料不清楚，需跟进",
            "楼道堆放杂物影响出行，需协调物业清理", "近期血压偏高，已联系家庭医生", "卫生间漏水，需联系维修"]
P_CONCERN = 0.08


@dataclass(frozen=True)
class KeyResident:
    """A key resident as the plan needs it: a stable key, the grid, the shortest interval, the home's point."""

    key: str
    grid: str | None
    interval_days: int
    lon: float
    lat: float


@dataclass(frozen=True)
class PlannedVisit:
    """One visit to write."""

    resident: str
    kind: str
    at: datetime
    finding: str
    follow_up: bool
    lon: float | None
    lat: float | None
    far_from_home: bool
    idempotency_key: str


def plan(residents: list[KeyResident], today: date, zone: tzinfo) -> list[PlannedVisit]:
    """The visits of every key resident; the first key resident of each grid is overdue today."""
    visits, seen_grids = [], set()
    for r in residents:
        rng = random.Random(f"{SEED}:visits:{r.key}")
        roll = rng.random()
        overdue = r.grid not in seen_grids or P_NEVER <= roll < P_NEVER + P_OVERDUE
        seen_grids.add(r.grid)
        if roll < P_NEVER and not overdue:
            continue  # newly tagged: never visited, due now
        days = r.interval_days
        # Whole days back, visits in working hours: on time is 1..interval-1 days ago (due after today
        # ends), overdue is more than the interval ago (due before today began).
        age = rng.randint(days + 1, 2 * days + 3) if overdue else rng.randint(1, max(1, days - 1))
        n = 0
        while age <= HISTORY_DAYS:
            visits.append(_visit(r, rng, today - timedelta(days=age), zone, n))
            age += max(1, round(days * rng.uniform(0.7, 1.0)))
            n += 1
    return visits


def _visit(r: KeyResident, rng: random.Random, day: date, zone: tzinfo, n: int) -> PlannedVisit:
    options = KINDS.get(r.interval_days, KINDS_DEFAULT)
    kind = rng.choices([k for k, _ in options], [w for _, w in options])[0]
    at = datetime.combine(day, time(8, 30), zone) + timedelta(minutes=rng.randrange(9 * 60))
    concern = rng.random() < P_CONCERN
    finding = rng.choice(CONCERNS if concern else FINDINGS)
    lon = lat = None
    far = False
    if kind == "home":
        far = rng.random() < P_FAR
        # Near: within 25 m of the building's point; far: 300-900 m off, well beyond the 200 m flag.
        metres, angle = (rng.uniform(300, 900) if far else rng.uniform(2, 25)), rng.uniform(0, 2 * math.pi)
        lat = r.lat + metres * math.sin(angle) / M_PER_DEG
        lon = r.lon + metres * math.cos(angle) / (M_PER_DEG * math.cos(math.radians(r.lat)))
    return PlannedVisit(r.key, kind, at, finding, concern and rng.random() < P_FOLLOW_UP, lon, lat, far,
                        f"{KEY_PREFIX}{r.key}:{n}")
