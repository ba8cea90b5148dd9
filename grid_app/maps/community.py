"""The community map: boundary, grids, residential areas, buildings, cases and facilities."""
from __future__ import annotations

from typing import Callable
from zoneinfo import ZoneInfo

import folium
from folium.plugins import MarkerCluster
from markupsafe import escape

from grid_app.maps import labels, shift
from grid_app.maps.builder import CollapseOnPhone, DeskMap, Legend, detail_layer, new_map
from grid_app.maps.data import CommunityLayers
from grid_app.maps.labels import Translate
from grid_app.maps.providers import Provider
from grid_app.maps.vector_tiles import VectorTileLayer

BOUNDARY = {"color": "#c8102e", "weight": 4, "fill": False}
GRID = {"color": "#c8102e", "weight": 2, "dashArray": "6 4", "fillColor": "#fde68a", "fillOpacity": 0.08}
AREA = {"color": "#1d4ed8", "weight": 1.5, "fillColor": "#93c5fd", "fillOpacity": 0.25}
# Buildings shaded by residents: (upper bound, colour)
RESIDENT_CLASSES = [(0, "#e5e7eb"), (50, "#fde68a"), (150, "#fbbf24"), (300, "#f97316"), (None, "#c2410c")]
FACILITY_COLOURS = ["#7c3aed", "#0891b2", "#db2777", "#65a30d", "#0d9488", "#ca8a04", "#4f46e5", "#be123c"]


def resident_colour(residents: int | None) -> str:
    """The fill colour of a building with this many residents."""
    n = residents or 0
    for upper, colour in RESIDENT_CLASSES:
        if upper is None or n <= upper:
            return colour
    return RESIDENT_CLASSES[-1][1]


def building_style(feature) -> dict:
    """Style of one building polygon."""
    return {"color": "#78350f", "weight": 0.8, "fillColor": resident_colour(feature["properties"].get("residents")),
            "fillOpacity": 0.8}


def case_style(feature) -> dict:
    """Cases: filled by state; overdue ones get a thick dark-red ring."""
    p = feature["properties"]
    style = {"fill": True, "fillColor": labels.STATE_COLOURS.get(p["state"], "#6b7280"), "fillOpacity": 0.95,
             "color": "#ffffff", "weight": 1.5, "radius": 7}
    if p.get("overdue"):
        style.update(color=labels.OVERDUE_COLOUR, weight=3.5, radius=9)
    return style


# Labels come in as `_` (the caller's gettext), so that pybabel still finds every _("...") here.
def _resident_legend(_: Translate) -> list[tuple[str, str, str]]:
    items, lower = [], 0
    for upper, colour in RESIDENT_CLASSES:
        if upper == 0:
            text = _("Buildings: no residents")
        elif upper is None:
            text = _("Buildings: over %(n)s residents", n=lower)
        else:
            text = _("Buildings: %(a)s–%(b)s residents", a=lower + 1, b=upper)
        items.append(("box", colour, text))
        lower = upper or lower
    return items


def _shifted(features: list[dict], gcj02: bool) -> list[dict]:
    return shift.shift_features(features) if gcj02 and features else features


def _case_props(features: list[dict], _: Translate, lang: str, zone: ZoneInfo,
                case_url: Callable[[int], str] | None) -> list[dict]:
    """Popup-ready properties: names in the UI language, local times, a link to the case page."""
    for f in features:
        p = f["properties"]
        p.update(title=_("Case %(id)s", id=p["id"]) + " · " + (p["category"] if lang == "zh" else p["category_en"]),
                 state_name=labels.state_name(p["state"], lang), created=labels.to_local(p.pop("created_at"), zone),
                 due=labels.to_local(p.pop("deadline"), zone), late=_("Yes") if p["overdue"] else None,
                 url=case_url(p["id"]) if case_url else None)
        p.pop("category_en")
    return features


