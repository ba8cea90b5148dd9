"""Per-feature checks on imported files, before anything is written."""
from __future__ import annotations

import os

import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon

from grid_app.models import PartyOrganisation
from grid_app.places.importer.problems import Problem
from grid_app.places.importer.reader import Feature
from grid_app.places.importer.specs import LayerSpec

POLYGONAL = (Polygon, MultiPolygon)
PARTY_KINDS = PartyOrganisation.KINDS


def check_feature(path: str, spec: LayerSpec, feature: Feature, repair: bool) -> list[Problem]:
    """Check one feature in place (repairing its geometry when allowed); return its problems."""
    name = os.path.basename(path)
    props = feature.properties
    code = props.get("code")
    code = None if code is None else str(code)
    problems = []

    def bad(reason: str) -> None:
        problems.append(Problem(name, feature.index, reason, code))

    for field in spec.required:
        if props.get(field) in (None, ""):
            bad(f"missing field {field!r}")
    for field in spec.integers:
        value = props.get(field)
        if value is None:
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            bad(f"field {field!r} must be a whole number, got {value!r}")
            continue
        if number != float(value) or number < 0:
            bad(f"field {field!r} must be a whole number >= 0, got {value!r}")
        else:
            props[field] = number
    kind = props.get("party_org_kind")
    if kind is not None and kind not in PARTY_KINDS:
        bad(f"party_org_kind must be one of {', '.join(PARTY_KINDS)}, got {kind!r}")
    for field in spec.required + spec.optional:
        if field.endswith("code") and props.get(field) is not None:
            props[field] = str(props[field])

    geom = feature.geometry
    if geom is None:
        bad("no geometry")
        return problems
    if spec.geometry == "point":
        if isinstance(geom, MultiPoint) and len(geom.geoms) == 1:
            geom = geom.geoms[0]
        if not isinstance(geom, Point):
            bad(f"geometry must be a Point, got {geom.geom_type}")
            return problems
    elif not isinstance(geom, POLYGONAL):
        bad(f"geometry must be a Polygon or MultiPolygon, got {geom.geom_type}")
        return problems
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        bad("coordinates are not longitude/latitude (is the CRS missing from the file?)")
        return problems
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        if not repair:
            bad(f"invalid geometry: {reason} (run with --repair to fix it)")
            return problems
        geom = _polygonal_part(shapely.make_valid(geom))
        if geom is None:
            bad(f"invalid geometry that cannot be repaired: {reason}")
            return problems
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    feature.geometry = geom
    return problems


def _polygonal_part(geom) -> MultiPolygon | None:
    """make_valid may return a collection; keep its polygons (lines from spikes carry no area)."""
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, POLYGONAL)]
    polys = []
    for part in parts:
        polys.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
    polys = [p for p in polys if p.area > 0]
    return MultiPolygon(polys) if polys else None


def duplicate_codes(path: str, features: list[Feature], seen: dict[str, tuple[str, int]]) -> list[Problem]:
    """Codes used twice within the imported files."""
    name = os.path.basename(path)
    problems = []
    for f in features:
        code = f.properties.get("code")
        if code is None:
            continue
        code = str(code)
        if code in seen:
            first_file, first_index = seen[code]
            problems.append(Problem(name, f.index, f"duplicate code (also {first_file} feature {first_index})", code))
        else:
            seen[code] = (name, f.index)
    return problems
