"""Two-step floating catchment area (2SFCA, Luo & Wang 2003) on the engine's walking distances.

Step 1: each facility's ratio R_j = capacity_j / demand within its catchment.
Step 2: each home's score A_i = sum of R_j over facilities whose catchment holds it.
A home is in a catchment when its walk to the facility is at most the catchment (inclusive).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grid_app.coverage.engine import PreparedHomes
from grid_app.coverage.graph import Snaps


@dataclass
class Pairs:
    """Every (facility, home) pair within the catchment, with its walking distance in metres."""

    facility: np.ndarray
    home: np.ndarray
    distance_m: np.ndarray


def catchment_pairs(prepared: PreparedHomes, facilities: Snaps, catchment_m: float) -> Pairs:
    """The engine's distance from each facility to every home within catchment_m (one limited pass each)."""
    fac, home, dist = [], [], []
    for j in np.flatnonzero(facilities.snapped):
        d = prepared.distances(facilities.subset(np.array([j])), catchment_m)
        near = np.flatnonzero(np.isfinite(d))
        fac.append(np.full(len(near), j, dtype=np.int64))
        home.append(near)
        dist.append(d[near])
    if not fac:
        return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return Pairs(np.concatenate(fac), np.concatenate(home), np.concatenate(dist))


def two_step(pairs: Pairs, supply, demand) -> tuple[np.ndarray, np.ndarray]:
    """Scores per home and ratios per facility; a facility with no demand in reach has ratio 0."""
    supply = np.asarray(supply, dtype=np.float64)
    demand = np.asarray(demand, dtype=np.float64)
    reached = np.bincount(pairs.facility, weights=demand[pairs.home], minlength=len(supply))
    ratio = np.divide(supply, reached, out=np.zeros(len(supply)), where=reached > 0)
    score = np.bincount(pairs.home, weights=ratio[pairs.facility], minlength=len(demand))
    return score, ratio
