"""The demo register's synthetic people: households filling each building, residents, key residents.

Nobody here can be a real person, by construction:
- ID numbers pass the GB 11643 check digit but carry the address code 000000. GB/T 2260 gives
  provinces the codes 11-82 (the first digit 1-8), foreigners' permanent-residence cards start with 9,
  so an address code starting 0 is unassigned: no resident ID card, residence permit or foreigner's
  card ever has it, and it reads as synthetic at a glance even masked (000000********1234).
- Phones start 100: mobile numbers start 13-19, landlines 0, and 10x numbers are carriers' service
  codes (10086...), never an 11-digit subscriber number; 100 is not a service prefix used for
  messages either (106 is, so it is avoided).
- Names are drawn from the demo's name lists (names.py), so they are ordinary names, not anyone's record.

Deterministic: each building's people come from a generator seeded by SEED and the building's code,
and ages are counted from a fixed REFERENCE date, so every load makes the same people.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from grid_app.demo_data.names import GIVEN, SURNAMES
from grid_app.people.identity import check_digit

SEED = 15
REGION = "000000"  # unassigned address code (see the module docstring)
PHONE_PREFIX = "100"  # no carrier issues it (see the module docstring)
REFERENCE = date(2025, 1, 1)  # ages are counted from here, not from the load date, so people stay the same
RESIDENCE = (("户籍", 0.75), ("常住", 0.92), ("流动", 1.0))  # cumulative shares
# Fallback tag per care level, so every grid has key residents on every level.
LEVEL_FALLBACK = {"red": "serious_illness", "yellow": "disabled", "green": "veteran"}


@dataclass(frozen=True)
class DemoBuilding:
    """What the generator needs of a stored building."""

    code: str
    grid: str | None
    floors: int
    households: int
    residents: int


@dataclass
class Member:
    """A synthetic resident; care holds (tag code, level code) pairs."""

    name: str
    sex: str
    birth_date: date
    id_number: str
    phone: str | None
    relation: str
    residence_type: str
    moved_in: date
    care: list[tuple[str, str]] = field(default_factory=list)

    def age(self) -> int:
        """Whole years at the reference date."""
        return (REFERENCE - self.birth_date).days // 365


@dataclass
class Home:
    """A flat of a building with its members."""

    building: str
    grid: str | None
    unit: str
    floor: int
    room: str
    members: list[Member]


class IdAllocator:
    """Hands out distinct ID numbers: region + birth date + a sequence whose parity is the sex."""

    def __init__(self):
        self.used: set[str] = set()

    def take(self, born: date, male: bool, rng: random.Random) -> str:
        """A free GB 11643-valid number for this birth date and sex."""
        seq = rng.randrange(500) * 2 + (1 if male else 0)
        for _ in range(500):
            first17 = f"{REGION}{born:%Y%m%d}{seq:03d}"
            if first17 not in self.used:
                self.used.add(first17)
                return first17 + check_digit(first17)
            seq = (seq + 2) % 1000
        raise ValueError(f"no free demo ID number left for {born}")  # 500 people born the same day


def generate(buildings: list[DemoBuilding]) -> list[Home]:
    """Households and residents matching each building's counts (in building-code order), with care tags."""
    ids = IdAllocator()
    homes: list[Home] = []
    for b in sorted(buildings, key=lambda x: x.code):
        rng = random.Random(f"{SEED}:{b.code}")
        homes.extend(_building_homes(b, rng, ids))
    ensure_levels(homes)
    return homes


def _building_homes(b: DemoBuilding, rng: random.Random, ids: IdAllocator) -> list[Home]:
    count = max(1, min(b.households, b.residents))
    sizes = [1] * count
    for _ in range(b.residents - count):  # the extra people go to random flats, at most six a flat
        k = rng.randrange(count)
        while sizes[k] >= 6:
            k = (k + 1) % count
        sizes[k] += 1
    return [Home(b.code, b.grid, unit, floor, room, _members(size, rng, ids))
            for size, (unit, floor, room) in zip(sizes, _flats(b.floors, count, rng))]


