"""The coverage map of a community from a coverage view (grid_app.coverage.service.view): plain data in."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from sqlalchemy.orm import Session

from grid_app.maps import data, scenario_layer
from grid_app.maps.builder import DeskMap
from grid_app.maps.coverage import coverage_map, home_colour, share_colour
from grid_app.maps.data import CommunityLayers
from grid_app.maps.labels import Translate
from grid_app.maps.providers import Provider
from grid_app.models import Community

if TYPE_CHECKING:
    from grid_app.coverage.service import CoverageView


@dataclass
class CoverageMap:
    """The coverage map and what is shown beside it."""

    map: DeskMap
    uncovered: int  # homes with residents beyond the walk (homes off the network are counted apart)
    type_name: str


def prepare(layers: CommunityLayers, view: CoverageView, _: Translate) -> tuple[list[dict], list[dict], int]:
    """Colour and label buildings and areas, label the isochrones; count homes left uncovered.

    Homes off the network are counted apart; with no facility of the type no home is "uncovered"."""
    w, summary = view.walk, view.summary
    by_code = {d["code"]: d for d in view.distances}
    uncovered = 0 if view.no_facilities else sum(
        1 for d in view.distances if d["residents"] and d["status"] != "unsnapped"
        and (d["distance_m"] is None or d["distance_m"] > w.threshold_m))
    for f in layers.buildings:
        p = f["properties"]
        d = by_code.get(p["code"], {})
        metres, status = d.get("distance_m"), d.get("status", "none")
        minutes = metres / w.speed_m_s / 60 if metres is not None else None
        p["fill"] = home_colour(status, minutes, p["residents"], w.minutes)
        p["walk"] = (None if not p["residents"] else _("%(m)s min", m=round(minutes)) if minutes is not None
                     else _("more than %(d)s m from any path", d=f"{summary['access_limit_m']:g}")
                     if status == "unsnapped"
                     else _("no facilities of this type") if status == "nofacility"
                     else _("not reachable within 30 min"))
    areas = {a["code"]: a for a in summary["by_residential_area"]}
    for f in layers.areas:
        p = f["properties"]
        a = areas.get(p["code"])
        share = a["share"] if a else None
        p["fill"] = share_colour(share)
        p["covered"] = (a["residents_covered"] if a else 0) if not view.no_facilities else "—"
        p["share_text"] = f"{share * 100:.0f}%" if share is not None else "—"
        p["label"] = f"{p['name']} {p['share_text']}"
    isochrones = [{**f, "properties": {**f["properties"], "minutes_text": _("%(m)s min", m=f"{w.minutes:g}")}}
                  for f in view.isochrones]
    return layers.buildings, isochrones, uncovered


def build(session: Session, community: Community, view: CoverageView, provider: Provider, *, gettext: Translate,
          lang: str, embed_limit: int, tiles_url: Callable[[str, float], str] | None = None,
          scenario: dict | None = None) -> CoverageMap:
    """The coverage map of a community for a view with distances and isochrones (page and report).

    tiles_url(type_code, minutes) gives a vector-tile URL when buildings are too many to embed;
    scenario (scenario_store.figures of the view's community and type) is drawn over today's coverage."""
    if view.distances is None or view.isochrones is None:
        raise ValueError("the coverage map needs a view with distances and isochrones")
    w = view.walk
    embed = tiles_url is None or len(view.distances) <= embed_limit
    layers = data.hierarchy_layers(session, community, with_buildings=embed)
    buildings, isochrones, uncovered = prepare(layers, view, gettext)
    type_name = w.type_name if lang == "zh" else w.type_name_en
    m = coverage_map(layers, buildings, isochrones, view.facilities, provider, gettext=gettext,
                     minutes=w.minutes, type_name=type_name,
                     building_tiles_url=None if embed else tiles_url(w.type_code, w.minutes),
                     no_facilities=view.no_facilities,
                     overlay=(lambda on: scenario_layer.add_scenario(on, scenario, gettext=gettext, lang=lang,
                                                                     gcj02=provider.gcj02)) if scenario else None)
    return CoverageMap(m, uncovered, type_name)
