"""Exports: cases and indicators as CSV, Excel and GeoJSON (the hierarchy's are in places/export.py).

Case exports stream: rows come through a server-side cursor (yield_per) into a generator (CSV,
GeoJSON) or openpyxl's write-only workbook (Excel), so a year of cases never sits in memory.
Scope and filters are those of the case list; reporters' contact details are never exported.
"""
from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Iterable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.cases import clock, workflow
from grid_app.cases.queries import ORDERS, CaseFilter, matching
from grid_app.models import Case, Category, Community, Grid, Street, User
from grid_app.platform import tables

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
               Case.resolve_by, Case.closed_at, Case.rating, Case.overdue_at(clock.now()).is_(True).label("overdue"))
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
