"""Exports: cases and indicators as CSV, Excel and GeoJSON; the hierarchy as GeoJSON and GeoPackage.

Case exports stream: rows come through a server-side cursor (yield_per) into a generator (CSV,
GeoJSON) or openpyxl's write-only workbook (Excel), so a year of cases never sits in memory.
Scope and filters are those of the case list; reporters' contact details are never exported.
"""
from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Iterable, Iterator

import numpy as np
import pyogrio.raw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.access.scope import place_clause
from grid_app.cases import clock, workflow
from grid_app.cases.queries import ORDERS, CaseFilter, matching
from grid_app.models import Building, Case, Category, Community, Grid, ResidentialArea, Street, User
from grid_app.platform import tables
from grid_app.platform.errors import InvalidInput

CHUNK = 1000
CASE_COLUMNS = [  # key, Chinese heading, English heading
    ("id", "编号", "ID"), ("category_code", "类别编码", "Category code"), ("category", "类别", "Category"),
    ("severity", "严重程度", "Severity"), ("state", "状态", "State"), ("level", "处置层级", "Level"),
    ("channel", "来源", "Channel"), ("description", "描述", "Description"), ("address", "地址", "Address"),
    ("lon", "经度", "Longitude"), ("lat", "纬度", "Latitude"),
    ("community_code", "社区编码", "Community code"), ("community", "社区", "Community"),
    ("grid_code", "网格编码", "Grid code"), ("grid", "网格", "Grid"),
    ("created_at", "上报时间", "Logged at"), ("deadline", "当前环节时限", "Step deadline"),
    ("resolve_by", "办结时限", "Resolve by"), ("closed_at", "结案时间", "Closed at"),
    ("overdue", "超期", "Overdue"), ("rating", "评价", "Rating"),
]
CHANNEL_NAMES = {"worker": ("监督员上报", "Grid worker"), "public": ("公众举报", "Public report"),
                 "superior": ("上级交办", "From superiors")}


def case_rows(session: Session, user: User, f: CaseFilter, lang: str, zone: tzinfo) -> Iterator[dict]:
    """Every case the user may see that matches the filters (limit/offset ignored), streamed."""
    pick = 0 if lang == "zh" else 1
    query = matching(
        select(Case.id, Category.code.label("category_code"),
               (Category.name if pick == 0 else Category.name_en).label("category"),
               Case.severity, Case.state, Case.level, Case.channel, Case.description, Case.address,
               func.ST_X(Case.geom).label("lon"), func.ST_Y(Case.geom).label("lat"),
               Community.code.label("community_code"), Community.name.label("community"),
               Grid.code.label("grid_code"), Grid.name.label("grid"), Case.created_at, Case.deadline,
               Case.resolve_by, Case.closed_at, Case.rating, Case.overdue_at(clock.now()).label("overdue"))
        .join(Category, Category.id == Case.category_id)
        .outerjoin(Grid, Grid.id == Case.grid_id).outerjoin(Community, Community.id == Case.community_id),
        user, f).order_by(*ORDERS[f.order])
    for row in session.execute(query.execution_options(yield_per=CHUNK)):
        item = dict(row._mapping)
        item["state"] = workflow.STATE_NAMES[row.state][pick]
        item["level"] = workflow.LEVEL_NAMES[row.level][pick]
        item["channel"] = CHANNEL_NAMES[row.channel][pick]
        item["lon"], item["lat"] = round(row.lon, 7), round(row.lat, 7)
        for key in ("created_at", "deadline", "resolve_by", "closed_at"):
            item[key] = item[key].astimezone(zone) if item[key] else None
        yield item


# The one writer path for tables (tables.py): every cell leaves through text.cell_text.
csv_stream = tables.csv_stream


def geojson_stream(rows: Iterable[dict], geometry) -> Iterator[bytes]:
    """A FeatureCollection written feature by feature; ``geometry(row)`` pops the row's geometry."""
    yield b'{"type": "FeatureCollection", "features": ['
    for i, row in enumerate(rows):
        geom = geometry(row)
        feature = {"type": "Feature", "geometry": geom, "properties": {k: _json(v) for k, v in row.items()}}
        yield (b"," if i else b"") + json.dumps(feature, ensure_ascii=False).encode("utf-8")
    yield b"]}"


def _json(value):
    return value.replace(microsecond=0).isoformat() if isinstance(value, datetime) else value


