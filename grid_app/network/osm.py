"""Read the walking network and points of interest from an OSM file (.osm.pbf / .osm) with pyosmium."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import osmium
import shapely

from grid_app.network.model import WalkNetwork, build_network
from grid_app.network.walkable import Tally, judge, osm_class

# tag conditions (all must hold; value sets are alternatives) -> facility type.
# An object matching several rules yields one facility per distinct type.
FACILITY_TAGS: tuple[tuple[str, dict[str, frozenset[str]]], ...] = (
    ("kindergarten", {"amenity": frozenset({"kindergarten"})}),
    ("primary_school", {"amenity": frozenset({"school"})}),
    ("health_station", {"amenity": frozenset({"clinic", "doctors"})}),
    ("convenience", {"shop": frozenset({"convenience"})}),
    ("market", {"amenity": frozenset({"marketplace"})}),
    ("market", {"shop": frozenset({"greengrocer"})}),
    ("fitness", {"leisure": frozenset({"fitness_centre", "fitness_station", "pitch"})}),
    ("elderly_care", {"amenity": frozenset({"social_facility"}),
                      "social_facility": frozenset({"assisted_living", "nursing_home"})}),
    ("elderly_care", {"amenity": frozenset({"nursing_home"})}),
    ("party_service", {"amenity": frozenset({"community_centre"})}),
)


def walk_direction(tags: Mapping[str, str]) -> int | None:
    """None if the way is not walkable (walkable.py's table), else 0 two-way, 1 forward, -1 backward."""
    cls = osm_class(tags)
    verdict = judge(cls, tags) if cls else None
    return verdict.direction if verdict is not None and verdict.walkable else None


def _valid_runs(way: osmium.osm.Way) -> list[tuple[list[int], list[tuple[float, float]]]]:
    """The way's node refs and coordinates, split where a node location is missing (clipped extracts)."""
    runs: list[tuple[list[int], list[tuple[float, float]]]] = []
    refs: list[int] = []
    coords: list[tuple[float, float]] = []
    for nref in way.nodes:
        if not nref.location.valid():
            if len(refs) >= 2:
                runs.append((refs, coords))
            refs, coords = [], []
            continue
        if refs and refs[-1] == nref.ref:
            continue  # repeated node: no zero-length segment
        refs.append(nref.ref)
        coords.append((nref.location.lon, nref.location.lat))
    if len(refs) >= 2:
        runs.append((refs, coords))
    return runs


def read_osm(path: str | os.PathLike) -> WalkNetwork:
    """Build a WalkNetwork from the walkable ways of an OSM file, split at shared nodes and way ends."""
    return load_osm(path)[0]


def load_osm(path: str | os.PathLike, keep: frozenset[str] = frozenset(),
             drop: frozenset[str] = frozenset()) -> tuple[WalkNetwork, Tally]:
    """The walking network of an OSM file and what was kept and dropped (OSM ways share their junctions)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    tally = Tally(scheme="osm")
    ways: list[tuple[list[int], list[tuple[float, float]], str, int, bool]] = []
    for way in osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY).with_locations():
        if not way.is_way():
            continue  # nodes are read only to fill in way locations
        cls = osm_class(way.tags)
        if not cls:
            continue  # buildings, land use...: not a line anyone walks or drives
        verdict = judge(cls, way.tags, keep, drop)
        tally.add(verdict)
        if not verdict.walkable:
            continue
        for refs, coords in _valid_runs(way):
            if verdict.direction == -1:
                refs, coords = refs[::-1], coords[::-1]
            ways.append((refs, coords, cls, verdict.direction, verdict.ground))
    if not ways:
        raise ValueError(f"{path}: no walkable ways")

    all_refs = np.concatenate([np.asarray(w[0], dtype=np.int64) for w in ways])
    uniq, counts = np.unique(all_refs, return_counts=True)
    split = set(uniq[counts >= 2].tolist())  # shared by >= 2 ways, or visited twice by one
    node_index: dict[int, int] = {}
    node_lonlat: list[tuple[float, float]] = []

    def node_of(ref: int, lonlat: tuple[float, float]) -> int:
        idx = node_index.get(ref)
        if idx is None:
            idx = node_index[ref] = len(node_lonlat)
            node_lonlat.append(lonlat)
        return idx

    us: list[int] = []
    vs: list[int] = []
    pieces: list[list[tuple[float, float]]] = []
    highways: list[str] = []
    directed: list[bool] = []
    ground: list[bool] = []
    for refs, coords, highway, direction, on_ground in ways:
        start = 0
        last = len(refs) - 1
        for i in range(1, last + 1):
            if i != last and refs[i] not in split:
                continue
            us.append(node_of(refs[start], coords[start]))
            vs.append(node_of(refs[i], coords[i]))
            pieces.append(coords[start:i + 1])
            highways.append(highway)
            directed.append(direction != 0)
            ground.append(on_ground)
            start = i

    lonlat = np.asarray(node_lonlat, dtype=np.float64)
    ids = np.fromiter(node_index.keys(), dtype=np.int64, count=len(node_index))
    lens = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
    flat = np.asarray([c for p in pieces for c in p], dtype=np.float64)
    geoms = shapely.linestrings(flat, indices=np.repeat(np.arange(len(pieces)), lens))
    network = build_network(ids, lonlat[:, 0], lonlat[:, 1], np.asarray(us), np.asarray(vs), geoms,
                            np.asarray(directed), np.asarray(highways, dtype=object), np.asarray(ground))
    return network, tally


@dataclass
class OsmBuilding:
    """A building footprint from a closed OSM way."""

    osm_id: int
    polygon: shapely.Polygon
    building: str
    levels: float | None


@dataclass
class OsmFacility:
    """A service facility: an OSM node, or the centroid of an OSM way."""

    osm_type: str  # "node" or "way"
    osm_id: int
    kind: str
    point: shapely.Point
    name: str | None


def facility_kinds(tags: Mapping[str, str],
                   tag_table: tuple[tuple[str, dict[str, frozenset[str]]], ...] = FACILITY_TAGS) -> list[str]:
    """Facility types whose tag conditions all hold for these tags (distinct, table order)."""
    kinds: list[str] = []
    for kind, conditions in tag_table:
        if kind not in kinds and all(tags.get(k) in values for k, values in conditions.items()):
            kinds.append(kind)
    return kinds


def _levels(text: str | None) -> float | None:
    """building:levels as a number; OSM values like '3;5' or 'abc' give the first number or None."""
    if not text:
        return None
    try:
        return float(text.split(";")[0].strip())
    except ValueError:
        return None


def read_osm_pois(path: str | os.PathLike,
                  tag_table: tuple[tuple[str, dict[str, frozenset[str]]], ...] = FACILITY_TAGS
                  ) -> tuple[list[OsmBuilding], list[OsmFacility]]:
    """Buildings (closed ways tagged building=*) and facilities (per `tag_table`) from an OSM file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    buildings: list[OsmBuilding] = []
    facilities: list[OsmFacility] = []
    for obj in osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY).with_locations():
        if obj.is_node():
            if len(obj.tags) == 0 or not obj.location.valid():
                continue
            kinds = facility_kinds(obj.tags, tag_table)
            if kinds:
                point = shapely.Point(obj.location.lon, obj.location.lat)
                facilities.extend(OsmFacility("node", obj.id, k, point, obj.tags.get("name")) for k in kinds)
            continue
        building = obj.tags.get("building")
        kinds = facility_kinds(obj.tags, tag_table)
        if (building is None or building == "no") and not kinds:
            continue
        runs = _valid_runs(obj)
        if len(runs) != 1:
            continue  # clipped at the extract edge: no trustworthy shape
        refs, coords = runs[0]
        closed = len(refs) >= 4 and refs[0] == refs[-1]
        shape = shapely.Polygon(coords) if closed else shapely.LineString(coords)
        if building is not None and building != "no" and closed:
            buildings.append(OsmBuilding(obj.id, shape, building, _levels(obj.tags.get("building:levels"))))
        if kinds:
            point = shape.centroid if closed else shape.interpolate(0.5, normalized=True)
            facilities.extend(OsmFacility("way", obj.id, k, point, obj.tags.get("name")) for k in kinds)
    return buildings, facilities
