"""The walking network and the homes on it, prepared once per data version and cached in the process and on disk.

The coverage job, the isochrones and the siting service compute on it; nothing here writes to the database.
A cold process reads the arrays a process before it computed for the same data (coverage/disk_cache.py)
instead of loading, checking, projecting and snapping the network again.
"""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from grid_app.coverage import disk_cache, prepared_arrays
from grid_app.coverage.engine import PreparedHomes
from grid_app.coverage.faces import FaceIndex, face_index, keep_face_index
from grid_app.coverage.graph import Snaps, WalkGraph, snap
from grid_app.network import bulk
from grid_app.network.store import load_network, versions
from grid_app.platform.errors import NotFound

MAX_ACCESS_M = 150.0  # a home or facility farther than this from any path is reported, not guessed
_cache_lock = threading.Lock()
_cache: dict = {}
# Where the disk cache lives (None: off); tests and scripts may point it elsewhere.
disk_dir: str | None = disk_cache.default_dir()


@dataclass
class Homes:
    """Buildings with residents, as points tied to the network."""

    building_id: np.ndarray
    residents: np.ndarray
    snaps: Snaps


@dataclass
class PreparedNetwork:
    """The walking graph and the homes split into it, for one stamp of data versions."""

    stamp: str
    graph: WalkGraph
    homes: Homes
    prepared: PreparedHomes
    database: str = ""  # the database it was read from (see _database): names its disk cache
    faces_ready: set = field(default_factory=set)  # (buffer_m, quad_segs) whose face index the graph holds


def prepared_network(session: Session) -> PreparedNetwork:
    """The prepared network for the current data (rebuilt when the network or buildings change)."""
    stamp = versions(session, ("network", "buildings"))
    key = (_database(session), stamp)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    slot = _slot(*key)
    built = _from_disk(slot) if slot else None
    if built is None:
        built = _build(session, *key)
        if slot:
            _to_disk(slot, built)
    with _cache_lock:
        _cache.clear()  # one generation at a time: old graphs are large
        _cache[key] = built
    return built


def _database(session: Session) -> str:
    """Which database: its URL without password, and its oid (a database dropped and made again is another).

    The oid is read once per pooled connection (its info lives as long as it): a database cannot be
    dropped while a connection to it is open, so the connection's answer never goes stale."""
    info = session.connection().info
    if "grid_app.database" not in info:
        oid = session.scalar(text("SELECT oid FROM pg_database WHERE datname = current_database()"))
        info["grid_app.database"] = f"{session.get_bind().engine.url.render_as_string(hide_password=True)}#{oid}"
    return info["grid_app.database"]


def _build(session: Session, database: str, stamp: str) -> PreparedNetwork:
    """Load the stored network and homes and prepare them (seconds at a city's size)."""
    network = load_network(session)
    if network is None:
        raise NotFound("no walking network is stored; run flask grid import-network", code="no_network")
    graph = WalkGraph(network)
    building_id, residents, xy = home_points_bulk(session)
    homes = Homes(building_id, residents, snap(graph, xy, MAX_ACCESS_M))
    return PreparedNetwork(stamp, graph, homes, PreparedHomes(graph, homes.snaps), database)


def _slot(database: str, stamp: str) -> disk_cache.Slot | None:
    return disk_cache.Slot(disk_dir, database, stamp) if disk_dir else None


def _code(*names: str) -> str:
    """The digest of the modules whose code computes a cached set (a change there invalidates it)."""
    return disk_cache.code_version(*(sys.modules[n] for n in names))


def _network_code() -> str:
    return _code("grid_app.network.model", "grid_app.network.store", "grid_app.coverage.graph", __name__,
                 "grid_app.coverage.prepared_arrays", "grid_app.coverage.augment")


def _from_disk(slot: disk_cache.Slot) -> PreparedNetwork | None:
    """The prepared network stored for this database and version, or None (absent, stale or unreadable)."""
    a = disk_cache.read(slot, "network", _network_code())
    if a is None:
        return None
    try:
        graph = prepared_arrays.graph_from(prepared_arrays.network_from(a), a)
        snaps = prepared_arrays.snaps_from(a, "homes")
        homes = Homes(a["homes.building_id"], a["homes.residents"], snaps)
        if not len(homes.building_id) == len(homes.residents) == len(snaps) or (
                len(snaps) and snaps.edge.max() >= graph.network.n_edges):
            raise ValueError("homes do not match the network")
        split = prepared_arrays.augmented_from(a, "homes.split", graph, len(snaps))
        built = PreparedNetwork(slot.stamp, graph, homes, PreparedHomes(graph, snaps, split), slot.database)
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        disk_cache.log.warning("ignoring cache file %s: %s", slot.path("network"), exc)
        return None
    return built


