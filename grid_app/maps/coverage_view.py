"""Popup-ready properties for the coverage map from the coverage service's results."""
from __future__ import annotations

from flask_babel import gettext as _

from .coverage import minutes_colour, share_colour
from .data import CommunityLayers


def prepare(layers: CommunityLayers, distances: list[dict], isochrones: list[dict], summary: dict,
            speed_m_s: float) -> dict:
    """Colour and label buildings, areas and isochrones; count homes left uncovered."""
    threshold = summary["minutes"]
    by_code = {d["code"]: d for d in distances}
    uncovered = 0
    for d in distances:
        if d["residents"] and (d["distance_m"] is None or d["distance_m"] > summary["threshold_m"]):
            uncovered += 1
    for f in layers.buildings:
        p = f["properties"]
        d = by_code.get(p["code"], {})
        metres = d.get("distance_m")
        minutes = metres / speed_m_s / 60 if metres is not None else None
        p["fill"] = minutes_colour(minutes, p["residents"], threshold)
        p["walk"] = (_("%(m)s min", m=round(minutes)) if minutes is not None
                     else _("not reachable within 30 min") if p["residents"] else None)
    areas = {a["code"]: a for a in summary["by_residential_area"]}
    for f in layers.areas:
        p = f["properties"]
        a = areas.get(p["code"])
        share = a["share"] if a else None
        p["fill"] = share_colour(share)
        p["covered"] = a["residents_covered"] if a else 0
        p["share_text"] = f"{share * 100:.0f}%" if share is not None else "—"
        p["label"] = f"{p['name']} {p['share_text']}"
    for f in isochrones:
        f["properties"]["minutes_text"] = _("%(m)s min", m=f"{f['properties']['minutes']:g}")
    return {"buildings": layers.buildings, "uncovered": uncovered}
