"""Popup-ready properties for the coverage map from the coverage service's results."""
from __future__ import annotations

from flask_babel import gettext as _

from grid_app.maps.coverage import home_colour, share_colour
from grid_app.maps.data import CommunityLayers


def prepare(layers: CommunityLayers, distances: list[dict], isochrones: list[dict], summary: dict,
            speed_m_s: float, access_m: float = 150.0) -> dict:
    """Colour and label buildings, areas and isochrones; count homes left uncovered.

    Homes off the network are counted apart; with no facility of the type no home is "uncovered"."""
    threshold = summary["minutes"]
    by_code = {d["code"]: d for d in distances}
    uncovered = 0 if summary["no_facilities"] else sum(
        1 for d in distances if d["residents"] and d["status"] != "unsnapped"
        and (d["distance_m"] is None or d["distance_m"] > summary["threshold_m"]))
    for f in layers.buildings:
        p = f["properties"]
        d = by_code.get(p["code"], {})
        metres, status = d.get("distance_m"), d.get("status", "none")
        minutes = metres / speed_m_s / 60 if metres is not None else None
        p["fill"] = home_colour(status, minutes, p["residents"], threshold)
        p["walk"] = (None if not p["residents"] else _("%(m)s min", m=round(minutes)) if minutes is not None
                     else _("more than %(d)s m from any path", d=f"{access_m:g}") if status == "unsnapped"
                     else _("no facilities of this type") if status == "nofacility"
                     else _("not reachable within 30 min"))
    areas = {a["code"]: a for a in summary["by_residential_area"]}
    for f in layers.areas:
        p = f["properties"]
        a = areas.get(p["code"])
        share = a["share"] if a else None
        p["fill"] = share_colour(share)
        p["covered"] = (a["residents_covered"] if a else 0) if not summary["no_facilities"] else "—"
        p["share_text"] = f"{share * 100:.0f}%" if share is not None else "—"
        p["label"] = f"{p['name']} {p['share_text']}"
    for f in isochrones:
        f["properties"]["minutes_text"] = _("%(m)s min", m=f"{f['properties']['minutes']:g}")
    return {"buildings": layers.buildings, "uncovered": uncovered}


def build(session, community, type_code: str, minutes, speed_m_s: float, base, *, lang: str,
          embed_limit: int, tiles_url=None, zone: str = "Asia/Shanghai") -> dict:
    """The coverage map of a community and what is shown beside it (used by the page and by reports).

    tiles_url(type_code, minutes) gives a vector-tile URL when buildings are too many to embed."""
    from grid_app.coverage import service as coverage_service
    from grid_app.maps import data
    from grid_app.maps.coverage import coverage_map
    summary = coverage_service.coverage_for_community(session, community.code, type_code, minutes, speed_m_s)
    distances = coverage_service.building_distances(session, community.code, type_code, speed_m_s)
    iso = coverage_service.isochrones_geojson(session, type_code, summary["minutes"], speed_m_s,
                                              community.code)["features"]
    embed = len(distances) <= embed_limit or tiles_url is None
    layers = data.hierarchy_layers(session, community, with_buildings=embed)
    view = prepare(layers, distances, iso, summary, speed_m_s, coverage_service.MAX_ACCESS_M)
    ftype = summary["type"]
    type_name = ftype["name"] if lang == "zh" else coverage_service.facility_type(session, type_code).name_en
    m = coverage_map(layers, view["buildings"], iso,
                     data.facilities_near(session, community, type_code, summary["threshold_m"]),
                     base, minutes=summary["minutes"], type_name=type_name,
                     building_tiles_url=None if embed else tiles_url(type_code, summary["minutes"]),
                     no_facilities=summary["no_facilities"])
    summary = {**summary, "computed_at_local": _local_time(summary["computed_at"], zone)}
    return {"map": m, "summary": summary, "uncovered": view["uncovered"], "type_name": type_name}


def _local_time(iso: str, zone: str) -> str:
    """'2024-05-01 14:03' in the display time zone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
