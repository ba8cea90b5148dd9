"""What the community map draws, read from PostGIS as GeoJSON features (WGS84)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from grid_app.access.scope import area_cases, grid_ids
from grid_app.cases import clock
from grid_app.models import (
    OPEN_STATES,
    Building,
    Case,
    Category,
    Community,
    Facility,
    FacilityType,
    Grid,
    PartyOrganisation,
    ResidentialArea,
    User,
)

DECIMALS = 6
RECENT_CLOSED_DAYS = 30


@dataclass
class CommunityLayers:
    """Features per layer, plus the counts the page shows beside the map."""

    bounds: tuple[float, float, float, float]
    boundary: list[dict]
    grids: list[dict] = field(default_factory=list)
    areas: list[dict] = field(default_factory=list)
    buildings: list[dict] = field(default_factory=list)
    building_count: int = 0
    cases: list[dict] = field(default_factory=list)
    facilities: list[dict] = field(default_factory=list)


def _feature(fid, geometry: str, **props) -> dict:
    return {"type": "Feature", "id": fid, "properties": props, "geometry": json.loads(geometry)}


def _geojson(col):
    return func.ST_AsGeoJSON(col, DECIMALS)


def community_bounds(session: Session, community: Community) -> tuple[float, float, float, float]:
    """(minlon, minlat, maxlon, maxlat) of the community."""
    row = session.execute(select(func.ST_XMin(Community.geom), func.ST_YMin(Community.geom),
                                 func.ST_XMax(Community.geom), func.ST_YMax(Community.geom))
                          .where(Community.id == community.id)).one()
    return tuple(float(v) for v in row)


def count_buildings(session: Session, community: Community) -> int:
    """How many buildings the community has."""
    return session.scalar(select(func.count(Building.id)).where(Building.community_id == community.id))


def hierarchy_layers(session: Session, community: Community, with_buildings: bool = True, *,
                     cases_of: User | None = None) -> CommunityLayers:
    """Boundary, grids, residential areas with their party branches, and (optionally) buildings.

    With ``cases_of``, each grid whose cases that user works carries its open cases (others: None)."""
    boundary = session.scalar(select(_geojson(Community.geom)).where(Community.id == community.id))
    out = CommunityLayers(bounds=community_bounds(session, community),
                          boundary=[_feature(community.code, boundary, name=community.name, code=community.code)])
    people = {r.grid_id: r for r in session.execute(
        select(Building.grid_id, func.sum(Building.residents).label("residents"),
               func.count(Building.id).label("buildings"))
        .where(Building.community_id == community.id).group_by(Building.grid_id))}
    open_cases = {} if cases_of is None else dict(session.execute(area_cases(
        select(Case.grid_id, func.count()).where(Case.community_id == community.id, Case.state.in_(OPEN_STATES)),
        cases_of).group_by(Case.grid_id)).all())
    workable = grid_ids(cases_of) if cases_of is not None else None
    worked = None if workable is None else set(session.scalars(workable))
    for g in session.execute(select(Grid.id, Grid.code, Grid.name, Grid.workers, _geojson(Grid.geom).label("geom"))
                             .where(Grid.community_id == community.id).order_by(Grid.code)):
        stats = people.get(g.id)
        out.grids.append(_feature(g.code, g.geom, code=g.code, name=g.name, workers=g.workers,
                                  residents=int(stats.residents or 0) if stats else 0,
                                  buildings=int(stats.buildings) if stats else 0,
                                  open_cases=(None if cases_of is None or (worked is not None and g.id not in worked)
                                              else int(open_cases.get(g.id, 0)))))
    area_people = {r.residential_area_id: r for r in session.execute(
        select(Building.residential_area_id, func.sum(Building.residents).label("residents"),
               func.sum(Building.households).label("households"), func.count(Building.id).label("buildings"))
        .where(Building.community_id == community.id).group_by(Building.residential_area_id))}
    rows = session.execute(
        select(ResidentialArea.id, ResidentialArea.code, ResidentialArea.name, _geojson(ResidentialArea.geom).label("geom"),
               PartyOrganisation.name.label("branch"), PartyOrganisation.secretary, PartyOrganisation.members)
        .outerjoin(PartyOrganisation, PartyOrganisation.residential_area_id == ResidentialArea.id)
        .where(ResidentialArea.community_id == community.id).order_by(ResidentialArea.code))
    for a in rows:
        stats = area_people.get(a.id)
        out.areas.append(_feature(a.code, a.geom, code=a.code, name=a.name, branch=a.branch,
                                  branch_secretary=a.secretary, branch_members=a.members,
                                  residents=int(stats.residents or 0) if stats else 0,
                                  households=int(stats.households or 0) if stats else 0,
                                  buildings=int(stats.buildings) if stats else 0))
    out.building_count = count_buildings(session, community)
    if with_buildings:
        out.buildings = building_features(session, community)
    return out


def building_features(session: Session, community: Community) -> list[dict]:
    """The community's buildings with residents, households, floors and any building party group."""
    rows = session.execute(
        select(Building.code, Building.name, Building.floors, Building.households, Building.residents,
               _geojson(Building.geom).label("geom"), PartyOrganisation.name.label("party"))
        .outerjoin(PartyOrganisation, PartyOrganisation.building_id == Building.id)
        .where(Building.community_id == community.id).order_by(Building.code))
    return [_feature(b.code, b.geom, code=b.code, name=b.name, floors=b.floors, households=b.households,
                     residents=b.residents, party=b.party) for b in rows]


