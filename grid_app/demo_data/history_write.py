"""Carrying out the demo's year of cases through the app's own intake and workflow, inside the load's transaction.

Every case is logged by intake.create_case and moved by transitions.transition with the clock set to
the planned moment, so its events, deadlines, levels, handler and closing time are the app's own.
Those functions commit once per call (a request is one transaction); here they run in a session on the
load's connection that turns each commit into a savepoint, so the whole load stays one transaction.
"""
from __future__ import annotations

import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.cases import clock, intake, photos, transitions, workflow
from grid_app.demo_data import history
from grid_app.demo_data.party_members import community_secretaries
from grid_app.demo_data.register import NO_LOGIN, grid_workers
from grid_app.demo_data.visit_plan import KEY_PREFIX as VISIT_KEY_PREFIX
from grid_app.models import Building, Case, Category, Community, Facility, FacilityType, Grid, Street, User
from grid_app.models.care import Visit
from grid_app.models.people import Household, Resident
from grid_app.people import visit_case

ROLE_PREFERENCE = ("worker", "secretary", "street")  # who takes a step: the lowest role the workflow allows
VISIT_CASES_PER_COMMUNITY = 2
# A visit's finding → the category its case is logged under (visit_plan.CONCERNS).
VISIT_CATEGORIES = (("腿脚不便", "0801"), ("血压", "0801"), ("低保", "0802"), ("杂物", "0502"),
                    ("燃气灶", "0702"), ("漏水", "9901"))


@dataclass
class Actors:
    """The users who act: each grid's worker, each community's secretary, each street's officer (by id)."""

    session: Session
    workers: dict[int, int]
    secretaries: dict[int, int]
    streets: dict[str, int]
    grid_ids: dict[str, int]
    users: dict[int, User] = field(default_factory=dict)

    def user(self, user_id: int) -> User:
        """The user in the working session (loaded once)."""
        if user_id not in self.users:
            self.users[user_id] = self.session.get(User, user_id)
        return self.users[user_id]

    def for_step(self, case: Case, action: str) -> User:
        """The user who takes this action on the case at its current level."""
        allowed = workflow.allowed_roles(workflow.ACTIONS[action], case.level)
        role = next(r for r in ROLE_PREFERENCE if r in allowed)
        ids = {"worker": self.workers.get(case.grid_id), "secretary": self.secretaries.get(case.community_id),
               "street": self.streets.get(case.street_code)}
        return self.user(ids[role])


def load_history(session: Session, codes: set[str], now: datetime, zone: tzinfo, config) -> list[str]:
    """Log the demo's year of cases (the tests' slice with GRID_APP_DEMO_HISTORY_PER_MONTH) that are not there yet."""
    days = config.get("GRID_APP_DEMO_HISTORY_DAYS") or history.HISTORY_DAYS
    grids = grid_places(session, codes)
    if not grids:
        return ["case history: no demo grid"]
    categories = {code: history.Category(code, level, hours) for code, level, hours in session.execute(
        select(Category.code, Category.default_level, Category.deadline_hours).where(Category.active))}
    planned = history.plan(grids, hotspots(session, grids), categories, now, zone, days=days,
                           per_month=config.get("GRID_APP_DEMO_HISTORY_PER_MONTH"))
    done = set(session.scalars(select(Case.idempotency_key).where(Case.idempotency_key.startswith(history.KEY_PREFIX))))
    todo = [c for c in planned if c.key not in done]
    session.flush()
    with _savepoint_session(session) as work, _clock() as set_clock:
        actors = _actors(work, [g.code for g in grids])
        options = {"upload_dir": config["UPLOAD_DIR"], "snap_m": config["GRID_SNAP_M"]}
        kinds = {c.code: c for c in work.scalars(select(Category))}
        steps = sum(_write_case(work, actors, set_clock, kinds[c.category], c, options) for c in todo)
        made, visit_steps = _visit_cases(work, actors, set_clock, categories, now, options)
        triage = [c for c in _triage_cases(work, grids, now) if c.key not in done]
        for c in triage:
            _write_case(work, actors, set_clock, kinds[c.category], c, options)
    return [f"case history: {len(todo)} cases over {days} days added ({len(planned) - len(todo)} already there), "
            f"{steps} workflow steps, {sum(c.photo for c in todo)} with photos; {made} cases from visits "
            f"({visit_steps} steps); {len(triage)} beyond the district's edge, held for the street to place"]


# Reported just beyond the district's west edge, in no grid: the street's triage queue (定位到网格).
TRIAGE_EXAMPLES = (("0101", "河堤外侧有人倾倒建筑垃圾，车辆进出扬尘较大", timedelta(hours=3), 0.25),
                   ("0503", "西侧路口外有流动摊贩占道经营，傍晚最多", timedelta(days=2, hours=5), 0.65))
TRIAGE_OFFSET_DEG = 0.004  # about 380 m west of the westernmost grid, far past the snap distance


