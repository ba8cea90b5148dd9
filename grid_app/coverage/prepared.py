"""The walking network and the homes on it, prepared once per data version and cached in the process.

The coverage job, the isochrones and the siting service compute on it; nothing here writes.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from grid_app.coverage.engine import PreparedHomes
from grid_app.coverage.graph import Snaps, WalkGraph, snap
from grid_app.network import bulk
from grid_app.network.store import load_network, versions
from grid_app.platform.errors import NotFound

MAX_ACCESS_M = 150.0  # a home or facility farther than this from any path is reported, not guessed
_cache_lock = threading.Lock()
_cache: dict = {}


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


def prepared_network(session: Session) -> PreparedNetwork:
    """The prepared network for the current data (rebuilt when the network or buildings change)."""
    stamp = versions(session, ("network", "buildings"))
    key = (str(session.get_bind().engine.url), stamp)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    network = load_network(session)
    if network is None:
        raise NotFound("no walking network is stored; run flask grid import-network", code="no_network")
    graph = WalkGraph(network)
    building_id, residents, xy = home_points_bulk(session)
    homes = Homes(building_id, residents, snap(graph, xy, MAX_ACCESS_M))
    built = PreparedNetwork(stamp, graph, homes, PreparedHomes(graph, homes.snaps))
    with _cache_lock:
        _cache.clear()  # one generation at a time: old graphs are large
        _cache[key] = built
    return built


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
