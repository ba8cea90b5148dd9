"""Map pages: the community map, the case heat map, the coverage map, and vector tiles."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.cases.indicators import parse_period
from grid_app.coverage import service as coverage_service
from grid_app.extensions import db
from grid_app.maps import builder, coverage_view, data, heat, labels, vector_tiles
from grid_app.maps import community as community_maps
from grid_app.maps.providers import Provider, ProviderError, provider_from_config
from grid_app.maps.tile_cache import TileCache
from grid_app.platform import reference
from grid_app.platform.errors import DomainError, InvalidInput
from grid_app.platform.i18n import display_zone, ui_language
from grid_app.web.case_pages import date_message

bp = Blueprint("maps", __name__)
DEFAULT_EMBED_MAX = 3000  # buildings above this come as vector tiles instead of embedded GeoJSON


def provider() -> tuple[Provider, str | None]:
    """The configured base map, or none with the reason when the setting is unusable."""
    try:
        return provider_from_config(current_app.config), None
    except ProviderError as exc:
        current_app.logger.warning("base map: %s", exc)
        return Provider("none"), str(exc)


def static_url(path: str) -> str:
    """URL of a file under static/."""
    return url_for("static", filename=path)


def tiles_url(layer: str, gcj02: bool, **params) -> str:
    """The vector-tile URL template of a layer, for Leaflet ({z}/{x}/{y} left in place)."""
    base = url_for("maps.tile", layer=layer, z=0, x=0, y=0, **{k: v for k, v in params.items() if v},
                   shift="gcj02" if gcj02 else None)
    return base.replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf", 1)


@bp.get("/communities/<code>/map")
@login_required
def community_map(code: str):
    """The community's map with its layers, a legend in the UI language, and counts beside it."""
    community = scope.community_in_scope(db.session, current_user, code)
    base, problem = provider()
    limit = current_app.config.get("MAP_EMBED_MAX_FEATURES", DEFAULT_EMBED_MAX)
    count = data.count_buildings(db.session, community)
    layers = data.hierarchy_layers(db.session, community, with_buildings=count <= limit, cases_of=current_user)
    cases = data.case_features(db.session, current_user, community)
    facilities = data.facility_features(db.session, community)
    stats = _stats(layers, cases)
    m = community_maps.community_map(
        layers, cases, facilities, base, gettext=_, lang=ui_language(), zone=display_zone(),
        case_url=lambda i: url_for("case_pages.case_detail", case_id=i),
        building_tiles_url=tiles_url("buildings", base.gcj02, community=community.code) if count > limit else None)
    return render_template("maps/community.html", community=community, map=builder.render_parts(m, static_url),
                           stats=stats, problem=problem, page="map")


def _stats(layers: data.CommunityLayers, cases: list[dict]) -> dict:
    return {"grids": len(layers.grids), "areas": len(layers.areas), "buildings": layers.building_count,
            "residents": sum(g["properties"]["residents"] for g in layers.grids),
            "open": sum(1 for c in cases if c["properties"]["open"]),
            "overdue": sum(1 for c in cases if c["properties"]["overdue"]),
            "grid_rows": [g["properties"] for g in layers.grids],
            "branches": sum(1 for a in layers.areas if a["properties"]["branch"])}


def tile_cache() -> TileCache | None:
    """This process's cache of low-zoom vector tiles; None when VECTOR_TILE_CACHE_MB is 0."""
    size_mb = current_app.config["VECTOR_TILE_CACHE_MB"]
    if size_mb <= 0:
        return None
    if "grid_vector_tiles" not in current_app.extensions:
        current_app.extensions["grid_vector_tiles"] = TileCache(size_mb * 2 ** 20)
    return current_app.extensions["grid_vector_tiles"]


@bp.get("/tiles/<layer>/<int:z>/<int:x>/<int:y>.pbf")
@login_required
def tile(layer: str, z: int, x: int, y: int):
    """A Mapbox vector tile; ?community= limits it to one community, ?shift=gcj02 moves it to GCJ-02."""
    community = request.args.get("community") or None
    if community:
        scope.community_in_scope(db.session, current_user, community)
    params = {}
    if layer == "coverage":  # colours by the walking threshold of a facility type
        walk = coverage_service.walk(db.session, request.args.get("type", ""), request.args.get("minutes"),
                                     current_app.config["WALK_SPEED_M_S"])
        params = {"t": walk.type_id, "threshold": walk.threshold_m, "speed": walk.speed_m_s}
    body = vector_tiles.tile(db.session, layer, z, x, y, visible=scope.visible_community_ids(db.session, current_user),
                             community=community, gcj02=request.args.get("shift") == "gcj02", params=params,
                             cache=tile_cache())
    return Response(body, mimetype="application/vnd.mapbox-vector-tile",
                    headers={"Cache-Control": "private, max-age=300"})


@bp.get("/communities/<code>/heatmap")
@login_required
def heat_map(code: str):
    """Where cases were logged in a period (default: the last 90 days), optionally of one category."""
    community = scope.community_in_scope(db.session, current_user, code)
    base, problem = provider()
    shown = {k: request.args.get(k, "") for k in ("since", "until", "category")}
    error = None
    try:
        period = parse_period(shown["since"] or None, shown["until"] or None, default_days=90, inclusive_until=True)
    except InvalidInput as exc:
        error, period = date_message(exc), parse_period(None, None, default_days=90)
    categories = reference.active_categories(db.session)
    if shown["category"] and shown["category"] not in {c.code for c in categories}:
        error, shown["category"] = _("Unknown category %(code)s.", code=shown["category"]), ""
    layers = data.hierarchy_layers(db.session, community, with_buildings=False, cases_of=current_user)
    points, counts = data.heat_points(db.session, current_user, community, period.since, period.until,
                                      shown["category"] or None)
    m = heat.heat_map(layers, points, base, gettext=_)
    return render_template("maps/heat.html", community=community, map=builder.render_parts(m, static_url),
                           problem=problem, page="heat", shown=shown, error=error, period=period,
                           categories=categories, counts=counts, total=len(points)), 400 if error else 200


@bp.get("/communities/<code>/coverage")
@login_required
def coverage_map(code: str):
    """Homes by walking minutes to the nearest facility of a type, isochrones and covered shares."""
    community = scope.community_in_scope(db.session, current_user, code)
    types = reference.facility_types(db.session)
    shown = {"type": request.args.get("type") or coverage_service.default_type_code(db.session),
             "minutes": request.args.get("minutes", "")}
    speed = current_app.config["WALK_SPEED_M_S"]
    context = {"community": community, "types": types, "shown": shown, "page": "coverage"}
    base, problem = provider()
    try:
        found = coverage_service.view(db.session, community, shown["type"], shown["minutes"] or None, speed)
        built = coverage_view.build(
            db.session, community, found, base, gettext=_, lang=ui_language(),
            embed_limit=current_app.config.get("MAP_EMBED_MAX_FEATURES", DEFAULT_EMBED_MAX),
            tiles_url=lambda t, mins: tiles_url("coverage", base.gcj02, community=community.code, type=t,
                                                minutes=f"{mins:g}"))
    except DomainError as exc:
        return render_template("maps/coverage.html", error=exc.message, **context), exc.status
    summary = {**found.summary, "computed_at_local": labels.to_local(found.computed_at, display_zone())}
    return render_template("maps/coverage.html", map=builder.render_parts(built.map, static_url),
                           summary=summary, uncovered=built.uncovered, type_name=built.type_name,
                           problem=problem, map_crs="gcj02" if base.gcj02 else "wgs84", **context)