def _triage_cases(work: Session, grids: list[history.GridPlace], now: datetime) -> list[history.PlannedCase]:
    """Cases a worker reported beyond the district's edge (unlocated), where no grid lies within 100 m."""
    codes = [g.code for g in grids]
    extent = func.ST_Extent(Grid.geom)
    west, south, north = work.execute(select(func.ST_XMin(extent), func.ST_YMin(extent), func.ST_YMax(extent))
                                      .where(Grid.code.in_(codes))).one()
    planned = []
    for n, (category, description, ago, across) in enumerate(TRIAGE_EXAMPLES, 1):
        lon, lat = west - TRIAGE_OFFSET_DEG, south + (north - south) * across
        point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
        near = func.ST_DWithin(func.geography(Grid.geom), func.geography(point), 100)
        if work.scalar(select(func.count()).where(near)):
            continue  # another district's grids lie there: no example
        nearest = work.scalar(select(Grid.code).where(Grid.code.in_(codes))
                              .order_by(Grid.geom.op("<->")(point)).limit(1))
        planned.append(history.PlannedCase(f"{history.KEY_PREFIX}triage:{n}", nearest, category, 1, lon, lat, None,
                                           description, now - ago, False, False, "open", ()))
    return planned


@contextmanager
def _savepoint_session(session: Session) -> Iterator[Session]:
    """A session on the load's own connection whose commits only release a savepoint."""
    work = Session(bind=session.connection(), join_transaction_mode="rollback_only", expire_on_commit=False)
    try:
        yield work
    finally:
        work.close()


@contextmanager
def _clock() -> Iterator:
    """Let the caller set the time the app's functions read (clock.now), restored afterwards."""
    original, moment = clock.now, [None]

    def set_clock(at: datetime) -> None:
        moment[0] = at
    clock.now = lambda: moment[0]
    try:
        yield set_clock
    finally:
        clock.now = original


def _write_case(work: Session, actors: Actors, set_clock, category: Category, c: history.PlannedCase,
                options: dict) -> int:
    set_clock(c.at)
    data = intake.CaseInput(category=category, lon=c.lon, lat=c.lat, accuracy_m=None if c.public else 8.0,
                            address=c.address, description=c.description, severity=c.severity,
                            idempotency_key=c.key, channel="public" if c.public else "worker", contact=None)
    reporter = None if c.public else actors.user(actors.workers[actors.grid_ids[c.grid]])
    uploads = [("before.jpg", demo_photo(c.key, after=False))] if c.photo else []
    case, made = intake.create_case(work, reporter, data, uploads, **options)
    return _run_steps(work, actors, set_clock, case, c.steps, options, photo_key=c.key if c.photo else None) \
        if made else 0


def _run_steps(work: Session, actors: Actors, set_clock, case: Case, steps, options: dict,
               photo_key: str | None = None) -> int:
    if case.grid_id is None:
        return 0  # held for triage: nothing moves before it is placed
    for step in steps:
        set_clock(step.at)
        after = photos.check_photos([("after.jpg", demo_photo(photo_key, after=True))]) \
            if step.photo and photo_key else ()
        transitions.transition(work, actors.for_step(case, step.action), case.id, step.action, note=step.note,
                               rating=step.rating, after_photos=after, upload_dir=options["upload_dir"])
    return len(steps)


def _actors(work: Session, grid_codes: list[str]) -> Actors:
    """The acting users of the demo's communities: the demo's accounts, else the no-login ones the demo makes."""
    rows = work.execute(select(Grid.id, Grid.code, Grid.community_id, Community.street_code)
                        .join(Community, Grid.community_id == Community.id)
                        .where(Grid.community_id.in_(select(Grid.community_id).where(Grid.code.in_(grid_codes))))).all()
    streets = {}
    for code in sorted({r.street_code for r in rows}):
        found = work.scalar(select(User.id).join(Street, User.street_id == Street.id)
                            .where(User.role == "street", User.active, Street.code == code).order_by(User.username))
        if found is None:
            street = work.scalar(select(Street).where(Street.code == code))
            user = User(username=f"demo-st-{code}", display_name=f"{street.name}街道办", password_hash=NO_LOGIN,
                        role="street", active=True, street_id=street.id)
            work.add(user)
            work.flush()
            found = user.id
        streets[code] = found
    return Actors(work, grid_workers(work, {r.id: r.code for r in rows}),
                  community_secretaries(work, sorted({r.community_id for r in rows})), streets,
                  {r.code: r.id for r in rows})


def grid_places(session: Session, codes: set[str]) -> list[history.GridPlace]:
    """The grids of the demo's buildings, each with its buildings' points (where cases are seen)."""
    point = func.ST_PointOnSurface(Building.geom)
    rows = session.execute(
        select(Grid.code, Community.code, func.ST_X(point), func.ST_Y(point))
        .join(Building, Building.grid_id == Grid.id).join(Community, Grid.community_id == Community.id)
        .where(Building.code.in_(sorted(codes))).order_by(Grid.code, Building.code)).all()
    points: dict[tuple[str, str], list] = {}
    for grid, community, lon, lat in rows:
        points.setdefault((grid, community), []).append((float(lon), float(lat)))
    return [history.GridPlace(g, c, tuple(p)) for (g, c), p in sorted(points.items())]


