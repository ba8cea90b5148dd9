"""The hierarchy as downloads: one layer's features streamed for GeoJSON, layers written into a GeoPackage.

Each layer leaves with its parents' codes, limited to the caller's scope; layer names are those of
places/layers.py, so a GeoPackage's tables are named as the files the importer takes.
"""
from __future__ import annotations

import json
from typing import Iterator

import numpy as np
import pyogrio.raw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.access.scope import place_clause
from grid_app.models import Building, Community, Grid, ResidentialArea, Street, User
from grid_app.places import layers
from grid_app.platform.errors import InvalidInput

CHUNK = 1000  # rows per server-side fetch and per GeoPackage write


def _code_of(model, key):
    return select(model.code).where(model.id == key).scalar_subquery()


FIELDS = {  # layer name: builder of its exported columns (the geometry comes apart)
    "streets": lambda: [Street.code, Street.name],
    "communities": lambda: [Community.code, Community.name,
                            _code_of(Street, Community.street_id).label("street_code")],
    "grids": lambda: [Grid.code, Grid.name, _code_of(Community, Grid.community_id).label("community_code"),
                      Grid.workers],
    "residential_areas": lambda: [
        ResidentialArea.code, ResidentialArea.name,
        _code_of(Community, ResidentialArea.community_id).label("community_code"),
        _code_of(Grid, ResidentialArea.grid_id).label("grid_code")],
    "buildings": lambda: [
        Building.code, Building.name, _code_of(Community, Building.community_id).label("community_code"),
        _code_of(ResidentialArea, Building.residential_area_id).label("residential_area_code"),
        _code_of(Grid, Building.grid_id).label("grid_code"), Building.floors, Building.households,
        Building.residents],
}
INT_FIELDS = {"floors", "households", "residents"}


def parse_layers(raw: str | None, default: tuple[str, ...] = tuple(FIELDS)) -> tuple[str, ...]:
    """Layer names from 'grids,buildings' (default when empty; any spelling layers.py knows), or InvalidInput."""
    names = tuple(layers.canonical(n.strip()) for n in (raw or "").split(",") if n.strip()) or default
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        raise InvalidInput(f"layer must be among {', '.join(FIELDS)}; got {', '.join(unknown)}", code="bad_layer")
    return names


def layer_query(layer: str, user: User, geometry):
    """A select of the layer's fields and ``geometry(model.geom)`` limited to the user's scope."""
    model = layers.MODELS[layer]
    return (select(*FIELDS[layer](), geometry(model.geom).label("geometry"))
            .where(place_clause(user, model)).order_by(model.code))


def hierarchy_rows(session: Session, layer: str, user: User) -> Iterator[dict]:
    """A layer's features as dicts with a GeoJSON geometry under '_geometry', streamed."""
    query = layer_query(layer, user, lambda g: func.ST_AsGeoJSON(g, 7))
    for row in session.execute(query.execution_options(yield_per=CHUNK)):
        item = dict(row._mapping)
        item["_geometry"] = json.loads(item.pop("geometry"))
        yield item


def write_gpkg(session: Session, names: tuple[str, ...], user: User, path: str) -> dict[str, int]:
    """Write the layers into one GeoPackage (EPSG:4326), a chunk at a time; return features per layer."""
    counts = {}
    for layer in names:
        result = session.execute(layer_query(layer, user, func.ST_AsBinary).execution_options(yield_per=CHUNK))
        fields = [k for k in result.keys() if k != "geometry"]
        counts[layer] = 0
        for chunk in result.partitions():
            _write_chunk(path, layer, fields, chunk, append=counts[layer] > 0)
            counts[layer] += len(chunk)
        if counts[layer] == 0:  # an empty layer still tells the reader nothing is in scope
            _write_chunk(path, layer, fields, [], append=False)
    return counts


def _write_chunk(path: str, layer: str, names: list[str], rows, append: bool) -> None:
    data, masks = [], []
    for i, name in enumerate(names):
        values = [r[i] for r in rows]
        if name in INT_FIELDS:
            masks.append(np.array([v is None for v in values], dtype=bool))
            data.append(np.array([0 if v is None else v for v in values], dtype=np.int64))
        else:
            masks.append(None)
            data.append(np.array(values, dtype=object))
    geometry = np.array([bytes(r[-1]) for r in rows], dtype=object)
    pyogrio.raw.write(path, geometry, data, names, field_mask=masks, layer=layer, driver="GPKG",
                      geometry_type="MultiPolygon", crs="EPSG:4326", encoding="UTF-8", append=append)
