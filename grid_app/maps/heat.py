"""The case heat map of a community over a period (folium's HeatMap plugin, served locally)."""
from __future__ import annotations

from folium.plugins import HeatMap

from grid_app.maps import shift
from grid_app.maps.builder import DeskMap, Legend, detail_layer, new_map
from grid_app.maps.community import BOUNDARY, GRID
from grid_app.maps.data import CommunityLayers
from grid_app.maps.labels import Translate
from grid_app.maps.providers import Provider

GRADIENT = {0.2: "#fde68a", 0.45: "#f59e0b", 0.7: "#ef4444", 1.0: "#7f1d1d"}


def heat_map(layers: CommunityLayers, points: list[tuple[float, float]], provider: Provider, *,
             gettext: Translate) -> DeskMap:
    """Boundary and grids of the community with a heat layer of the given case positions."""
    _ = gettext  # the caller's language; pybabel finds the _("...") below
    gcj = provider.gcj02
    m = new_map(layers.bounds, provider)
    boundary, grids = layers.boundary, layers.grids
    if gcj:
        boundary, grids = shift.shift_features(boundary), shift.shift_features(grids)
        if points:
            lons, lats = shift.shift_points([p[0] for p in points], [p[1] for p in points])
            points = list(zip(lons.tolist(), lats.tolist()))
    detail_layer(boundary, _("Community boundary"), style=BOUNDARY, spec={"title": "name"}).add_to(m)
    detail_layer(grids, _("Grids"), style={**GRID, "fillOpacity": 0}, spec={
        "title": "name", "tooltip": "name", "label": True, "fields": [["workers", _("Grid workers")]]}).add_to(m)
    if points:
        HeatMap([[round(lat, 6), round(lon, 6)] for lon, lat in points], name=_("Cases"), radius=22, blur=18,
                min_opacity=0.35, gradient=GRADIENT).add_to(m)
    Legend(_("Case density"), [("box", "#fde68a", _("Few cases")), ("box", "#ef4444", _("Many cases")),
                               ("box", "#7f1d1d", _("Most cases"))]).add_to(m)
    return m