def point_geometry(row: dict) -> dict:
    """Take lon/lat out of a case row as a GeoJSON point."""
    return {"type": "Point", "coordinates": [row.pop("lon"), row.pop("lat")]}


def write_xlsx(rows: Iterable[dict], columns, lang: str, target, title: str) -> None:
    """A write-only workbook (rows go to disk as they come) with bold headings, saved to ``target``."""
    tables.write_xlsx_sheets([(title, rows, columns)], lang, target)


def indicator_features(session: Session, group: str, rows: list[dict]) -> Iterator[dict]:
    """Indicator rows with their unit's geometry, for GeoJSON."""
    model = {"grid": Grid, "community": Community, "street": Street}[group]
    codes = [r["code"] for r in rows]
    shapes = dict(session.execute(select(model.code, func.ST_AsGeoJSON(model.geom, 7))
                                  .where(model.code.in_(codes))).all()) if codes else {}
    for row in rows:
        yield {**row, "_geometry": json.loads(shapes[row["code"]]) if row["code"] in shapes else None}


# --- the hierarchy ------------------------------------------------------------------------------

def _code_of(model, key):
    return select(model.code).where(model.id == key).scalar_subquery()


LAYERS = {  # name: (model, [(field, column expression builder)])
    "streets": (Street, lambda: [Street.code, Street.name]),
    "communities": (Community, lambda: [Community.code, Community.name,
                                        _code_of(Street, Community.street_id).label("street_code")]),
    "grids": (Grid, lambda: [Grid.code, Grid.name, _code_of(Community, Grid.community_id).label("community_code"),
                             Grid.workers]),
    "residential-areas": (ResidentialArea, lambda: [
        ResidentialArea.code, ResidentialArea.name,
        _code_of(Community, ResidentialArea.community_id).label("community_code"),
        _code_of(Grid, ResidentialArea.grid_id).label("grid_code")]),
    "buildings": (Building, lambda: [
        Building.code, Building.name, _code_of(Community, Building.community_id).label("community_code"),
        _code_of(ResidentialArea, Building.residential_area_id).label("residential_area_code"),
        _code_of(Grid, Building.grid_id).label("grid_code"), Building.floors, Building.households,
        Building.residents]),
}
INT_FIELDS = {"floors", "households", "residents"}


def parse_layers(raw: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """Layer names from 'grids,buildings' (default when empty), or InvalidInput."""
    names = tuple(n.strip() for n in (raw or "").split(",") if n.strip()) or default
    unknown = [n for n in names if n not in LAYERS]
    if unknown:
        raise InvalidInput(f"layer must be among {', '.join(LAYERS)}; got {', '.join(unknown)}", code="bad_layer")
    return names


def layer_query(layer: str, user: User, geometry):
    """A select of the layer's fields and ``geometry(model.geom)`` limited to the user's scope."""
    model, fields = LAYERS[layer]
    return (select(*fields(), geometry(model.geom).label("geometry"))
            .where(place_clause(user, model)).order_by(model.code))


def hierarchy_rows(session: Session, layer: str, user: User) -> Iterator[dict]:
    """A layer's features as dicts with a GeoJSON geometry under '_geometry', streamed."""
    query = layer_query(layer, user, lambda g: func.ST_AsGeoJSON(g, 7))
    for row in session.execute(query.execution_options(yield_per=CHUNK)):
        item = dict(row._mapping)
        item["_geometry"] = json.loads(item.pop("geometry"))
        yield item


def write_gpkg(session: Session, layers: tuple[str, ...], user: User, path: str) -> dict[str, int]:
    """Write the layers into one GeoPackage (EPSG:4326), a chunk at a time; return features per layer."""
    counts = {}
    for layer in layers:
        name = layer.replace("-", "_")  # GIS tools dislike '-' in table names
        result = session.execute(layer_query(layer, user, func.ST_AsBinary).execution_options(yield_per=CHUNK))
        fields = [k for k in result.keys() if k != "geometry"]
        counts[name] = 0
        for chunk in result.partitions():
            _write_chunk(path, name, fields, chunk, append=counts[name] > 0)
            counts[name] += len(chunk)
        if counts[name] == 0:  # an empty layer still tells the reader nothing is in scope
            _write_chunk(path, name, fields, [], append=False)
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
