"""Which connected piece of the network each home attaches to, and where the small pieces lie."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grid_app.coverage.graph import WalkGraph, snap

MAIN_SHARE_MIN = 0.95  # below this share of residents on the largest piece, the import warns


@dataclass(frozen=True)
class Piece:
    """One connected component: size, residents attached, and where it is."""

    rank: int             # 0 = most nodes
    nodes: int
    edges: int
    km: float
    residents: int
    share: float          # of all residents attached anywhere or not
    lon: float            # a node of the piece, to look at
    lat: float
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


def pieces(network, homes_lonlat: np.ndarray, residents: np.ndarray, max_access_m: float) -> tuple[list[Piece], int]:
    """Every component with the residents whose home snaps to it; and the residents left unattached."""
    labels, sizes = network.components()
    edge_label = labels[network.u]
    total = float(residents.sum())
    home_label = np.full(len(residents), -1)
    if len(residents):
        snaps = snap(WalkGraph(network), homes_lonlat, max_access_m)
        home_label[snaps.snapped] = edge_label[snaps.edge[snaps.snapped]]
    people = np.bincount(home_label[home_label >= 0], weights=residents[home_label >= 0], minlength=len(sizes))
    edges = np.bincount(edge_label, minlength=len(sizes))
    km = np.bincount(edge_label, weights=network.length_m, minlength=len(sizes)) / 1000
    out = []
    for rank in range(len(sizes)):
        at = np.flatnonzero(labels == rank)
        lon, lat = network.lon[at], network.lat[at]
        mid = at[np.argmin(np.hypot(lon - lon.mean(), lat - lat.mean()))]
        out.append(Piece(rank, int(sizes[rank]), int(edges[rank]), float(km[rank]), int(people[rank]),
                         float(people[rank] / total) if total else 0.0, float(network.lon[mid]),
                         float(network.lat[mid]), (float(lon.min()), float(lat.min()), float(lon.max()),
                                                   float(lat.max()))))
    return out, int(residents[home_label < 0].sum())


def main_piece_warning(found: list[Piece]) -> str | None:
    """A warning when the largest piece holds < 95 % of the attached residents."""
    if not found:
        return None
    main = found[0]
    attached = sum(p.share for p in found)
    if attached == 0 or main.share >= MAIN_SHARE_MIN * attached:
        return None
    others = sorted((p for p in found[1:] if p.residents), key=lambda p: -p.residents)[:5]
    where = "; ".join(f"#{p.rank} {p.residents} residents near {p.lon:.6f},{p.lat:.6f}" for p in others)
    return (f"the largest component holds only {main.share / attached:.1%} of the attached residents; "
            f"others: {where}")
