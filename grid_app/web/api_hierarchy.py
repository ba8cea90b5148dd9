"""JSON API for locating points (public) and browsing the hierarchy (logged-in users)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.extensions import db
from grid_app.places import hierarchy, locate
from grid_app.platform.errors import InvalidInput, NotFound

bp = Blueprint("api_hierarchy", __name__, url_prefix="/api/v1")


@bp.get("/locate")
def locate_point():
    """Locate one point: ?lon=&lat=[&crs=wgs84|gcj02]."""
    args = request.args
    if "lon" not in args or "lat" not in args:
        raise InvalidInput("lon and lat are required query parameters", code="bad_coordinates")
    lon, lat = locate.check_coordinates(args["lon"], args["lat"], args.get("crs", "wgs84"))
    place = locate.locate_one(db.session, lon, lat, current_app.config["GRID_SNAP_M"])
    if not place.located:
        raise NotFound(
            f"point ({lon:.6f}, {lat:.6f}) is farther than {current_app.config['GRID_SNAP_M']} m "
            "from every grid", code="not_located")
    return jsonify(place.as_dict())


@bp.post("/locate")
def locate_batch():
    """Locate up to LOCATE_BATCH_MAX points: {"points": [[lon, lat], ...], "crs": ...}."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("points"), list):
        raise InvalidInput('body must be JSON {"points": [[lon, lat], ...], "crs": "wgs84"}',
                           code="bad_body")
    points = body["points"]
    limit = current_app.config["LOCATE_BATCH_MAX"]
    if len(points) > limit:
        raise InvalidInput(f"at most {limit} points per request, got {len(points)}",
                           code="too_many_points")
    crs = body.get("crs", "wgs84")
    if crs not in locate.CRS_CHOICES:  # checked here too, so an empty batch refuses a bad crs alike
        raise InvalidInput(f"crs must be one of {', '.join(locate.CRS_CHOICES)}, not {crs!r}", code="bad_crs")
    lons, lats = [], []
    for index, pt in enumerate(points):
        if not isinstance(pt, (list, tuple)) or len(pt) != 2:
            raise InvalidInput(f"point {index} must be [lon, lat]", code="bad_coordinates")
        try:
            lon, lat = locate.check_coordinates(pt[0], pt[1], crs)
        except InvalidInput as exc:
            raise InvalidInput(f"point {index}: {exc.message}", code=exc.code) from exc
        lons.append(lon)
        lats.append(lat)
    places = locate.locate_many(db.session, lons, lats, current_app.config["GRID_SNAP_M"])
    return jsonify({"results": [p.as_dict() if p.located else None for p in places]})


def _listing(layer: str):
    args = request.args
    limit, offset = hierarchy.parse_paging(args.get("limit"), args.get("offset"))
    bbox = hierarchy.parse_bbox(args.get("bbox"))
    return jsonify(hierarchy.feature_collection(
        db.session, layer, current_user, community=args.get("community"), bbox=bbox, limit=limit, offset=offset))


@bp.get("/communities")
@login_required
def communities():
    """Communities as GeoJSON."""
    return _listing("communities")


@bp.get("/grids")
@login_required
def grids():
    """Grids as GeoJSON."""
    return _listing("grids")


@bp.get("/residential-areas")
@login_required
def residential_areas():
    """Residential areas as GeoJSON."""
    return _listing("residential_areas")


@bp.get("/buildings")
@login_required
def buildings():
    """Buildings as GeoJSON."""
    return _listing("buildings")


@bp.get("/communities/<code>")
@login_required
def community(code: str):
    """One community's summary: grids, residential areas, party organisations, residents."""
    community = scope.community_in_scope(db.session, current_user, code)
    return jsonify(hierarchy.community_summary(db.session, community.code))
