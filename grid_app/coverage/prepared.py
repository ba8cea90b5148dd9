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
    rows = session.execute(text(
        "SELECT id, residents, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
        "FROM building WHERE residents > 0 ORDER BY id")).all()
    xy = np.array([(r[2], r[3]) for r in rows], dtype=np.float64).reshape(-1, 2)
    homes = Homes(np.array([r[0] for r in rows], dtype=np.int64),
                  np.array([r[1] for r in rows], dtype=np.float64), snap(graph, xy, MAX_ACCESS_M))
    built = PreparedNetwork(stamp, graph, homes, PreparedHomes(graph, homes.snaps))
    with _cache_lock:
        _cache.clear()  # one generation at a time: old graphs are large
        _cache[key] = built
    return built


def facility_points(session: Session, type_id: int) -> np.ndarray:
    """Lon/lat of every facility of a type, in code order."""
    rows = session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM facility WHERE type_id = :t ORDER BY code"),
                           {"t": type_id}).all()
    return np.array([tuple(r) for r in rows], dtype=np.float64).reshape(-1, 2)
