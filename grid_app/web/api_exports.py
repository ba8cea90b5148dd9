"""Downloads for logged-in users: cases, indicators and the hierarchy, in the caller's scope."""
from __future__ import annotations

import os
import tempfile
from datetime import datetime

from flask import Blueprint, Response, request, send_file, stream_with_context
from flask_login import current_user, login_required

from grid_app.cases import exports, indicators, queries
from grid_app.extensions import db
from grid_app.models import OPEN_STATES
from grid_app.places import export as hierarchy_export
from grid_app.platform.errors import InvalidInput
from grid_app.platform.i18n import display_zone, ui_language

bp = Blueprint("api_exports", __name__, url_prefix="/api/v1/exports")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "geojson": "application/geo+json; charset=utf-8",
             "gpkg": "application/geopackage+sqlite3"}


def _check(fmt: str, allowed: tuple[str, ...]) -> str:
    if fmt not in allowed:
        raise InvalidInput(f"format must be one of {', '.join(allowed)}, got {fmt!r}", code="bad_format")
    return fmt


def _attachment(name: str) -> dict:
    return {"Content-Disposition": f"attachment; filename={name}"}


def _stamp() -> str:
    return datetime.now(display_zone()).strftime("%Y%m%d-%H%M")


def _workbook_response(rows, columns, name: str, title: str):
    # The write-only workbook spools to a temporary file; it is unlinked once open, so it goes away
    # when the response closes it.
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        exports.write_xlsx(rows, columns, ui_language(), path, title)
        stream = open(path, "rb")
    finally:
        os.unlink(path)
    return send_file(stream, mimetype=MIMETYPES["xlsx"], as_attachment=True, download_name=name)


@bp.get("/cases.<fmt>")
@login_required
def cases(fmt: str):
    """Every case in scope matching the case-list filters (state, category, grid, since, ...), streamed."""
    fmt = _check(fmt, ("csv", "xlsx", "geojson"))
    args = request.args.copy()
    if args.get("state") == "open":  # as the desk's case list offers it
        args["state"] = ",".join(OPEN_STATES)
    f = queries.parse_filter(args)
    rows = exports.case_rows(db.session, current_user, f, ui_language(), display_zone())
    name = f"cases-{_stamp()}.{fmt}"
    if fmt == "xlsx":
        return _workbook_response(rows, exports.CASE_COLUMNS, name, "cases")
    body = (exports.csv_stream(rows, exports.CASE_COLUMNS, ui_language()) if fmt == "csv"
            else exports.geojson_stream(rows, exports.point_geometry))
    return Response(stream_with_context(body), mimetype=MIMETYPES[fmt], headers=_attachment(name))


@bp.get("/indicators.<fmt>")
@login_required
def indicator_export(fmt: str):
    """Indicators per grid, community or street over a period (?group=&since=&until=)."""
    fmt = _check(fmt, ("csv", "xlsx", "geojson"))
    group = request.args.get("group", "grid")
    period = indicators.parse_period(request.args.get("since"), request.args.get("until"))
    rows = indicators.compute(db.session, current_user, group, period)
    name = f"indicators-{group}-{period.since:%Y%m%d}-{period.until:%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        return _workbook_response(rows, indicators.COLUMNS, name, "indicators")
    if fmt == "csv":
        body = exports.csv_stream(rows, indicators.COLUMNS, ui_language())
    else:
        body = exports.geojson_stream(exports.indicator_features(db.session, group, rows),
                                      lambda row: row.pop("_geometry"))
    return Response(b"".join(body), mimetype=MIMETYPES[fmt], headers=_attachment(name))


@bp.get("/hierarchy.<fmt>")
@login_required
def hierarchy(fmt: str):
    """One layer as GeoJSON (?layer=grids), or layers as one GeoPackage (?layer=a,b; default all)."""
    fmt = _check(fmt, ("geojson", "gpkg"))
    if fmt == "geojson":
        layer = hierarchy_export.parse_layers(request.args.get("layer"), ("grids",))
        if len(layer) != 1:
            raise InvalidInput("GeoJSON holds one layer; ask for several as .gpkg", code="bad_layer")
        rows = hierarchy_export.hierarchy_rows(db.session, layer[0], current_user)
        body = exports.geojson_stream(rows, lambda row: row.pop("_geometry"))
        return Response(stream_with_context(body), mimetype=MIMETYPES[fmt],
                        headers=_attachment(f"{layer[0]}-{_stamp()}.geojson"))
    layers = hierarchy_export.parse_layers(request.args.get("layer"))
    folder = tempfile.mkdtemp(prefix="grid-export-")
    path = os.path.join(folder, "hierarchy.gpkg")
    try:
        hierarchy_export.write_gpkg(db.session, layers, current_user, path)
        stream = open(path, "rb")
    finally:
        for leftover in os.listdir(folder):
            os.unlink(os.path.join(folder, leftover))
        os.rmdir(folder)
    return send_file(stream, mimetype=MIMETYPES["gpkg"], as_attachment=True,
                     download_name=f"hierarchy-{_stamp()}.gpkg")
