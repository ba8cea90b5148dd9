"""Step 2: streets (街道) → communities (社区) → grids (网格), each a union of whole blocks.

Balanced region growing on the block adjacency graph, so every level shares identical vertices
with the next: no gaps, no overlaps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from grid_app.demo_data.constants import DISTRICT_CODE
from grid_app.demo_data.names import (
    COMMUNITY_NAMES,
    STREET_NAMES,
    area_names,
    community_name_extra,
    name_pool,
    person,
    street_name_extra,
)


@dataclass
class Hierarchy:
    """Streets, communities and grids as dicts (code, name, geom, ...) and each block's community."""
    streets: list[dict]
    comms: list[dict]
    grids: list[dict]
    block_comm: np.ndarray
    area_names: object   # iterator of residential area names


def build_hierarchy(blocks, scale, rng) -> Hierarchy:
    """Group the blocks into streets, communities and grids; codes and names in reading order."""
    nb = len(blocks.geoms)
    n_comm = max(1, int(round(6 * scale)))
    n_street = max(1, int(round(n_comm / 8)))
    cent, areas, nbrs = blocks.cent, blocks.areas, blocks.nbrs
    street_groups = partition(range(nb), cent, areas, nbrs, n_street, rng)
    street_groups.sort(key=lambda g: (float(np.mean(cent[g, 0])), float(np.mean(cent[g, 1]))))
    street_names = name_pool([n + "街道" for n in STREET_NAMES], len(street_groups),
                             lambda: (n + "街道" for n in street_name_extra()))
    comm_groups_all = []
    for sg in street_groups:
        k = max(1, int(round(n_comm * len(sg) / nb)))
        cg = partition(sg, cent, areas, nbrs, k, rng)
        # west -> east, north -> south within the street
        cg.sort(key=lambda g: (round(float(np.mean(cent[g, 0])) / 400), -float(np.mean(cent[g, 1]))))
        comm_groups_all.append(cg)
    comm_names = name_pool([n + "社区" for n in COMMUNITY_NAMES], sum(len(cg) for cg in comm_groups_all),
                           lambda: (n + "社区" for n in community_name_extra()))
    # drawn here, before the communities, to keep the random sequence of the shipped files
    names_of_areas = area_names(rng, scale)
    h = Hierarchy([], [], [], np.zeros(nb, int), names_of_areas)
    for si_, cgs in enumerate(comm_groups_all):
        scode = f"{DISTRICT_CODE}{si_ + 1:03d}"
        comm_polys = [_community(h, blocks, scode, cj, cg, comm_names[len(h.comms)], rng)
                      for cj, cg in enumerate(cgs)]
        h.streets.append(dict(code=scode, name=street_names[si_], geom=shapely.union_all(comm_polys)))
    return h


def _community(h, blocks, scode, cj, cg, cname, rng):
    """Append community number cj of a street and its grids to h; returns its polygon."""
    ccode = f"{scode}{cj + 1:03d}"
    cent = blocks.cent
    k = int(rng.integers(4, 7))
    gg = partition(cg, cent, blocks.areas, blocks.nbrs, min(k, len(cg)), rng)
    gg.sort(key=lambda g: (-round(float(np.mean(cent[g, 1])) / 250), float(np.mean(cent[g, 0]))))
    gpolys = []
    for gk, g in enumerate(gg):
        gp = shapely.union_all(list(blocks.geoms[g]))
        gpolys.append(gp)
        h.block_comm[g] = len(h.comms)
        nw = int(rng.integers(2, 4))
        h.grids.append(dict(code=f"{ccode}{gk + 1:03d}", name=f"{cname}第{gk + 1}网格",
                            community_code=ccode,
                            workers="、".join(person(rng) for _ in range(nw)), geom=gp))
    cp = shapely.union_all(gpolys)
    h.comms.append(dict(code=ccode, name=cname, street_code=scode, geom=cp,
                        rate=float(rng.uniform(0.006, 0.03)), secretary=person(rng)))
    return cp


def partition(ids, cent, areas, nbrs, k, rng):
    """Split block ids (a connected set) into k contiguous, area-balanced groups."""
    ids = list(ids)
    if k >= len(ids):
        return [[i] for i in ids]
    centres = _centres(cent[ids], areas[ids], k, rng)
    owner = _grow(ids, _seeds(ids, cent[ids], centres), centres, cent, areas, nbrs)
    groups = [[b for b in ids if owner[b] == j] for j in range(k)]
    return [g for g in groups if g]


def _centres(pts, w, k, rng):
    """k area-weighted centres: a k-means++-like start, then Lloyd iterations."""
    centres = [pts[int(rng.integers(len(pts)))]]
    for _ in range(k - 1):
        d = np.min(np.linalg.norm(pts[:, None] - np.array(centres)[None], axis=2), axis=1)
        centres.append(pts[int(np.argmax(d))])
    centres = np.array(centres)
    for _ in range(15):
        lab = np.argmin(np.linalg.norm(pts[:, None] - centres[None], axis=2), axis=1)
        for j in range(k):
            m = lab == j
            if m.any():
                centres[j] = (pts[m] * w[m, None]).sum(0) / w[m].sum()
    return centres


def _seeds(ids, pts, centres):
    """For each centre, the nearest block not yet taken."""
    seeds = []
    for c in centres:
        order = np.argsort(np.linalg.norm(pts - c, axis=1), kind="stable")
        for o in order:
            if ids[o] not in seeds:
                seeds.append(ids[o])
                break
    return seeds


def _grow(ids, seeds, centres, cent, areas, nbrs):
    """{block: group}: the smallest group takes its neighbour block nearest to its centre, until all are taken."""
    idset = set(ids)
    owner = {s: j for j, s in enumerate(seeds)}
    tot = np.array([areas[s] for s in seeds], float)
    while len(owner) < len(ids):
        progressed = False
        for j in np.argsort(tot, kind="stable"):
            front = sorted({n for b, o in owner.items() if o == j for n in nbrs.get(b, [])
                            if n in idset and n not in owner})
            if not front:
                continue
            d = [np.linalg.norm(cent[f] - centres[j]) for f in front]
            f = front[int(np.argmin(d))]
            owner[f] = int(j)
            tot[j] += areas[f]
            progressed = True
            break
        if not progressed:   # disconnected leftovers: attach to nearest group
            for b in ids:
                if b not in owner:
                    j = int(np.argmin(np.linalg.norm(centres - cent[b], axis=1)))
                    owner[b] = j
    return owner
