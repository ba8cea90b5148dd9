#!/usr/bin/env python3
"""Benchmark scenarios: live recompute against a full recompute of the type; 建议选址 against spopt's MCLP.

On the demo (a database of the tests' cluster holding `flask grid load-demo`; loaded here when empty) and
on a generated city (scripts/gen_city.py; --city-db names it, e.g. one built with --scale 1: 1.1M edges):
  * scenario: scenario.evaluate (one planned 养老服务站 next to the community's least covered home, the
    closures' bounded pass) and the measures before -> after (scenario_measures.compare), server side, warm
    (the same site again: its 2SFCA catchment kept) and fresh (a new site on each call, as a click on the map),
    with the queries each sends; the API's POST /api/v1/scenarios/evaluate through the test client (login,
    scope, checks, evaluate, measures, JSON) beside the floor of a request: a logged-in GET of the saved
    scenarios (login, role, scope, one query);
  * full: the coverage job's recompute of the type (refresh.store_type for the type, rolled back), and the bare engine
    pass on the changed set beside it; the ratio evaluate / full is the speed-up the live path buys;
  * siting (demo only): our greedy MCLP for a community (scenario_suggest.suggest) against spopt's
    MCLP (an exact integer program on the same coverage matrix): covered residents within 1 % and time.
Bounded: each figure under --budget seconds of repeats; --quick runs fewer repeats and skips the city.
The last line printed is one JSON object. Needs `pip install spopt` for the siting part (setup.cfg
extras "bench"); without it that part reports "spopt not installed".
Usage: .venv/bin/python scripts/bench_scenarios.py [--quick] [--city-db bench_scenarios_city] [--k 3]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import event, select, text  # noqa: E402

from grid_app import create_app  # noqa: E402
from grid_app.coverage import scenario_measures, scenario_suggest  # noqa: E402
from grid_app.coverage.graph import snap  # noqa: E402
from grid_app.coverage.prepared import MAX_ACCESS_M, prepared_network  # noqa: E402
from grid_app.coverage import service as coverage_service  # noqa: E402
from grid_app.coverage.measures import measures  # noqa: E402
from grid_app.coverage.refresh import store_type  # noqa: E402
from grid_app.models import FacilityType  # noqa: E402
from grid_app.coverage.scenario import evaluate, today  # noqa: E402
from grid_app.coverage.scenario_input import check_changes  # noqa: E402
from grid_app.coverage.siting import coverage_matrix  # noqa: E402
from grid_app.extensions import db  # noqa: E402
from grid_app.platform import localdb  # noqa: E402

TYPE = "elderly_care"
MINUTES = 10
GOAL_DEMO_S, GOAL_CITY_S = 0.5, 2.0


def app_for(name: str, load: bool):
    """The app on a database of the tests' cluster; the demo is loaded into it when it holds none."""
    url = localdb.for_tests().ensure_database(name)
    # the API is timed through the test client: a form token and a rate limit are not what is measured
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        has = db.session.execute(text("SELECT to_regclass('building') IS NOT NULL")).scalar() and \
            db.session.execute(text("SELECT EXISTS (SELECT 1 FROM building)")).scalar()
    if not has:
        if not load:
            raise SystemExit(f"database {name} is empty: build it with scripts/gen_city.py --db {name}")
        print(f"loading the demo into {name} (a few minutes)", file=sys.stderr)
        res = app.test_cli_runner().invoke(args=["grid", "load-demo"])
        if res.exit_code:
            raise SystemExit(f"load-demo failed: {res.output}")
    return app


def timed(fn, budget_s: float, runs: int):
    """(last result, best seconds, median seconds) of up to `runs` calls within budget_s (at least one)."""
    times, out, start = [], None, time.perf_counter()
    while len(times) < runs and (not times or time.perf_counter() - start < budget_s):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, min(times), float(np.median(times))


