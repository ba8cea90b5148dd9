"""The coverage map: buildings by walking minutes to the nearest facility of a type, isochrones,
uncovered homes, and residential areas shaded by the share of residents covered."""
from __future__ import annotations

from typing import Callable

import folium

from grid_app.maps import shift
from grid_app.maps.builder import CollapseOnPhone, DeskMap, Legend, detail_layer, new_map
from grid_app.maps.colours import COVERED, NO_FACILITY, NO_RESIDENTS, UNCOVERED, UNSNAPPED
from grid_app.maps.community import BOUNDARY
from grid_app.maps.data import CommunityLayers
from grid_app.maps.labels import Translate
from grid_app.maps.providers import Provider
from grid_app.maps.vector_tiles import VectorTileLayer

SHARE_CLASSES = [(0.2, "#b91c1c"), (0.4, "#f97316"), (0.6, "#facc15"), (0.8, "#86efac"), (None, "#16a34a")]
ISOCHRONE = {"color": "#15803d", "weight": 1.5, "dashArray": "4 4", "fillColor": "#22c55e", "fillOpacity": 0.12}


def share_colour(share: float | None) -> str:
    """Fill colour of a residential area with this covered share (grey without residents)."""
    if share is None:
        return NO_RESIDENTS
    for upper, colour in SHARE_CLASSES:
        if upper is None or share < upper:
            return colour
    return SHARE_CLASSES[-1][1]


def minutes_colour(minutes: float | None, residents: int, threshold: float) -> str:
    """Fill colour of a building: by thirds of the threshold if covered, red if not."""
    if not residents:
        return NO_RESIDENTS
    if minutes is None or minutes > threshold:
        return UNCOVERED
    return COVERED[min(2, int(minutes / threshold * 3))]


def home_colour(status: str, minutes: float | None, residents: int, threshold: float) -> str:
    """Fill colour of a building from its stored status: off the network and no facility have their own."""
    if residents and status == "unsnapped":
        return UNSNAPPED
    if residents and status == "nofacility":
        return NO_FACILITY
    return minutes_colour(minutes, residents, threshold)


def _building_style(feature) -> dict:
    p = feature["properties"]
    uncovered = p["fill"] == UNCOVERED
    return {"color": "#7f1d1d" if uncovered else "#374151", "weight": 2.5 if uncovered else 0.6,
            "fillColor": p["fill"], "fillOpacity": 0.9}


def _area_style(feature) -> dict:
    return {"color": "#1e3a8a", "weight": 1.2, "fillColor": feature["properties"]["fill"], "fillOpacity": 0.35}


def coverage_map(layers: CommunityLayers, buildings: list[dict], isochrones: list[dict], facilities: list[dict],
                 provider: Provider, *, gettext: Translate, minutes: float, type_name: str,
                 building_tiles_url: str | None = None, no_facilities: bool = False,
                 overlay: Callable[[DeskMap], list[tuple[str, str, str]]] | None = None) -> DeskMap:
    """Build the coverage map. `buildings` and `layers.areas` carry the properties set by the view;
    overlay(map) adds the caller's layers (e.g. a scenario's) and returns their legend items."""
    _ = gettext  # the caller's language; pybabel finds the _("...") below
    gcj = provider.gcj02

    def moved(features):
        return shift.shift_features(features) if gcj and features else features

    m = new_map(layers.bounds, provider)
    detail_layer(moved(layers.boundary), _("Community boundary"), style=BOUNDARY, spec={"title": "name"}).add_to(m)
    detail_layer(moved(layers.areas), _("Residential areas: share covered"), style=_area_style, spec={
        "title": "name", "tooltip": "label", "fields": [
            ["residents", _("Residents")], ["covered", _("Residents covered")], ["share_text", _("Share covered")]]}
                 ).add_to(m)
    detail_layer(moved(isochrones), _("Within %(m)s minutes' walk", m=f"{minutes:g}"), style=ISOCHRONE,
                 spec={"title": "name", "fields": [["minutes_text", _("Walking time")]]}).add_to(m)
    building_spec = {"title": "name", "tooltip": "name", "fields": [
        ["residents", _("Residents")], ["walk", _("Walk to the nearest")]]}
    if building_tiles_url:
        VectorTileLayer(building_tiles_url, "buildings", _("Buildings by walking time"), style={
            "color": "#374151", "weight": 0.6, "fill": True, "fillColor": UNCOVERED, "fillOpacity": 0.9,
            "colourKey": "fill"}, spec=building_spec).add_to(m)
    else:
        detail_layer(moved(buildings), _("Buildings by walking time"), style=_building_style,
                     spec=building_spec).add_to(m)
    detail_layer(moved(facilities), type_name, marker=folium.CircleMarker(), style={
        "radius": 7, "fill": True, "fillColor": "#1d4ed8", "fillOpacity": 1, "color": "#ffffff", "weight": 2},
        spec={"title": "name", "tooltip": "name", "fields": [["code", _("Code")]]}).add_to(m)
    # before the layer list: its script names every overlay, so they must be declared first
    more_legend = overlay(m) if overlay else []
    control = folium.LayerControl(collapsed=False, position="topright")
    control.add_to(m)
    CollapseOnPhone(control).add_to(m)
    third = round(minutes / 3, 1)
    homes = [("box", NO_FACILITY, _("No facilities of this type"))] if no_facilities else [
        ("box", COVERED[0], _("Home within %(m)s min", m=f"{third:g}")),
        ("box", COVERED[1], _("Home within %(m)s min", m=f"{round(2 * minutes / 3, 1):g}")),
        ("box", COVERED[2], _("Home within %(m)s min", m=f"{minutes:g}")),
        ("box", UNCOVERED, _("Home not covered"))]
    Legend(_("Legend"), [
        ("dot", "#1d4ed8", type_name), *homes,
        ("box", UNSNAPPED, _("Home too far from any path")), ("box", NO_RESIDENTS, _("No residents")),
        ("box", ISOCHRONE["fillColor"], _("Within %(m)s minutes' walk", m=f"{minutes:g}")),
        *[("box", colour, _("Area: under %(p)s%% covered", p=int(upper * 100)) if upper else
           _("Area: %(p)s%% or more covered", p=80)) for upper, colour in SHARE_CLASSES],
        *more_legend,
    ]).add_to(m)
    return m