def _flats(floors: int, count: int, rng: random.Random) -> list[tuple[str, int, str]]:
    """`count` distinct flats (unit, floor, room 301...) spread over the building's floors."""
    floors = max(1, floors)
    per_floor = math.ceil(count / floors)
    units = max(1, math.ceil(per_floor / (2 if floors <= 7 else 4)))
    per_unit = math.ceil(per_floor / units)
    slots = [(u, f, k) for u in range(1, units + 1) for f in range(1, floors + 1) for k in range(1, per_unit + 1)]
    chosen = sorted(rng.sample(range(len(slots)), count))
    return [(str(slots[i][0]), slots[i][1], f"{slots[i][1]}{slots[i][2]:02d}") for i in chosen]


def _members(size: int, rng: random.Random, ids: IdAllocator) -> list[Member]:
    elderly = rng.random() < (0.45 if size == 1 else 0.3 if size == 2 else 0.1)
    head_age = rng.randint(65, 92) if elderly else rng.randint(24, 64)
    surname = rng.choice(SURNAMES)
    moved_in = _moved_in(head_age, rng)
    head_male = rng.random() < 0.55
    people = [_person(surname, head_age, head_male, "户主", moved_in, rng, ids)]
    if size >= 2:
        people.append(_person(rng.choice(SURNAMES), max(20, head_age + rng.randint(-5, 3)), not head_male,
                              "配偶", moved_in, rng, ids))
    for _ in range(size - 2):
        if head_age >= 55 and rng.random() < 0.4:
            kid_age, relation = rng.randint(0, 16), "孙子女"
        elif head_age <= 60 and rng.random() < 0.25:
            kid_age, relation = min(95, head_age + rng.randint(22, 32)), "父母"
        else:
            kid_age, relation = max(0, head_age - rng.randint(22, 36)), "子女"
        people.append(_person(surname if relation != "父母" else rng.choice(SURNAMES), kid_age,
                              rng.random() < 0.5, relation, moved_in, rng, ids))
    _care(people, rng)
    return people


def _person(surname: str, age: int, male: bool, relation: str, moved_in: date, rng: random.Random,
            ids: IdAllocator) -> Member:
    born = REFERENCE - timedelta(days=age * 365 + rng.randrange(365))
    phone = None if age < 14 or (age >= 80 and rng.random() < 0.5) else \
        f"{PHONE_PREFIX}{rng.randrange(10 ** 8):08d}"
    roll = rng.random()
    residence = next(r for r, upto in RESIDENCE if roll < upto)
    return Member(surname + rng.choice(GIVEN), "男" if male else "女", born, ids.take(born, male, rng), phone,
                  relation, residence, max(moved_in, born))


def _moved_in(head_age: int, rng: random.Random) -> date:
    earliest = max(1990, REFERENCE.year - head_age + 20)
    return date(rng.randint(min(earliest, REFERENCE.year - 1), REFERENCE.year - 1), rng.randint(1, 12),
                rng.randint(1, 28))


def _care(people: list[Member], rng: random.Random) -> None:
    """Care tags as a district's register would carry them: lone elderly, empty nests, and a few others."""
    head = people[0]
    if len(people) == 1 and head.age() >= 65 and rng.random() < 0.25:
        head.care.append(("elderly_alone", "red" if head.age() >= 80 else "yellow"))
    elif len(people) == 2 and min(p.age() for p in people) >= 65 and rng.random() < 0.1:
        for p in people:
            p.care.append(("empty_nest", "green"))
    if rng.random() < 0.015:
        head.care.append(("dibao", "yellow" if rng.random() < 0.3 else "green"))
    for p in people:
        if rng.random() < 0.01:
            p.care.append(("disabled", "yellow"))
        if rng.random() < 0.004:
            p.care.append(("serious_illness", "red"))
        if p.sex == "男" and 40 <= p.age() <= 85 and rng.random() < 0.03:
            p.care.append(("veteran", "green"))
        if 6 <= p.age() <= 15 and p.relation == "孙子女" and rng.random() < 0.1:
            p.care.append(("left_behind_child", "yellow"))


def ensure_levels(homes: list[Home]) -> None:
    """Every grid gets key residents on every care level: the eldest untagged adult takes the level's fallback tag."""
    levels: dict[str | None, set[str]] = {}
    for home in homes:
        for m in home.members:
            levels.setdefault(home.grid, set()).update(level for _, level in m.care)
    for grid, present in levels.items():
        for level, tag in LEVEL_FALLBACK.items():
            if level in present:
                continue
            candidates = [m for h in homes if h.grid == grid for m in h.members if not m.care and m.age() >= 18]
            if candidates:
                max(candidates, key=lambda m: (m.age(), m.id_number)).care.append((tag, level))