def _to_disk(slot: disk_cache.Slot, net: PreparedNetwork) -> None:
    """Store the prepared network for the next cold process, and drop this database's older ones."""
    try:
        arrays = {**prepared_arrays.network_arrays(net.graph.network), **prepared_arrays.graph_arrays(net.graph),
                  **prepared_arrays.snaps_arrays("homes", net.homes.snaps),
                  **prepared_arrays.augmented_arrays("homes.split", net.prepared.aug),
                  "homes.building_id": net.homes.building_id, "homes.residents": net.homes.residents}
    except TypeError as exc:
        disk_cache.log.warning("prepared network not cached: %s", exc)
        return
    if disk_cache.write(slot, "network", arrays, _network_code()):
        disk_cache.prune(slot)


def ensure_faces(net: PreparedNetwork, buffer_m: float, quad_segs: int) -> None:
    """Give the graph its face index for these isochrone settings: from the disk cache, else built and stored.

    Building it is the slowest step of a first isochrone (half a minute at a million edges)."""
    settings = (float(buffer_m), int(quad_segs))
    slot = _slot(net.database, net.stamp) if net.database else None
    if settings in net.faces_ready or slot is None:
        return  # held already, or no disk cache: isochrones() builds it on first use as before
    kind = f"faces-b{buffer_m:g}-q{int(quad_segs)}"
    code = _code("grid_app.coverage.faces", "grid_app.coverage.graph", "grid_app.coverage.prepared_arrays")
    index = _faces_from_disk(slot, kind, code, net.graph.network.n_edges)
    if index is not None:
        keep_face_index(net.graph, index, buffer_m, quad_segs)
    else:
        index = face_index(net.graph, buffer_m, quad_segs)
        try:
            disk_cache.write(slot, kind, prepared_arrays.faces_arrays(index), code)
        except TypeError as exc:
            disk_cache.log.warning("face index not cached: %s", exc)
    net.faces_ready.add(settings)


def _faces_from_disk(slot: disk_cache.Slot, kind: str, code: str, n_edges: int) -> FaceIndex | None:
    """The stored face index of this network, or None (absent, stale or unreadable)."""
    a = disk_cache.read(slot, kind, code)
    if a is None:
        return None
    try:
        index = prepared_arrays.faces_from(a)
        if len(index.edge_ptr) != n_edges + 1 or len(index.usable) != index.n_faces:
            raise ValueError("face index does not match the network")
        return index
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        disk_cache.log.warning("ignoring cache file %s: %s", slot.path(kind), exc)
        return None


_HOME_RECORD = np.dtype([("id", ">i8"), ("residents", ">f8"), ("lon", ">f8"), ("lat", ">f8")])
# One bulk read (see grid_app/network/bulk.py): a record per building, the point on its surface computed once;
# a building without one (empty geometry) gets NaN and is reported unsnapped, as before.
_HOMES_SQL = """
SELECT string_agg(int8send(id) || float8send(residents::float8) || float8send(coalesce(ST_X(p), 'NaN'))
                  || float8send(coalesce(ST_Y(p), 'NaN')), ''::bytea)
FROM (SELECT id, residents, ST_PointOnSurface(geom) AS p FROM building WHERE residents > 0) b"""


def home_points_bulk(session: Session) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Id, residents and lon/lat (n, 2) of every building with residents, in id order."""
    (field,) = bulk.copy_row(session, _HOMES_SQL)
    rows = bulk.records(field or b"", _HOME_RECORD)
    rows = rows[np.argsort(rows["id"], kind="stable")]
    xy = np.column_stack([rows["lon"], rows["lat"]]).astype(np.float64).reshape(-1, 2)
    return rows["id"].astype(np.int64), rows["residents"].astype(np.float64), xy


def facility_points(session: Session, type_id: int) -> np.ndarray:
    """Lon/lat of every facility of a type, in code order."""
    rows = session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM facility WHERE type_id = :t ORDER BY code"),
                           {"t": type_id}).all()
    return np.array([tuple(r) for r in rows], dtype=np.float64).reshape(-1, 2)
