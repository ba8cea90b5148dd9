"""Writing checked features: upsert by code, parents resolved by code, party organisations replaced."""
from __future__ import annotations

import os

from geoalchemy2.shape import from_shape
from sqlalchemy import case as sql_case
from sqlalchemy import delete, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from tqdm import tqdm

from grid_app.models import Community, Facility, FacilityType, PartyOrganisation, ResidentialArea, Street
from grid_app.models.people import Household
from grid_app.places.importer.problems import Problem
from grid_app.places.importer.reader import SourceFile
from grid_app.places.layers import MODELS

# field in the file → (parent model, column on the child)
PARENTS = {
    "street_code": (Street, "street_id"),
    "community_code": (Community, "community_id"),
    "residential_area_code": (ResidentialArea, "residential_area_id"),
    "type_code": (FacilityType, "type_id"),
}
PARTY_OWNER = {"communities": "community_id", "residential_areas": "residential_area_id",
               "buildings": "building_id"}
BATCH = 500


def code_ids(session: Session, model, codes) -> dict[str, int]:
    """Map codes to ids for one table."""
    codes = sorted(set(codes))
    if not codes:
        return {}
    return dict(session.execute(select(model.code, model.id).where(model.code.in_(codes))).all())


def write_source(session: Session, source: SourceFile, progress: bool) -> tuple[list[Problem], set[int]]:
    """Upsert one file's features; return problems (unknown parents) and touched community ids."""
    model = MODELS[source.layer]
    name = os.path.basename(source.path)
    parents = {f: code_ids(session, m, (x.properties.get(f) for x in source.features
                                        if x.properties.get(f)))
               for f, (m, _) in PARENTS.items()}
    problems, rows = [], []
    for feat in source.features:
        row = {"code": feat.properties["code"], "name": feat.properties["name"],
               "geom": from_shape(feat.geometry, srid=4326)}
        for fld, (parent_model, column) in PARENTS.items():
            if column not in model.__table__.c:
                continue
            value = feat.properties.get(fld)
            if value is None:
                row[column] = None
                continue
            if value not in parents[fld]:
                problems.append(Problem(name, feat.index,
                                        f"{fld} {value!r} does not exist ({parent_model.__tablename__})",
                                        feat.properties["code"]))
            row[column] = parents[fld].get(value)
        if source.layer == "grids":
            row["workers"] = feat.properties.get("workers")
        if source.layer == "facilities":  # absent: capacity not known (a re-import without it clears it)
            row["capacity"] = feat.properties.get("capacity")
        if source.layer == "buildings":
            for fld in ("floors", "households", "residents"):
                row[fld] = feat.properties.get(fld) or (None if fld == "floors" else 0)
        rows.append(row)
    if problems:
        return problems, set()
    table = model.__table__
    for start in tqdm(range(0, len(rows), BATCH), desc=f"{name}", unit="batch",
                      disable=not progress or len(rows) < 2000):
        chunk = rows[start:start + BATCH]
        stmt = insert(table).values(chunk)
        updates = {c: stmt.excluded[c] for c in chunk[0] if c != "code"}
        if source.layer == "buildings":  # a building with a household register keeps the register's counts
            registered = exists(select(Household.id).where(Household.building_id == table.c.id))
            for fld in ("households", "residents"):
                updates[fld] = sql_case((registered, table.c[fld]), else_=stmt.excluded[fld])
        session.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=updates))
    ids = code_ids(session, model, (r["code"] for r in rows))
    if source.layer in PARTY_OWNER:
        _write_party(session, source, ids)
    touched = _touched_communities(session, model, ids.values())
    return [], touched


def _write_party(session: Session, source: SourceFile, ids: dict[str, int]) -> None:
    owner = PARTY_OWNER[source.layer]
    owner_col = getattr(PartyOrganisation, owner)
    session.execute(delete(PartyOrganisation).where(owner_col.in_(list(ids.values()))))
    orgs = []
    for feat in source.features:
        p = feat.properties
        if not p.get("party_org_kind") or not p.get("party_org_name"):
            continue
        orgs.append({"kind": p["party_org_kind"], "name": p["party_org_name"],
                     "secretary": p.get("party_secretary"), "members": p.get("party_members"),
                     owner: ids[p["code"]]})
    for start in range(0, len(orgs), BATCH):
        session.execute(insert(PartyOrganisation.__table__).values(orgs[start:start + BATCH]))


def _touched_communities(session: Session, model, ids) -> set[int]:
    ids = list(ids)
    if model is Street:
        return set(session.scalars(select(Community.id).where(Community.street_id.in_(ids))))
    if model is Community:
        return set(ids)
    if model is Facility:
        return set()
    return set(session.scalars(select(model.community_id).where(model.id.in_(ids))))