def community_map(layers: CommunityLayers, cases: list[dict], facilities: list[dict], provider: Provider, *,
                  gettext: Translate, lang: str, zone: ZoneInfo, case_url: Callable[[int], str] | None = None,
                  building_tiles_url: str | None = None) -> DeskMap:
    """Build the folium map of one community (buildings as vector tiles when building_tiles_url is set).

    Labels in the language of `gettext`; names held in two columns by `lang`; times in `zone`."""
    _ = gettext
    gcj = provider.gcj02
    m = new_map(layers.bounds, provider)
    detail_layer(_shifted(layers.boundary, gcj), _("Community boundary"), style=BOUNDARY,
                 spec={"title": "name", "fields": [["code", _("Code")]]}).add_to(m)
    detail_layer(_shifted(layers.areas, gcj), _("Residential areas"), style=AREA, spec={
        "title": "name", "tooltip": "name", "fields": [
            ["code", _("Code")], ["branch", _("Party branch")], ["branch_secretary", _("Branch secretary")],
            ["branch_members", _("Party members")], ["buildings", _("Buildings")],
            ["households", _("Households")], ["residents", _("Residents")]]}).add_to(m)
    building_spec = {"title": "name", "tooltip": "name", "fields": [
        ["code", _("Code")], ["floors", _("Floors")], ["households", _("Households")],
        ["residents", _("Residents")], ["party", _("Party group")]]}
    if building_tiles_url:
        VectorTileLayer(building_tiles_url, "buildings", _("Buildings"), style={
            "color": "#78350f", "weight": 0.8, "fill": True, "fillColor": "#fbbf24", "fillOpacity": 0.8,
            "colourKey": "fill"}, spec=building_spec).add_to(m)
    else:
        detail_layer(_shifted(layers.buildings, gcj), _("Buildings"), style=building_style,
                     spec=building_spec).add_to(m)
    detail_layer(_shifted(layers.grids, gcj), _("Grids"), style=GRID, spec={
        "title": "name", "tooltip": "name", "label": True, "fields": [
            ["code", _("Code")], ["workers", _("Grid workers")], ["buildings", _("Buildings")],
            ["residents", _("Residents")], ["open_cases", _("Open cases")]]}).add_to(m)
    _add_facilities(m, _shifted(facilities, gcj), _, lang)
    _add_cases(m, _shifted(_case_props(cases, _, lang, zone, case_url), gcj), _)
    control = folium.LayerControl(collapsed=False, position="topright")
    control.add_to(m)
    CollapseOnPhone(control).add_to(m)
    Legend(_("Legend"), _legend_items(facilities, _, lang)).add_to(m)
    return m


def _add_cases(m: DeskMap, cases: list[dict], _: Translate) -> None:
    spec = {"title": "title", "tooltip": "title", "fields": [
        ["description", _("Description")], ["state_name", _("State")], ["grid", _("Grid")],
        ["created", _("Logged")], ["due", _("Deadline")], ["late", _("Overdue")]],
        "link": ["url", _("Open the case page")]}
    for name, subset, show in ((_("Open cases"), [c for c in cases if c["properties"]["open"]], True),
                               (_("Closed in the last 30 days"), [c for c in cases if not c["properties"]["open"]],
                                False)):
        cluster = MarkerCluster(name=str(escape(name)), show=show, options={
            "showCoverageOnHover": False, "maxClusterRadius": 40, "spiderfyOnMaxZoom": True})
        cluster.add_to(m)
        detail_layer(subset, name, style=case_style, marker=folium.CircleMarker(), spec=spec,
                     control=False).add_to(cluster)


def _facility_types(facilities: list[dict]) -> list[tuple[str, str]]:
    seen = {}
    for f in facilities:
        seen.setdefault(f["properties"]["type"], f["properties"])
    return [(code, p) for code, p in seen.items()]


def _add_facilities(m: DeskMap, facilities: list[dict], _: Translate, lang: str) -> None:
    for i, (code, p) in enumerate(_facility_types(facilities)):
        colour = FACILITY_COLOURS[i % len(FACILITY_COLOURS)]
        name = p["type_name"] if lang == "zh" else p["type_en"]
        subset = [f for f in facilities if f["properties"]["type"] == code]
        for f in subset:
            f["properties"]["kind"] = name
        detail_layer(subset, str(escape(_("Facility: %(type)s", type=name))),
                     style={"radius": 6, "fill": True, "fillColor": colour, "fillOpacity": 1, "color": "#111827", "weight": 1},
                     marker=folium.CircleMarker(),
                     spec={"title": "name", "tooltip": "name", "fields": [["kind", _("Type")], ["code", _("Code")]]},
                     ).add_to(m)


def _legend_items(facilities: list[dict], _: Translate, lang: str) -> list[tuple[str, str, str]]:
    items = [("line", BOUNDARY["color"], _("Community boundary")), ("dash", GRID["color"], _("Grid boundary")),
             ("box", AREA["fillColor"], _("Residential area")), *_resident_legend(_)]
    for state in ("collected", "registered", "dispatched", "handling", "reported", "closed"):
        items.append(("dot", labels.STATE_COLOURS[state], _("Case: %(state)s", state=labels.state_name(state, lang))))
    items.append(("ring", labels.OVERDUE_COLOUR, _("Case overdue")))
    for i, (_code, p) in enumerate(_facility_types(facilities)):
        items.append(("dot", FACILITY_COLOURS[i % len(FACILITY_COLOURS)],
                      p["type_name"] if lang == "zh" else p["type_en"]))
    return items
