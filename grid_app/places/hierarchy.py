"""Reading the hierarchy: GeoJSON listings with filters and paging, and community summaries."""
from __future__ import annotations

import json
import math

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.access.scope import place_clause
from grid_app.models import Building, Community, Grid, PartyOrganisation, ResidentialArea, Street, User
from grid_app.places.layers import MODELS
from grid_app.places.locate import flush_tiny
from grid_app.platform.errors import InvalidInput, NotFound

MAX_LIMIT = 5000
MAX_OFFSET = 2**31 - 1


# The properties each listed layer (places/layers.py names) carries besides its geometry.
LISTED_PROPERTIES = {
    "communities": ("code", "name"),
    "grids": ("code", "name", "workers"),
    "residential_areas": ("code", "name"),
    "buildings": ("code", "name", "floors", "households", "residents"),
}


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """Parse 'minlon,minlat,maxlon,maxlat' or raise InvalidInput."""
    if not raw:
        return None
    parts = raw.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError as exc:
        raise InvalidInput(f"bbox must be four numbers 'minlon,minlat,maxlon,maxlat', got {raw!r}",
                           code="bad_bbox") from exc
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput("bbox must be four finite numbers 'minlon,minlat,maxlon,maxlat'",
                           code="bad_bbox")
    minx, miny, maxx, maxy = (flush_tiny(v) for v in values)
    if minx > maxx or miny > maxy or not (-180 <= minx <= 180 and -90 <= miny <= 90
                                           and -180 <= maxx <= 180 and -90 <= maxy <= 90):
        raise InvalidInput("bbox must satisfy min <= max within lon/lat ranges", code="bad_bbox")
    return minx, miny, maxx, maxy


def parse_paging(limit, offset, default_limit: int = 500) -> tuple[int, int]:
    """Parse limit/offset query values or raise InvalidInput."""
    try:
        lim = default_limit if limit in (None, "") else int(limit)
        off = 0 if offset in (None, "") else int(offset)
    except ValueError as exc:
        raise InvalidInput("limit and offset must be whole numbers", code="bad_paging") from exc
    if not (1 <= lim <= MAX_LIMIT) or not 0 <= off <= MAX_OFFSET:  # past bigint, PostgreSQL fails
        raise InvalidInput(f"limit must be 1..{MAX_LIMIT} and offset 0..{MAX_OFFSET}", code="bad_paging")
    return lim, off


def community_by_code(session: Session, code: str) -> Community:
    """The community with this code, or NotFound."""
    community = session.scalar(select(Community).where(Community.code == code))
    if community is None:
        raise NotFound(f"no community with code {code!r}", code="community_not_found")
    return community


def feature_collection(session: Session, layer_name: str, user: User, *, community: str | None = None,
                       bbox=None, limit: int = 500, offset: int = 0) -> dict:
    """A GeoJSON FeatureCollection page of one layer within the user's scope, with the total count of matches."""
    model, properties = MODELS[layer_name], LISTED_PROPERTIES[layer_name]
    query = select(model.id).where(place_clause(user, model))
    if community:
        if layer_name == "communities":
            query = query.where(model.code == community)
        else:
            query = query.join(Community, Community.id == model.community_id).where(
                Community.code == community)
    if bbox:
        query = query.where(func.ST_Intersects(model.geom, func.ST_MakeEnvelope(*bbox, 4326)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    columns = [getattr(model, p) for p in properties]
    rows = session.execute(
        select(*columns, func.ST_AsGeoJSON(model.geom, 7).label("geometry"))
        .where(model.id.in_(query.scalar_subquery()))
        .order_by(model.code).limit(limit).offset(offset)
    ).all()
    features = [
        {"type": "Feature", "id": row.code,
         "properties": {p: getattr(row, p) for p in properties},
         "geometry": json.loads(row.geometry)}
        for row in rows
    ]
    return {"type": "FeatureCollection", "features": features, "total": total,
            "limit": limit, "offset": offset}


def community_summary(session: Session, code: str) -> dict:
    """A community with its grids, residential areas, party organisations and residents."""
    community = community_by_code(session, code)
    people = _people_by(session, Building.residential_area_id, community.id)
    people_by_grid = _people_by(session, Building.grid_id, community.id)
    total = session.execute(
        select(func.coalesce(func.sum(Building.residents), 0),
               func.coalesce(func.sum(Building.households), 0), func.count(Building.id))
        .where(Building.community_id == community.id)).one()
    orgs = session.scalars(
        select(PartyOrganisation).where(PartyOrganisation.community_id == community.id)).all()
    area_orgs = {o.residential_area_id: o for o in session.scalars(
        select(PartyOrganisation).join(ResidentialArea).where(
            ResidentialArea.community_id == community.id))}
    street = session.get(Street, community.street_id)
    return {
        "code": community.code, "name": community.name,
        "street": {"code": street.code, "name": street.name},
        "area_m2": session.scalar(select(func.ST_Area(func.Geography(Community.geom)))
                                 .where(Community.id == community.id)),
        "residents": int(total[0]), "households": int(total[1]), "buildings": int(total[2]),
        "party_organisations": [_org(o) for o in orgs],
        "grids": [
            {"code": g.code, "name": g.name, "workers": g.workers,
             "residents": people_by_grid.get(g.id, (0, 0, 0))[0],
             "buildings": people_by_grid.get(g.id, (0, 0, 0))[2]}
            for g in community.grids],
        "residential_areas": [
            {"code": a.code, "name": a.name, "grid": a.grid.code if a.grid else None,
             "residents": people.get(a.id, (0, 0, 0))[0],
             "households": people.get(a.id, (0, 0, 0))[1],
             "buildings": people.get(a.id, (0, 0, 0))[2],
             "party_organisation": _org(area_orgs[a.id]) if a.id in area_orgs else None}
            for a in community.residential_areas],
    }


def _people_by(session: Session, column, community_id: int) -> dict[int, tuple[int, int, int]]:
    rows = session.execute(
        select(column, func.sum(Building.residents), func.sum(Building.households),
               func.count(Building.id))
        .where(Building.community_id == community_id).group_by(column)).all()
    return {r[0]: (int(r[1] or 0), int(r[2] or 0), int(r[3])) for r in rows}


def _org(org: PartyOrganisation) -> dict:
    return {"kind": org.kind, "name": org.name, "secretary": org.secretary, "members": org.members}


def list_communities(session: Session, ids: list[int] | None = None) -> list[dict]:
    """Communities (all, or those with the given ids) with street, grid count and residents."""
    rows = session.execute(
        select(Community.code, Community.name, Street.name.label("street"),
               select(func.count(Grid.id)).where(Grid.community_id == Community.id)
               .scalar_subquery().label("grids"),
               select(func.coalesce(func.sum(Building.residents), 0))
               .where(Building.community_id == Community.id).scalar_subquery().label("residents"))
        .join(Street).where(True if ids is None else Community.id.in_(ids)).order_by(Community.code)).all()
    return [dict(r._mapping) for r in rows]
