#!/usr/bin/env python3
"""Benchmark our 2SFCA against PySAL `access` (two_stage_fca) on the same data, side by side.

The demo district (scale 1, or --scale) is loaded into a fresh database (bench_measures_<scale>) of the
app's cluster. For each type, every facility gets a seeded capacity (in memory; nothing is written), the
demand is the type's group per home (demand.home_demand, the app's DEMAND_AGE_SHARES), the catchment the
type's circle minutes (or --minutes) at WALK_SPEED_M_S. Both sides start from the same numpy arrays
(facility points and capacities, demand per home) and end with a score per home:
  * ours (the app's common path, measures.fca_scores): snap the facilities, their catchments from the
    per-network-version store (walked once when the network is loaded or a site is new), the two steps;
  * ours cold: the same with the store emptied before each run, so every catchment is walked
    (fca.local_pairs: every facility's bounded pass at once, or a bounded pass and the subgraph);
  * access: its DataFrames built from the arrays and two_stage_fca on a cost table of the same
    (facility, home, metres) pairs. access cannot walk a network: its pairs are ours, and their time is
    not counted on its side (in its favour); "x cold" adds it, to compare with ours cold.
The old per-facility whole-graph passes (fca.catchment_pairs) are timed beside and must give the same pairs.
A facility with no demand in reach makes `access` divide by zero (inf), ours gives it ratio 0: such
homes are counted apart, and a home in no catchment is NaN there, 0 here (compared as 0).
Scores must agree within 1e-6. Each time is the best of --runs. The last line printed is one JSON object.

Needs `pip install access` (setup.cfg extras "bench"); the app and its tests never do.
Usage: .venv/bin/python scripts/bench_measures.py [--scale 1] [--types kindergarten,elderly_care,market]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask_migrate import upgrade  # noqa: E402

from grid_app import create_app  # noqa: E402
from grid_app.coverage import service as cs  # noqa: E402
from grid_app.coverage.demand import demand_group, home_demand  # noqa: E402
from grid_app.coverage import measures  # noqa: E402
from grid_app.coverage.fca import catchment_pairs, local_pairs, two_step  # noqa: E402
from grid_app.coverage.graph import snap  # noqa: E402
from grid_app.coverage.measures import stored_facilities  # noqa: E402
from grid_app.coverage.prepared import MAX_ACCESS_M, prepared_network  # noqa: E402
from grid_app.demo_data import generate, write  # noqa: E402
from grid_app.extensions import db  # noqa: E402
from grid_app.network.store import read_network_file, replace_network  # noqa: E402
from grid_app.places.importer import import_files  # noqa: E402
from grid_app.platform import localdb  # noqa: E402
from grid_app.platform.reference import seed_reference_data  # noqa: E402

LAYERS = ("streets", "communities", "grids", "residential_areas", "buildings", "facilities")
TOLERANCE = 1e-6


def load(scale: float):
    """A fresh database with the generated district at this scale."""
    layers = generate(seed=7, scale=scale)
    folder = tempfile.mkdtemp(prefix=f"bench-measures-{scale:g}-")
    write(folder, layers)
    app = create_app({"DATABASE_URL": localdb.ensure_database(f"bench_measures_{str(scale).replace('.', '_')}",
                                                              fresh=True),
                      "SECRET_KEY": "bench", "UPLOAD_DIR": os.path.join(folder, "uploads")})
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        import_files(db.session, [os.path.join(folder, f"{n}.geojson") for n in LAYERS if n in layers], progress=False)
        network = next(n for n in ("network", "walk_network", "paths") if n in layers)
        replace_network(db.session, read_network_file(os.path.join(folder, f"{network}.geojson")), progress=False)
        db.session.commit()
    return app


def best_of(fn, runs: int):
    """(result, fastest seconds) of `runs` calls."""
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, min(times)


def bench_type(session, type_code: str, minutes, speed: float, shares: dict, runs: int, rng) -> dict:
    """Ours and access's 2SFCA for one type on the same pairs."""
    import pandas as pd
    from access import Access

    w = cs.walk(session, type_code, minutes, speed)
    net = prepared_network(session)
    fs = stored_facilities(session, type_code)
    capacity = rng.integers(30, 150, len(fs.ids)).astype(float)  # seeded places/beds, never written
    snaps = snap(net.graph, fs.lonlat, MAX_ACCESS_M)
    demand, _ = home_demand(session, type_code, demand_group(session, w.type_id), net.homes.building_id,
                            net.homes.residents, shares)
    catchment = w.threshold_m

    def ours():  # the app's common path: catchments from the per-network-version store
        return measures.fca_scores(session, net, fs.lonlat, capacity, demand, catchment)

    def ours_cold():  # every catchment walked
        measures.clear_catchments()
        return ours()

    (score, _ratio), t_cold = best_of(ours_cold, runs)
    (score_warm, _r), t_ours = best_of(ours, runs)
    pairs = local_pairs(net.prepared, snaps, catchment)
    _, t_pairs = best_of(lambda: local_pairs(net.prepared, snaps, catchment), runs)
    old, t_old = best_of(lambda: catchment_pairs(net.prepared, snaps, catchment), runs)
    same_pairs = all(np.array_equal(getattr(old, k), getattr(pairs, k))
                     for k in ("facility", "home", "distance_m")) and np.array_equal(score, score_warm)
    (_s, _r), t_steps = best_of(lambda: two_step(pairs, capacity, demand), runs)

    def frames():
        return (pd.DataFrame({"demand": demand}, index=pd.Index(np.arange(len(demand)), name="geoid")),
                pd.DataFrame({"supply": capacity}, index=pd.Index(np.arange(len(capacity)), name="geoid")),
                pd.DataFrame({"origin": pairs.home, "dest": pairs.facility, "cost": pairs.distance_m}))
    demand_df, supply_df, cost_df = frames()

    def given_frames():
        acc = Access(demand_df=demand_df, demand_value="demand", supply_df=supply_df, supply_value="supply",
                     cost_df=cost_df, cost_origin="origin", cost_dest="dest", cost_name="cost")
        return acc.two_stage_fca(name="2sfca", max_cost=catchment)

    def theirs():
        d_df, s_df, c_df = frames()
        acc = Access(demand_df=d_df, demand_value="demand", supply_df=s_df, supply_value="supply",
                     cost_df=c_df, cost_origin="origin", cost_dest="dest", cost_name="cost")
        return acc.two_stage_fca(name="2sfca", max_cost=catchment)

    _, t_given = best_of(given_frames, runs)
    result, t_access = best_of(theirs, runs)
    series = result.iloc[:, 0] if hasattr(result, "iloc") and getattr(result, "ndim", 1) == 2 else result
    theirs_score = np.zeros(len(demand))
    theirs_score[series.index.to_numpy(dtype=np.int64)] = series.to_numpy(dtype=np.float64)
    # access leaves a home in no catchment NaN where ours says 0; inf where a facility had no demand in reach
    finite = np.isfinite(theirs_score)
    unreached = np.isnan(theirs_score)
    diff = float(np.max(np.abs(theirs_score[finite] - score[finite]))) if finite.any() else 0.0
    diff = max(diff, float(np.max(np.abs(score[unreached]))) if unreached.any() else 0.0)
    return {"type": type_code, "minutes": w.minutes, "catchment_m": round(catchment, 1), "homes": int(len(demand)),
            "facilities": int(len(capacity)), "pairs": int(len(pairs.home)),
            "homes_unreached": int(unreached.sum()),
            "homes_inf_in_access": int(np.isinf(theirs_score).sum()), "max_abs_diff": diff, "equal": diff <= TOLERANCE,
            "same_pairs_as_per_facility": same_pairs, "per_facility_pairs_s": round(t_old, 5),
            "ours_s": round(t_ours, 5), "ours_cold_s": round(t_cold, 5), "pairs_s": round(t_pairs, 5),
            "ours_two_steps_s": round(t_steps, 6), "access_s": round(t_access, 5),
            "access_given_frames_s": round(t_given, 5),
            "speedup_two_steps": round(t_given / t_steps, 1) if t_steps else None,
            "speedup": round(t_access / t_ours, 1) if t_ours else None,
            "speedup_cold": round((t_access + t_pairs) / t_cold, 1) if t_cold else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--types", default="kindergarten,elderly_care,market")
    parser.add_argument("--minutes", type=float, default=None, help="catchment minutes (default each type's circle)")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    app = load(args.scale)
    rng = np.random.default_rng(18)
    rows = []
    with app.app_context():
        prepared_network(db.session)  # built once, as in the app
        for code in args.types.split(","):
            rows.append(bench_type(db.session, code, args.minutes, app.config["WALK_SPEED_M_S"],
                                   app.config["DEMAND_AGE_SHARES"], args.runs, rng))
    print("ours: snap + kept catchments + two steps (the app's path); cold: every catchment walked; access: its "
          "DataFrames + two_stage_fca on our pairs (their walk not counted); x cold: (access + our pairs) / ours cold")
    print(f"{'type':<16}{'homes':>7}{'fac':>5}{'pairs':>8}{'max|diff|':>11}{'ours s':>10}{'cold s':>10}"
          f"{'access s':>10}{'x':>8}{'x cold':>8}{'x 2 steps':>11}")
    for r in rows:
        print(f"{r['type']:<16}{r['homes']:>7}{r['facilities']:>5}{r['pairs']:>8}{r['max_abs_diff']:>11.2e}"
              f"{r['ours_s']:>10}{r['ours_cold_s']:>10}{r['access_s']:>10}{r['speedup']:>8}{r['speedup_cold']:>8}"
              f"{r['speedup_two_steps']:>11}")
    print(json.dumps({"bench": "measures_2sfca", "scale": args.scale, "tolerance": TOLERANCE,
                      "all_equal": all(r["equal"] and r["same_pairs_as_per_facility"] for r in rows),
                      "types": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