class Queries:
    """Statements sent by the app's engine while active (a before_cursor_execute listener)."""

    def __init__(self, engine) -> None:
        self.count, self.on = 0, False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        self.count += self.on

    def of(self, fn) -> int:
        """How many statements one call of fn sends."""
        self.count, self.on = 0, True
        try:
            fn()
        finally:
            self.on = False
        return self.count


def fresh_sites(session, code: str, lon: float, lat: float, n: int) -> list[tuple[float, float]]:
    """n points on paths of the community nearest (lon, lat), one per edge: each a place no call has walked from."""
    return [tuple(r) for r in session.execute(text("""
        SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint(e.geom, 0.5) p FROM network_edge e
          WHERE ST_Intersects(e.geom, (SELECT geom FROM community WHERE code = :c))
          ORDER BY e.geom <-> ST_SetSRID(ST_MakePoint(:x, :y), 4326) LIMIT :n * 3) q
        WHERE ST_Covers((SELECT geom FROM community WHERE code = :c), p) LIMIT :n"""),
        {"c": code, "x": lon, "y": lat, "n": n}).all()]


def bench_api(app, body: dict, runs: int, budget: float, queries: Queries) -> dict:
    """POST /api/v1/scenarios/evaluate end to end through the test client, and the floor of a logged-in request."""
    client = app.test_client()
    res = client.post("/login", data={"username": "demo-planner", "password": app.config["GRID_APP_DEMO_PASSWORD"]})
    if res.status_code != 302:
        return {"skipped": f"login as demo-planner failed ({res.status_code})"}

    def post():
        res = client.post("/api/v1/scenarios/evaluate", json=body)
        assert res.status_code == 200, res.get_data(as_text=True)[:300]
        return res

    def floor():  # login, role, scope and one query: what any scenario request pays
        res = client.get(f"/api/v1/scenarios?community={body['community']}")
        assert res.status_code == 200, res.get_data(as_text=True)[:300]
        return res
    post()
    out, best, med = timed(post, budget, runs)
    _, floor_best, floor_med = timed(floor, budget, runs)
    return {"api_s": round(best, 4), "api_median_s": round(med, 4), "api_queries": queries.of(post),
            "api_bytes": len(out.data), "floor_s": round(floor_best, 4), "floor_median_s": round(floor_med, 4),
            "floor_queries": queries.of(floor)}


def worst_community(session):
    """The community and home least covered for TYPE today (the secretary's obvious question)."""
    row = session.execute(text("""
        SELECT c.code, ST_X(ST_PointOnSurface(b.geom)), ST_Y(ST_PointOnSurface(b.geom))
        FROM building b JOIN community c ON c.id = b.community_id
        JOIN coverage_result r ON r.building_id = b.id
        JOIN facility_type t ON t.id = r.facility_type_id AND t.code = :t
        WHERE b.residents > 0 AND r.status <> 'unsnapped' ORDER BY r.distance_m DESC NULLS FIRST, b.residents DESC LIMIT 1"""), {"t": TYPE}).first()
    return row