def case_features(session: Session, user, community: Community, now: datetime | None = None) -> list[dict]:
    """Open cases, and cases closed in the last 30 days, that the user may see in the community."""
    now = now or clock.now()
    recent = and_(Case.closed_at.is_not(None), Case.closed_at >= now - timedelta(days=RECENT_CLOSED_DAYS))
    query = area_cases(
        select(Case.id, Case.state, Case.description, Case.created_at, Case.deadline, Category.name.label("category"),
               Category.name_en.label("category_en"), Grid.name.label("grid"),
               func.ST_X(Case.geom).label("lon"), func.ST_Y(Case.geom).label("lat"),
               Case.overdue_at(now).is_(True).label("overdue"))
        .join(Category, Category.id == Case.category_id).outerjoin(Grid, Grid.id == Case.grid_id)
        .where(Case.community_id == community.id, or_(Case.state.in_(OPEN_STATES), recent))
        .order_by(Case.id), user)
    out = []
    for c in session.execute(query):
        out.append({"type": "Feature", "id": f"case-{c.id}",
                    "properties": {"id": c.id, "state": c.state, "open": c.state in OPEN_STATES,
                                   "overdue": c.overdue, "description": c.description[:120],
                                   "category": c.category, "category_en": c.category_en, "grid": c.grid,
                                   "created_at": c.created_at, "deadline": c.deadline},
                    "geometry": {"type": "Point", "coordinates": [round(c.lon, DECIMALS), round(c.lat, DECIMALS)]}})
    return out


def facility_features(session: Session, community: Community) -> list[dict]:
    """Facilities of the community or inside its boundary, with their type."""
    inside = func.ST_Intersects(Facility.geom, select(Community.geom).where(Community.id == community.id)
                                .scalar_subquery())
    rows = session.execute(
        select(Facility.code, Facility.name, FacilityType.code.label("type"), FacilityType.name.label("type_name"),
               FacilityType.name_en.label("type_en"), _geojson(Facility.geom).label("geom"))
        .join(FacilityType, FacilityType.id == Facility.type_id)
        .where(or_(Facility.community_id == community.id, inside)).order_by(FacilityType.id, Facility.code))
    return [_feature(f.code, f.geom, code=f.code, name=f.name, type=f.type, type_name=f.type_name,
                     type_en=f.type_en) for f in rows]


def heat_points(session: Session, user, community: Community, since: datetime, until: datetime,
                category: str | None = None) -> tuple[list[tuple[float, float]], list[tuple[str, str, int]]]:
    """Positions of the cases logged in [since, until) (merged ones left out), and counts per category."""
    base = area_cases(select(Case.id).where(Case.community_id == community.id, Case.created_at >= since,
                                        Case.created_at < until, Case.state != "merged"), user)
    if category:
        base = base.where(Case.category_id.in_(select(Category.id).where(Category.code == category)))
    ids = base.scalar_subquery()
    points = [(float(r.lon), float(r.lat)) for r in session.execute(
        select(func.ST_X(Case.geom).label("lon"), func.ST_Y(Case.geom).label("lat")).where(Case.id.in_(ids)))]
    counts = [(r.code, r.name, r.name_en, int(r.n)) for r in session.execute(
        select(Category.code, Category.name, Category.name_en, func.count(Case.id).label("n"))
        .join(Case, Case.category_id == Category.id).where(Case.id.in_(ids))
        .group_by(Category.code, Category.name, Category.name_en).order_by(func.count(Case.id).desc(), Category.code))]
    return points, counts
