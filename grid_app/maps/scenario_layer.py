"""A saved scenario drawn over the coverage map (the planner's report): planned sites, closed facilities,
the homes newly covered or lost, and the scenario's figures next to today's. Plain data in (the dict of
grid_app.coverage.scenario_store.figures), folium out."""
from __future__ import annotations

import folium
from markupsafe import Markup

from grid_app.maps import shift
from grid_app.maps.builder import DeskMap, Legend, detail_layer
from grid_app.maps.labels import Translate

# The live scenario panel's symbols (static/desk/scenario.js), so a report reads like the page.
PLANNED = {"radius": 9, "fill": True, "fillColor": "#7c3aed", "fillOpacity": 1, "color": "#ffffff", "weight": 2}
CLOSED = {"radius": 10, "fill": True, "fillColor": "#9ca3af", "fillOpacity": 0.9, "color": "#b91c1c", "weight": 3,
          "dashArray": "3 3"}
GAINED, LOST = "#16a34a", "#dc2626"
CLOSED_RING = "#b91c1c"


def layer_names(_: Translate) -> dict[str, str]:
    """The names of the scenario's layers in the layer list (one place, for the map and its tests)."""
    return {"planned": _("Scenario: planned sites"), "closed": _("Scenario: closed facilities"),
            "homes": _("Scenario: homes newly covered / no longer covered")}


def legend_items(_: Translate) -> list[tuple[str, str, str]]:
    """The scenario's entries of the map legend (Legend items)."""
    return [("dot", PLANNED["fillColor"], _("Planned site")), ("ring", CLOSED["fillColor"], _("Closed facility")),
            ("dot", GAINED, _("Newly covered")), ("dot", LOST, _("No longer covered"))]


def _points(rows: list[dict], props) -> list[dict]:
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
             "properties": props(r)} for r in rows]


def _homes(figures: dict, _: Translate) -> list[dict]:
    """Homes that change side, each with its walk today and in the scenario."""
    def walk(m):
        return _("%(m)s min", m=f"{m:g}") if m is not None else "—"
    out = []
    for kind, colour, label in (("gained", GAINED, _("Newly covered")), ("lost", LOST, _("No longer covered"))):
        out += _points(figures[kind], lambda h, c=colour, t=label: {
            "name": h["name"] or h["code"], "code": h["code"], "change": t, "residents": h["residents"],
            "today": walk(h["minutes_today"]), "scenario": walk(h["minutes"]), "fill": c})
    return out


def _home_style(feature) -> dict:
    return {"radius": 6, "fill": True, "fillColor": feature["properties"]["fill"], "fillOpacity": 0.95,
            "color": "#111827", "weight": 1}


def add_scenario(m: DeskMap, figures: dict, *, gettext: Translate, lang: str,
                 gcj02: bool) -> list[tuple[str, str, str]]:
    """Draw the scenario's layers and its figures panel on a coverage map of its community and type;
    returns the legend items of its layers (coverage_map's overlay)."""
    _ = gettext
    names = layer_names(_)

    def moved(features):
        return shift.shift_features(features) if gcj02 and features else features

    detail_layer(moved(_homes(figures, _)), names["homes"], marker=folium.CircleMarker(), style=_home_style, spec={
        "title": "name", "tooltip": "name", "fields": [
            ["change", _("Scenario")], ["residents", _("Residents")], ["today", _("Today")],
            ["scenario", _("Scenario")], ["code", _("Code")]]}).add_to(m)
    closed = _points(figures["removed"], lambda f: {"name": f["name"], "code": f["code"],
                                                    "state": _("Closed in this scenario")})
    detail_layer(moved(closed), names["closed"], marker=folium.CircleMarker(), style=CLOSED, spec={
        "title": "name", "tooltip": "name", "fields": [["state", _("Scenario")], ["code", _("Code")]]}).add_to(m)
    planned = _points(figures["added"], lambda s: {
        "name": s.get("name") or _("Planned site"), "state": _("Planned site"), "capacity": s.get("capacity"),
        "access": _("%(m)s m", m=f"{s['access_m']:g}")})
    detail_layer(moved(planned), names["planned"], marker=folium.CircleMarker(), style=PLANNED, spec={
        "title": "name", "tooltip": "name", "fields": [
            ["state", _("Scenario")], ["capacity", _("Capacity")], ["access", _("Distance to the nearest path")]]}
                 ).add_to(m)
    FiguresPanel(figures_html(figures, _, lang)).add_to(m)
    return legend_items(_)


def _pct(share) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def figures_html(figures: dict, _: Translate, lang: str) -> str:
    """The scenario's name, settings and figures today → scenario, per residential area too (escaped HTML)."""
    t = figures["type"]
    name = t["name"] if lang == "zh" else t["name_en"]
    today_speed, speed = figures["today"]["speed_m_s"], figures["speed_m_s"]
    row = Markup('<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>')
    head = Markup('<tr><th></th><th scope="col">{}</th><th scope="col">{}</th></tr>').format(_("Today"), _("Scenario"))
    rows = [
        row.format(_("Residents covered"), figures["residents_covered_today"], figures["residents_covered"]),
        row.format(_("Share covered"), _pct(figures["share_today"]), _pct(figures["share"])),
        row.format(_("Walking speed"), _("%(s)s m/s", s=f"{today_speed:g}"), _("%(s)s m/s", s=f"{speed:g}"))]
    moved = Markup("<p>{}: +{} ({})<br>{}: −{} ({})<br>{}: {} · {}: {}</p>").format(
        _("Residents gained"), figures["residents_gained"], _("%(n)s homes", n=figures["homes_gained"]),
        _("Residents lost"), figures["residents_lost"], _("%(n)s homes", n=figures["homes_lost"]),
        _("Planned site"), len(figures["added"]), _("Closed facility"), len(figures["removed"]))
    areas = [Markup("<tr><td>{}</td><td>{}</td><td>{}</td></tr>").format(
        a["name"] or "—", _pct(a["share_today"]), _pct(a["share"])) for a in figures["by_residential_area"]]
    return str(Markup(
        '<details open class="scenario-figures"><summary><h4>{title}</h4></summary>'
        '<p>{what}</p><table style="border-spacing:.5rem 0">{head}{rows}</table>{moved}'
        '<details><summary style="display:list-item;list-style:revert">{per_area}</summary>'
        '<div style="max-height:6rem;overflow:auto"><table style="border-spacing:.5rem 0">'
        '<tr><th>{area}</th><th>{today}</th><th>{scenario}</th></tr>{areas}</table></div></details></details>').format(
        title=_("Scenario: %(name)s", name=f"{figures['name']} (#{figures['id']})"),
        what=f"{name} · " + _("%(m)s min", m=f"{figures['minutes']:g}"),
        head=head, rows=Markup("").join(rows), moved=moved, per_area=_("Residential areas: share covered"),
        area=_("Residential area"), today=_("Today"), scenario=_("Scenario"), areas=Markup("").join(areas)))


class FiguresPanel(Legend):
    """The scenario's figures as a map control (a legend's frame with a table of its own)."""

    def __init__(self, html: str, position: str = "topleft"):
        super().__init__("", [], position)
        self._name = "ScenarioFigures"
        self.html = html
