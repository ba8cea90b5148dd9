"""转为事件: a visit's finding becomes a case, through the ordinary intake, at most once per visit.

The case carries the finding only: never the resident's name, ID number, phone or care tag, since a
case can be published through Open311. Its point is where the home visit was recorded (unless that
was flagged far from home), else a point on the building; its building is the resident's.
"""
from __future__ import annotations

from dataclasses import dataclass

from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.access import scope
from grid_app.cases import intake
from grid_app.models import Building, Case, Category, User
from grid_app.models.care import Visit
from grid_app.models.people import Household, Resident
from grid_app.platform.errors import Conflict, InvalidInput, NotFound
from grid_app.platform.text import optional_text


@dataclass(frozen=True)
class VisitCaseInput:
    """A checked 转为事件 request: the description is None when the finding is to be used."""

    category: Category
    description: str | None
    idempotency_key: str


def parse_visit_case(session: Session, body) -> VisitCaseInput:
    """Check {"category", "description"?, "idempotency_key"} or raise InvalidInput naming the field."""
    if not isinstance(body, dict):
        raise InvalidInput('body must be a JSON object {"category": ..., "idempotency_key": ...}', code="bad_body")
    code = optional_text(body.get("category"), "category", intake.MAX_CODE, code="bad_category")
    if not code:
        raise InvalidInput("category is required", code="bad_category")
    category = session.scalar(select(Category).where(Category.code == code, Category.active))
    if category is None:
        raise InvalidInput(f"unknown category {code!r}; see /api/v1/categories", code="bad_category")
    description = optional_text(body.get("description"), "description", intake.MAX_DESCRIPTION,
                                code="bad_description")
    key = optional_text(body.get("idempotency_key"), "idempotency_key", 100, code="bad_idempotency_key") or ""
    if not intake.KEY_PATTERN.match(key):
        raise InvalidInput("idempotency_key must be 8-100 letters, digits or . _ : - (a UUID is ideal)",
                           code="bad_idempotency_key")
    return VisitCaseInput(category, description, key)


def visit_in_scope(session: Session, user: User, *, visit_id: int | None = None, key: str | None = None,
                   for_update: bool = False) -> Visit:
    """A visit (by id or by its idempotency key) of a resident whose register the user reads; else NotFound."""
    scope.require_register_role(user)
    # the visit by its unique id or key first, then its resident in scope: one query with the scope's nested
    # IN lists let a planner with stale statistics loop over every resident and household
    query = select(Visit).where(Visit.id == visit_id) if key is None else select(Visit).where(
        Visit.idempotency_key == key)
    if for_update:
        query = query.with_for_update()  # one 转为事件 at a time per visit
    found = session.scalar(query)
    in_scope = found is not None and session.scalar(
        select(Resident.id).where(Resident.id == found.resident_id, scope.resident_clause(user))) is not None
    if not in_scope:
        raise NotFound(f"no visit {visit_id if key is None else repr(key)}", code="visit_not_found")
    return found


def case_from_visit(session: Session, user: User, data: VisitCaseInput, *, visit_id: int | None = None,
                    visit_key: str | None = None, upload_dir: str, snap_m: float) -> tuple[Case, bool]:
    """Make the visit's case (True), or return the one this key already made (False), in one commit.

    A visit that already became a case under another key is a Conflict naming that case.
    """
    scope.require_may_log(user)
    visit = visit_in_scope(session, user, visit_id=visit_id, key=visit_key, for_update=True)
    by_key = session.scalar(select(Case).where(Case.idempotency_key == data.idempotency_key))
    if by_key is not None and (by_key.visit_id != visit.id or by_key.reporter_id != user.id):
        raise Conflict("this idempotency_key belongs to another case", code="key_in_use")
    made = session.scalar(select(Case).where(Case.visit_id == visit.id))
    if made is not None:
        if made.idempotency_key == data.idempotency_key:
            return made, False
        raise Conflict(f"this visit already became case {made.id}", code="visit_has_case",
                       details={"case_id": made.id})
    description = data.description or visit.finding
    if not description:
        raise InvalidInput("description is required: the visit recorded no finding", code="bad_description")
    building = _building(session, visit)
    lon, lat = _point(session, visit, building)
    case_input = intake.CaseInput(category=data.category, lon=lon, lat=lat, accuracy_m=None, address=None,
                                  description=description, severity=intake.SEVERITIES[0],
                                  idempotency_key=data.idempotency_key, channel="worker", contact=None)

    def link(case: Case) -> None:
        case.visit_id = visit.id
        # The finding is about the resident's home, even when the phone stood at the neighbour's door.
        case.building_id = building.id
        case.residential_area_id = building.residential_area_id

    return intake.create_case(session, user, case_input, [], upload_dir=upload_dir, snap_m=snap_m, also_write=link)


def _building(session: Session, visit: Visit) -> Building:
    return session.scalar(select(Building).join(Household, Household.building_id == Building.id)
                          .join(Resident, Resident.household_id == Household.id)
                          .where(Resident.id == visit.resident_id))


def _point(session: Session, visit: Visit, building: Building) -> tuple[float, float]:
    """The visit's own position when it was taken at the home, else a point surely on the building."""
    if visit.geom is not None and not visit.far_from_home:
        point = to_shape(visit.geom)
        return point.x, point.y
    surface = func.ST_PointOnSurface(Building.geom)
    row = session.execute(select(func.ST_X(surface), func.ST_Y(surface)).where(Building.id == building.id)).one()
    return float(row[0]), float(row[1])
