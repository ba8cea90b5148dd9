"""What a pedestrian may walk on: one table of road classes and the tag rules around it.

The same table serves OSM tags (``highway``, ``railway``, ``route=ferry``), Geofabrik's ``fclass``,
a ``kind``/``kind_detail`` pair (Tilezen, Protomaps) and any plain class column. Modifiers are
honoured whenever their field exists: ``foot``, ``access``, ``tunnel``, ``bridge``, ``layer``,
``area`` and ``oneway:foot`` (or ``oneway_foot``, as Shapefiles cannot name a field with a colon).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# class -> walkable. Classes not listed are kept and counted as unknown.
WALK_CLASSES: dict[str, bool] = {
    # streets and paths people walk on
    "footway": True, "path": True, "pedestrian": True, "steps": True, "living_street": True,
    "residential": True, "service": True, "unclassified": True, "track": True,
    "bridleway": True, "corridor": True, "road": True, "sidewalk": True, "crossing": True,
    "tertiary": True, "tertiary_link": True, "secondary": True, "secondary_link": True,
    "primary": True, "primary_link": True,
    # Geofabrik's fclass splits tracks by grade and marks unclassified ways as "unknown"
    "track_grade1": True, "track_grade2": True, "track_grade3": True, "track_grade4": True,
    "track_grade5": True, "unknown": True,
    # kind (Tilezen / Protomaps)
    "major_road": True, "minor_road": True, "other": True,
    # cycleways: walkable only with foot=yes/designated (pavements beside them are mapped apart)
    "cycleway": False,
    # roads for motor traffic only
    "motorway": False, "motorway_link": False, "trunk": False, "trunk_link": False,
    "busway": False, "bus_guideway": False, "raceway": False, "highway": False,
    "construction": False, "proposed": False, "abandoned": False, "platform": False,
    # rail and water
    "rail": False, "light_rail": False, "subway": False, "tram": False, "monorail": False,
    "narrow_gauge": False, "funicular": False, "miniature": False, "miniature_railway": False,
    "preserved": False, "disused": False, "rack": False, "ferry": False,
    # aerial and air
    "aerialway": False, "aeroway": False,
}
# Classes that carry cars: in a tunnel they are car tunnels (no pavement to walk on).
MOTOR_CLASSES = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "service", "road",
    "major_road", "minor_road", "highway", "busway",
})
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "destination", "official"})
_NO_ACCESS = frozenset({"no", "private"})
_FALSE = frozenset({"", "no", "false", "f", "0", "n", "none", "null", "nan"})
# tunnel=* values that are still open-air-like ground passages a pedestrian uses.
_PASSAGE_TUNNELS = frozenset({"building_passage", "covered", "avalanche_protector"})
_SIDEWALK = frozenset({"both", "left", "right", "yes"})
_FORWARD = frozenset({"yes", "true", "1"})
_REVERSE = frozenset({"-1", "reverse"})
ONEWAY_FOOT_FIELDS = ("oneway:foot", "oneway_foot")


@dataclass(frozen=True)
class Verdict:
    """One line's class, whether it is walked, why not, and where it lies vertically."""

    cls: str
    walkable: bool
    reason: str          # "" when walkable; else e.g. "class motorway", "car tunnel", "foot=no"
    known: bool          # the class is in WALK_CLASSES (or overridden)
    level: tuple[int, bool, bool]  # (layer, bridge, tunnel): lines meet inside only on equal levels
    direction: int       # 0 two-way, 1 forward only, -1 backward only

    @property
    def ground(self) -> bool:
        """At ground level: homes and facilities may attach here."""
        return self.level == (0, False, False)


def _text(value) -> str:
    if value is None:
        return ""
    text = str(value).strip().lower()
    return "" if text in ("none", "nan", "null") else text


def flag(value) -> bool:
    """yes/T/true/1 (OSM and Geofabrik spellings) -> True; no/F/empty -> False; other values True."""
    return _text(value) not in _FALSE


def layer_of(value) -> int:
    """OSM layer=* as an int; '1;2' takes the first, unreadable values count as 0."""
    text = _text(value).split(";")[0].strip()
    try:
        return int(float(text)) if text else 0
    except ValueError:
        return 0


def osm_class(tags: Mapping[str, object]) -> str:
    """The class of an OSM way: highway, else railway, else 'ferry' for route=ferry, else ''."""
    highway = _text(tags.get("highway"))
    if highway:
        return highway
    railway = _text(tags.get("railway"))
    if railway:
        return railway
    if _text(tags.get("route")) == "ferry":
        return "ferry"
    if _text(tags.get("aerialway")):
        return "aerialway"
    return ""


def kind_class(tags: Mapping[str, object]) -> str:
    """kind_detail when the table knows it (it holds OSM values), else kind."""
    detail = _text(tags.get("kind_detail"))
    return detail if detail in WALK_CLASSES else _text(tags.get("kind"))


def judge(cls: str, tags: Mapping[str, object], keep: frozenset[str] = frozenset(),
          drop: frozenset[str] = frozenset()) -> Verdict:
    """Decide whether a line of class `cls` with these fields is walkable, and on which level."""
    foot = _text(tags.get("foot"))
    tunnel_value = _text(tags.get("tunnel"))
    tunnel = flag(tunnel_value) and tunnel_value not in _PASSAGE_TUNNELS
    level = (layer_of(tags.get("layer")), flag(tags.get("bridge")), tunnel)
    oneway = next((_text(tags.get(f)) for f in ONEWAY_FOOT_FIELDS if _text(tags.get(f))), "")
    direction = 1 if oneway in _FORWARD else -1 if oneway in _REVERSE else 0
    known = cls in WALK_CLASSES or cls in keep or cls in drop
    base = cls not in drop and (cls in keep or WALK_CLASSES.get(cls, True))
    foot_ok = foot in FOOT_ALLOWED
    reason = ""
    if foot == "no":
        reason = "foot=no"
    elif _text(tags.get("access")) in _NO_ACCESS and not foot_ok:
        reason = f"access={_text(tags.get('access'))}"
    elif _text(tags.get("area")) == "yes":
        reason = "area"
    elif not base and not (foot_ok and cls not in drop):
        reason = f"class {cls}"
    elif tunnel and cls in MOTOR_CLASSES and not foot_ok and cls not in keep \
            and _text(tags.get("sidewalk")) not in _SIDEWALK:
        reason = "car tunnel"
    return Verdict(cls, reason == "", reason, known, level, direction)


@dataclass
class Tally:
    """What a reader kept and dropped, by class, for the import report."""

    scheme: str = ""
    kept: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)    # reason -> features
    unknown: dict[str, int] = field(default_factory=dict)    # class not in the table -> features (kept)
    snapped_ends: int = 0

    def add(self, verdict: Verdict) -> None:
        """Count one feature."""
        if verdict.walkable:
            self.kept[verdict.cls or "(none)"] = self.kept.get(verdict.cls or "(none)", 0) + 1
            if not verdict.known:
                self.unknown[verdict.cls or "(none)"] = self.unknown.get(verdict.cls or "(none)", 0) + 1
        else:
            self.dropped[verdict.reason] = self.dropped.get(verdict.reason, 0) + 1
