"""Facilities' catchments and snaps, kept per network version: the 2SFCA's pairs walked once per place.

A scenario only walks from its planned sites; a city's type has thousands of facilities, whose snaps and
catchments would otherwise be computed on every call (measures.py, scenario_measures.py).
"""
from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from grid_app.coverage.fca import Pairs, local_pairs, two_step
from grid_app.coverage.graph import Snaps, snap
from grid_app.coverage.kept import Kept
from grid_app.coverage.measures_data import url_of
from grid_app.coverage.prepared import MAX_ACCESS_M, PreparedNetwork

PAIRS_KEPT = 5_000  # facilities' catchments kept (per network version); planned sites add to them
_pairs = Kept(PAIRS_KEPT)


def clear_catchments() -> None:
    """Forget every kept catchment (a benchmark's cold run)."""
    _pairs.clear()


def clear_snaps() -> None:
    """Forget every kept snap (a benchmark's cold run)."""
    _snapped.clear()


def catchment_pairs(session: Session, net: PreparedNetwork, snaps: Snaps, catchment_m: float) -> Pairs:
    """fca.catchment_pairs of these facilities; each one's catchment walked once per network version and place."""
    gen = (url_of(session), net.stamp)
    keys = [(float(catchment_m), int(e), float(f), float(a)) for e, f, a in zip(snaps.edge, snaps.frac, snaps.access_m)]
    found = _pairs.get(gen, keys)
    missing = np.array([j for j, f in enumerate(found) if f is None and snaps.edge[j] >= 0], dtype=np.int64)
    if len(missing):
        new = local_pairs(net.prepared, snaps.subset(missing), catchment_m)
        cut = np.searchsorted(new.facility, np.arange(len(missing) + 1))  # pairs come grouped by facility
        for i, j in enumerate(missing):
            found[j] = (new.home[cut[i]:cut[i + 1]], new.distance_m[cut[i]:cut[i + 1]])
        _pairs.put(gen, {keys[j]: found[j] for j in missing})
    parts = [(j, f) for j, f in enumerate(found) if f is not None]
    if not parts:
        return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return Pairs(np.concatenate([np.full(len(f[0]), j, dtype=np.int64) for j, f in parts]),
                 np.concatenate([f[0] for _, f in parts]), np.concatenate([f[1] for _, f in parts]))


def fca_scores(session: Session, net: PreparedNetwork, lonlat: np.ndarray, supply: np.ndarray, demand: np.ndarray,
               catchment_m: float) -> tuple[np.ndarray, np.ndarray]:
    """2SFCA scores of every home and ratios of every facility; each catchment walked once per network version."""
    pairs = catchment_pairs(session, net, kept_snaps(session, net, lonlat), catchment_m)
    return two_step(pairs, supply, demand)


SNAPS_KEPT = 200_000  # facility points' snaps kept per network version
_snapped = Kept(SNAPS_KEPT)


def kept_snaps(session: Session, net: PreparedNetwork, lonlat: np.ndarray) -> Snaps:
    """snap(net.graph, lonlat, MAX_ACCESS_M), each point snapped once per network version.

    A city's type has thousands of facilities: snapping them all took most of a scenario's measures there."""
    gen = (url_of(session), net.stamp)
    keys = [(float(x), float(y)) for x, y in np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)]
    found = _snapped.get(gen, keys)
    missing = [j for j, f in enumerate(found) if f is None]
    if missing:
        new = snap(net.graph, np.array([keys[j] for j in missing]), MAX_ACCESS_M)
        for i, j in enumerate(missing):
            found[j] = (int(new.edge[i]), float(new.frac[i]), float(new.access_m[i]))
        _snapped.put(gen, {keys[j]: found[j] for j in missing})
    if not found:
        return Snaps(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    edge, frac, access = zip(*found)
    return Snaps(np.array(edge, dtype=np.int64), np.array(frac, dtype=np.float64), np.array(access, dtype=np.float64))