def bench_scenario(app, label: str, runs: int, budget: float) -> dict:
    """Evaluate (+ measures) of one planned site against a full pass of the type on the changed set."""
    from grid_app.places.hierarchy import community_by_code
    with app.app_context():
        s, speed = db.session, app.config["WALK_SPEED_M_S"]
        t = time.perf_counter()
        net = prepared_network(s)
        load_s = time.perf_counter() - t
        found = worst_community(s)
        if found is None:
            raise SystemExit(f"{label}: no stored coverage for {TYPE}: run flask grid coverage")
        code, lon, lat = found
        community = community_by_code(s, code)
        # the planned site on the nearest path point inside the community
        site = s.execute(text("""
            SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_ClosestPoint(e.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) p
              FROM network_edge e ORDER BY e.geom <-> ST_SetSRID(ST_MakePoint(:x, :y), 4326) LIMIT 5) q
            WHERE ST_Covers((SELECT geom FROM community WHERE code = :c), p) LIMIT 1"""),
                          {"x": lon, "y": lat, "c": code}).first() or (lon, lat)
        body = {"type": TYPE, "minutes": MINUTES, "add": [{"lon": site[0], "lat": site[1], "name": "规划养老服务站",
                                                          "capacity": 30}]}
        changes = check_changes(s, community, body, speed)
        t = time.perf_counter()
        today(s, net, changes.walk.type_id, speed)
        today_s = time.perf_counter() - t
        queries = Queries(db.engine)
        live = max(runs, 20)  # the live side takes milliseconds: 3 repeats would measure the machine's noise
        ev, ev_best, ev_med = timed(lambda: evaluate(s, community, changes, speed), budget, live)
        t = time.perf_counter()  # the first measures of this scenario: today's side and its catchments walked
        scenario_measures.compare(s, community, changes, speed, app.config["DEMAND_AGE_SHARES"])
        ms_first = time.perf_counter() - t
        ms, ms_best, ms_med = timed(lambda: scenario_measures.compare(s, community, changes, speed,
                                                                     app.config["DEMAND_AGE_SHARES"]), budget, live)
        both, both_best, both_med = timed(lambda: (evaluate(s, community, changes, speed),
                                                   scenario_measures.compare(s, community, changes, speed,
                                                                             app.config["DEMAND_AGE_SHARES"])),
                                          budget, live)
        ages = app.config["DEMAND_AGE_SHARES"]
        n_queries = {"evaluate": queries.of(lambda: evaluate(s, community, changes, speed)),
                     "measures": queries.of(lambda: scenario_measures.compare(s, community, changes, speed, ages))}
        # A new planned site on every call: nothing of it kept (its snap, pass and 2SFCA catchment are walked).
        fresh = [check_changes(s, community, {**body, "add": [{**body["add"][0], "lon": x, "lat": y}]}, speed)
                 for x, y in fresh_sites(s, code, site[0], site[1], live + 1)]
        _, fresh_best, fresh_med = timed(lambda: (evaluate(s, community, fresh[-1], speed),
                                                  scenario_measures.compare(s, community, fresh.pop(), speed, ages)),
                                         budget, min(live, len(fresh)))
        api = bench_api(app, {**body, "community": code}, live, budget, queries)
        fs = scenario_measures.changed_facilities(s, changes)
        limit = changes.walk.threshold_m

        def engine():  # the bare engine: snap every facility, one pass to every home
            return net.prepared.distances(snap(net.graph, fs.lonlat, MAX_ACCESS_M), limit)
        _, engine_best, _ = timed(engine, budget, runs)

        def full():  # the coverage job's recompute of the type (pass to the stored limit, rows written), undone
            try:
                return store_type(s, ftype, speed, coverage_service.stamp(s, speed))
            finally:
                s.rollback()
        ftype = s.scalars(select(FacilityType).where(FacilityType.code == TYPE)).one()
        _, full_best, full_med = timed(full, budget, max(2, runs // 2))

        def today_cold():  # today's measures of the type with nothing kept: what a recompute would also redo
            scenario_measures.clear_today()
            return measures(s, community, speed, app.config["DEMAND_AGE_SHARES"], TYPE, MINUTES)
        _, today_cold_best, _ = timed(today_cold, budget, max(2, runs // 2))
        scenario_measures.compare(s, community, changes, speed, app.config["DEMAND_AGE_SHARES"])  # warm again
        full_all = full_best + today_cold_best
        return {"label": label, "nodes": int(net.graph.n_nodes), "edges": int(net.graph.network.n_edges),
                "homes": int(len(net.homes.building_id)), "facilities": int(len(fs.ids)), "community": code,
                "network_load_s": round(load_s, 2), "today_pass_s": round(today_s, 3),
                "residents_gained": ev["residents_gained"],
                "checklist": ms["checklist"], "equity": {"today": ms["equity_today"], "scenario": ms["equity"]},
                "fca_score": [ms["fca_score_today"], ms["fca_score"]],
                "evaluate_s": round(ev_best, 4), "evaluate_median_s": round(ev_med, 4),
                "measures_first_s": round(ms_first, 4), "measures_s": round(ms_best, 4), "measures_median_s": round(ms_med, 4),
                "evaluate_with_measures_s": round(both_best, 4), "evaluate_with_measures_median_s": round(both_med, 4),
                "fresh_site_evaluate_with_measures_s": round(fresh_best, 4),
                "fresh_site_evaluate_with_measures_median_s": round(fresh_med, 4), "queries": n_queries, **api,
                "engine_pass_s": round(engine_best, 4), "full_recompute_s": round(full_best, 4), "full_recompute_median_s": round(full_med, 4),
                "today_measures_cold_s": round(today_cold_best, 4), "full_with_measures_s": round(full_all, 4),
                "speedup_evaluate_vs_full": round(full_best / ev_best, 1) if ev_best else None,
                "speedup_with_measures_vs_full": round(full_best / both_best, 1) if both_best else None,
                "speedup_with_measures_vs_full_with_measures": round(full_all / both_best, 1) if both_best else None,
                "speedup_fresh_site_vs_full": round(full_best / fresh_best, 1) if fresh_best else None,
                **({"speedup_api_vs_full": round(full_best / api["api_s"], 1),
                    "speedup_floor_vs_full": round(full_best / api["floor_s"], 1)} if "api_s" in api else {})}


def bench_siting(app, k: int, budget: float, time_limit: float) -> dict:
    """Our greedy MCLP for a community against spopt's MCLP on the same coverage matrix."""
    try:
        from spopt.locate import MCLP
    except ImportError:
        return {"skipped": "spopt not installed (pip install spopt)"}
    import pulp
    from grid_app.places.hierarchy import community_by_code
    with app.app_context():
        s, speed = db.session, app.config["WALK_SPEED_M_S"]
        code = worst_community(s)[0]
        community = community_by_code(s, code)
        changes = check_changes(s, community, {"type": TYPE, "minutes": MINUTES}, speed)
        ours, ours_s, _ = timed(lambda: scenario_suggest.suggest(s, community, changes, k, "network", None, speed),
                                budget, 3)
        # spopt on the same instance: the community's nodes as candidates, its uncovered homes as demand.
        net = prepared_network(s)
        import shapely
        from shapely import wkb
        geom = wkb.loads(bytes(s.scalar(text("SELECT ST_AsBinary(geom) FROM community WHERE id = :c"),
                                        {"c": community.id})))
        nodes = np.column_stack([net.graph.network.lon, net.graph.network.lat])
        nodes = nodes[shapely.intersects_xy(geom, nodes[:, 0], nodes[:, 1])]
        ids = np.array(s.scalars(text("SELECT id FROM building WHERE community_id = :c AND residents > 0 ORDER BY id"),
                                 {"c": community.id}).all(), dtype=np.int64)
        held = np.flatnonzero(np.isin(net.homes.building_id, ids))
        now = today(s, net, changes.walk.type_id, speed)
        threshold = changes.walk.threshold_m
        uncovered = now.distances[held] > threshold
        t = time.perf_counter()
        cover = coverage_matrix(net.graph, snap(net.graph, nodes, MAX_ACCESS_M), net.homes.snaps.subset(held),
                                threshold)
        matrix_s = time.perf_counter() - t
        weights = net.homes.residents[held] * uncovered
        # spopt wants demand x facility, covered = 1; homes already covered weigh nothing.
        cov = cover.T.toarray().astype(int)
        t = time.perf_counter()
        model = MCLP.from_cost_matrix(np.where(cov > 0, 0.0, 1.0), weights, service_radius=0.5, p_facilities=k,
                                      name="mclp")
        model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
        spopt_s = time.perf_counter() - t
        chosen = [j for j, var in enumerate(model.fac_vars) if var.value() and var.value() > 0.5]
        covered = np.zeros(len(weights), bool)
        for j in chosen:
            covered |= cov[:, j] > 0
        best = float(weights[covered].sum())
        ours_added = float(sum(x["residents_added"] for x in ours["suggested"]))
        return {"community": code, "k": k, "candidates": int(len(nodes)), "homes": int(len(held)),
                "ours_residents_added": ours_added, "spopt_residents_added": best,
                "ours_over_spopt": round(ours_added / best, 5) if best else 1.0,
                "within_1pct": (ours_added >= 0.99 * best) if best else True,
                "ours_s": round(ours_s, 4), "spopt_solve_s": round(spopt_s, 4),
                "spopt_with_matrix_s": round(spopt_s + matrix_s, 4),
                "speedup": round((spopt_s + matrix_s) / ours_s, 1) if ours_s else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo-db", default="bench_scenarios_demo", help="tests' cluster database with the demo")
    ap.add_argument("--city-db", default="bench_scenarios_city", help="tests' cluster database from gen_city.py")
    ap.add_argument("--no-city", action="store_true")
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--budget", type=float, default=20.0, help="seconds of repeats per figure")
    ap.add_argument("--quick", action="store_true", help="3 runs, no city")
    args = ap.parse_args()
    runs = 3 if args.quick else args.runs
    out = {"bench": "scenarios", "type": TYPE, "minutes": MINUTES, "goals_s": {"demo": GOAL_DEMO_S, "city": GOAL_CITY_S}}
    demo = app_for(args.demo_db, load=True)
    out["demo"] = bench_scenario(demo, "demo", runs, args.budget)
    out["siting"] = bench_siting(demo, args.k, args.budget, 60.0)
    if not (args.quick or args.no_city):
        city = app_for(args.city_db, load=False)
        out["city"] = bench_scenario(city, "city", runs, args.budget)
    for key in ("demo", "city"):
        if key in out:
            r = out[key]
            print(f"{key:>5}: {r['edges']:,} edges, {r['homes']:,} homes; evaluate {r['evaluate_s']} s, + measures "
                  f"{r['evaluate_with_measures_s']} s (first measures {r['measures_first_s']} s), full recompute "
                  f"{r['full_recompute_s']} s (x{r['speedup_evaluate_vs_full']}, with measures "
                  f"x{r['speedup_with_measures_vs_full']}); full recompute + today's measures with nothing kept "
                  f"{r['full_with_measures_s']} s (x{r['speedup_with_measures_vs_full_with_measures']}); a new site each "
                  f"call {r['fresh_site_evaluate_with_measures_s']} s (x{r['speedup_fresh_site_vs_full']}); queries "
                  f"{r['queries']}")
            if "api_s" in r:
                print(f"{key:>5}: API POST /scenarios/evaluate {r['api_s']} s, {r['api_queries']} queries, "
                      f"{r['api_bytes']:,} bytes (x{r['speedup_api_vs_full']} vs full recompute); floor (logged-in "
                      f"GET: the session's user and one query) {r['floor_s']} s (x{r['speedup_floor_vs_full']}: no "
                      "request can do better)")
    print("scenario side: evaluate (the changed set's coverage) + measures before -> after (today's side kept per data "
          "version, the scenario's checklist rows, 2SFCA and equity); full side: the coverage job's store of the type "
          "(one pass to the stored limit, rows written, rolled back), without or with today's measures computed "
          "with no catchment, home or demand kept")
    print(f"siting: {out['siting']}")
    out["goals_met"] = {"demo": out["demo"]["evaluate_with_measures_s"] < GOAL_DEMO_S,
                        **({"city": out["city"]["evaluate_with_measures_s"] < GOAL_CITY_S} if "city" in out else {})}
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
