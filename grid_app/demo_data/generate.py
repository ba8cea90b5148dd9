"""The generator's pipeline: one random sequence drawn through every step in a fixed order."""
from __future__ import annotations

import sys
import time

import numpy as np

from grid_app.demo_data.areas import block_kinds, lay_out_areas
from grid_app.demo_data.buildings import area_buildings, street_buildings
from grid_app.demo_data.facilities import place_facilities
from grid_app.demo_data.hierarchy import build_hierarchy
from grid_app.demo_data.network import walking_network
from grid_app.demo_data.party import party_organisations
from grid_app.demo_data.streets import build_blocks
from grid_app.demo_data.writer import assemble


def generate(seed: int = 7, scale: float = 1.0, verbose: bool = False) -> dict[str, dict]:
    """Generate all layers; returns {layer name: GeoJSON FeatureCollection dict}."""
    log = _logger(verbose)
    # The order of the steps is the order of the draws: moving one changes every file.
    rng = np.random.default_rng(seed)
    blocks = build_blocks(rng, scale)
    log(f"{len(blocks.segs)} road segments, {len(blocks.geoms)} blocks")
    h = build_hierarchy(blocks, scale, rng)
    log(f"{len(h.streets)} streets, {len(h.comms)} communities, {len(h.grids)} grids")
    kinds = block_kinds(blocks, rng)
    log(f"block kinds: {dict(zip(*np.unique(kinds.astype(str), return_counts=True)))}")
    areas = lay_out_areas(blocks, kinds, h, rng)
    log(f"{len(areas.res_areas)} residential areas")
    buildings = area_buildings(areas.res_areas, rng)
    n_res_b = len(buildings)
    buildings += street_buildings(blocks, kinds, areas, h, n_res_b, rng)
    log(f"{len(buildings)} buildings ({len(buildings) - n_res_b} outside residential areas)")
    party_organisations(h.comms, areas.res_areas, buildings, rng, log)
    out_edges = walking_network(areas.net_lines, areas.over_pts, log)
    fac = place_facilities(blocks, kinds, h, areas, buildings, scale, rng)
    log(f"{len(fac)} facilities")
    layers = assemble(h, areas.res_areas, buildings, fac, out_edges)
    log("assembled")
    return layers


def _logger(verbose):
    """A function printing a message with the seconds since the start to stderr, or doing nothing."""
    t0 = time.time()

    def log(msg):
        if verbose:
            print(f"[{time.time() - t0:6.1f}s] {msg}", file=sys.stderr)
    return log