def hotspots(session: Session, grids: list[history.GridPlace]) -> list[history.Hotspot]:
    """A market drawing street vending, and a construction site (active for some months) drawing rubbish and spoil."""
    codes = [g.code for g in grids]
    spots = []
    market = session.execute(
        select(Facility.name, func.ST_X(Facility.geom), func.ST_Y(Facility.geom), Grid.code)
        .join(FacilityType, Facility.type_id == FacilityType.id)
        .join(Grid, func.ST_Contains(Grid.geom, Facility.geom))
        .where(FacilityType.code == "market", Grid.code.in_(codes)).order_by(Facility.code).limit(1)).first()
    if market is not None:
        spots.append(history.Hotspot("market", market[3], f"{market[0]}门口", float(market[1]), float(market[2]), 60,
                                     (("0501", 0.8), ("0101", 0.15), ("0503", 0.05)), 0.5, (history.HISTORY_DAYS, 0)))
    # The site lies in another community than the market, so two communities each show a cluster.
    taken = {g.community for g in grids if spots and g.code == spots[0].grid}
    site = next((g for g in grids[len(grids) // 2:] if g.community not in taken), grids[len(grids) // 2])
    name = session.scalar(select(Grid.name).where(Grid.code == site.code))
    lon, lat = site.points[len(site.points) // 2]
    spots.append(history.Hotspot("site", site.code, f"{name}在建工地旁", lon, lat, 80,
                                 (("0102", 0.5), ("0101", 0.25), ("0301", 0.2), ("0103", 0.05)), 0.4, (300, 60)))
    return spots


def _visit_cases(work: Session, actors: Actors, set_clock, categories: dict, now: datetime,
                 options: dict) -> tuple[int, int]:
    """转为事件 for a few demo visits with a concerning finding per community (once: skipped when any exists)."""
    prefix = f"{history.KEY_PREFIX}visit:"
    if work.scalar(select(func.count()).where(Case.idempotency_key.startswith(prefix))):
        return 0, 0
    rows = work.execute(
        select(Visit.id, Visit.worker_id, Visit.at, Visit.finding, Building.community_id)
        .join(Resident, Visit.resident_id == Resident.id).join(Household, Resident.household_id == Household.id)
        .join(Building, Household.building_id == Building.id)
        .where(Visit.idempotency_key.startswith(VISIT_KEY_PREFIX), Visit.follow_up, Visit.at < now - timedelta(days=2),
               Building.community_id.in_(list(actors.secretaries)))
        .order_by(Visit.idempotency_key)).all()
    taken: dict[int, int] = {}
    made = steps = 0
    for visit_id, worker_id, at, finding, community_id in rows:
        code = next((c for word, c in VISIT_CATEGORIES if word in (finding or "")), None)
        if code not in categories or taken.get(community_id, 0) >= VISIT_CASES_PER_COMMUNITY:
            continue
        taken[community_id] = taken.get(community_id, 0) + 1
        rng = random.Random(f"{history.SEED}:visit:{visit_id}")
        logged = at + timedelta(minutes=rng.randint(10, 90))
        set_clock(logged)
        category = work.scalar(select(Category).where(Category.code == code))
        case, _ = visit_case.case_from_visit(
            work, actors.user(worker_id), visit_case.VisitCaseInput(category, None, f"{prefix}{visit_id}"),
            visit_id=visit_id, **options)
        outcome = "closed" if logged < now - timedelta(days=7) else "open"
        steps += _run_steps(work, actors, set_clock, case,
                            history.plan_steps(rng, categories[code], 1, outcome, logged, now), options)
        made += 1
    return made, steps


def demo_photo(seed: str, *, after: bool) -> bytes:
    """A small generated JPEG of a street corner: rubbish bags before, a swept pavement after."""
    rng = random.Random(f"{history.SEED}:photo:{seed}")
    image = Image.new("RGB", (480, 360), (rng.randint(150, 200), rng.randint(190, 220), 235))
    draw = ImageDraw.Draw(image)
    for i in range(4):  # buildings along the street
        x = i * 120 + rng.randint(0, 20)
        top = rng.randint(40, 140)
        shade = rng.randint(150, 210)
        draw.rectangle((x, top, x + rng.randint(80, 110), 230), fill=(shade, shade - 10, shade - 25))
    draw.rectangle((0, 230, 480, 360), fill=(128, 128, 122))  # pavement
    if not after:
        for _ in range(rng.randint(4, 9)):
            x, y = rng.randint(40, 420), rng.randint(250, 330)
            draw.ellipse((x, y, x + rng.randint(25, 50), y + rng.randint(18, 35)),
                         fill=rng.choice([(30, 30, 30), (40, 90, 40), (200, 200, 190), (60, 60, 140)]))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=70)
    return buf.getvalue()
