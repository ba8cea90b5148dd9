"""Benchmark: every page and API that grows with the data, on the demo and on the city, in one run.

The demo is the demo district alone (one tile of grid_app/demo_data/city: its streets, grids, buildings
and network, with cases at the city's density, 5 years); the city is scripts/gen_city.py's database.
The same requests, built the same way from each database, run through Flask's test client on an app
built on each: p50/p95 per figure on both sizes and the growth city ÷ demo. Exports run in a
subprocess that reports its peak Python memory (tracemalloc) and max RSS; intake runs through gunicorn
with scripts/bench_intake.py's load generator. Every SQL statement has a timeout, every figure a time
budget; the last line is one JSON object.

    .venv/bin/python scripts/bench_scale.py [--quick] [--city-db grid_city] [--demo-db grid_bench_demo]
        [--reps 30] [--budget 30] [--no-intake] [--only NAME,...]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from datetime import timedelta

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from sqlalchemy import text  # noqa: E402

STATEMENT_TIMEOUT_MS = 60_000
TOKEN_ROLES = ("admin", "street", "secretary", "worker")


def make_app(url: str):
    """The app on one database, with a statement timeout on every connection."""
    from grid_app import create_app
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-scale", "RATELIMIT_ENABLED": False,
                       "WTF_CSRF_ENABLED": False, "UPLOAD_DIR": f"/tmp/grid_bench_scale_{os.getpid()}",
                       "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": {
                           "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c jit=off"}}})  # as the app


def ensure_demo(name: str, rebuild: bool) -> str:
    """The baseline database: the demo district as one tile with cases at the city's density."""
    from grid_app.demo_data.city import build_city
    from grid_app.platform import localdb
    cluster = localdb.for_tests()
    url = cluster.ensure_database(name, fresh=rebuild)
    built = cluster.psql("SELECT to_regclass('street') IS NOT NULL", name).strip() == "t" and \
        cluster.psql("SELECT count(*) > 0 FROM street", name).strip() == "t"
    if not built:
        print(f"building the baseline {name} (the demo district, one tile) ...", flush=True)
        build_city(url, 1.0, tiles_=1, verbose=False)
    return url


def context(app) -> dict:
    """Tokens of the demo logins and what the requests need, read from this database."""
    from grid_app.access.accounts import issue_token
    from grid_app.extensions import db
    from grid_app.models import User
    with app.app_context():
        s = db.session
        tokens = {}
        for role in TOKEN_ROLES:
            user = s.scalar(db.select(User).where(User.username == f"demo-{role}"))
            tokens[role] = issue_token(s, user, "bench-scale")[0]
        s.commit()
        sec = s.scalar(db.select(User).where(User.username == "demo-secretary"))
        community = s.execute(text("SELECT code, street_code FROM community WHERE id = :i"),
                              {"i": sec.community_id}).one()
        cases = s.execute(text("SELECT id FROM case_record WHERE community_id = :i ORDER BY random() LIMIT 200"),
                          {"i": sec.community_id}).scalars().all()
        points = np.array(s.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM building "
            "ORDER BY random() LIMIT 2000) b")).all())
        worker = s.scalar(db.select(User).where(User.username == "demo-worker"))
        intake_points = s.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT (ST_Dump(ST_GeneratePoints(ST_Union(g.geom), 500, 7))).geom p "
            "FROM grid g JOIN user_grid ug ON ug.grid_id = g.id WHERE ug.user_id = :u) s"), {"u": worker.id}).all()
        types = s.execute(text("SELECT code FROM facility_type ORDER BY code")).scalars().all()
        counts = {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("building", "grid", "community", "network_edge", "case_record", "case_event")}
    return {"tokens": tokens, "community": community[0], "street": community[1], "cases": cases,
            "points": points, "intake_points": [list(p) for p in intake_points], "types": types,
            "counts": counts}


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The slippy-map tile holding a point."""
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - np.log(np.tan(np.radians(lat)) + 1 / np.cos(np.radians(lat))) / np.pi) / 2 * n)
    return x, y


def requests_for(ctx: dict, rng: np.random.Generator, now) -> dict:
    """name -> function returning (role, method, path, json body) for one request; same recipe on both sizes."""
    com, street, types = ctx["community"], ctx["street"], ctx["types"]
    day = lambda d: (now - timedelta(days=d)).date().isoformat()  # noqa: E731

    def pick(seq):
        return seq[int(rng.integers(len(seq)))]

    def case_filters():
        f = pick(["state=handling", "category=0101", "overdue=true", f"since={day(90)}", "level=community",
                  "state=handling,reported&order=deadline"])
        return ("secretary", "GET", f"/api/v1/cases?{f}&limit=50&offset={50 * int(rng.integers(0, 10))}", None)

    def tile():
        lon, lat = ctx["points"][int(rng.integers(len(ctx["points"])))]
        z = int(rng.integers(12, 18))
        x, y = tile_xy(lon, lat, z)
        layer = pick(["buildings", f"coverage?type={pick(types)}"])
        path, _, q = layer.partition("?")
        return ("admin", "GET", f"/tiles/{path}/{z}/{x}/{y}.pbf" + (f"?{q}" if q else ""), None)

    def locate():
        pts = ctx["points"][rng.integers(len(ctx["points"]), size=1000)]
        return ("worker", "POST", "/api/v1/locate", {"points": pts.round(7).tolist()})

    return {
        "case_list_worker": lambda: ("worker", "GET", "/api/v1/cases?limit=50", None),
        "case_list_filtered": case_filters,
        "case_list_street_overdue": lambda: ("street", "GET", "/api/v1/cases?overdue=true&limit=50", None),
        "case_list_admin": lambda: ("admin", "GET", f"/api/v1/cases?limit=50&offset={50 * int(rng.integers(0, 20))}",
                                    None),
        "case_list_page": lambda: ("secretary", "GET", f"/cases?page={int(rng.integers(1, 5))}", None),
        "case_page": lambda: ("secretary", "GET", f"/cases/{pick(ctx['cases'])}", None),
        "community_dashboard": lambda: ("secretary", "GET", f"/communities/{com}/dashboard", None),
        "street_compare": lambda: ("street", "GET", f"/streets/{street}/compare", None),
        "indicators_quarter": lambda: ("street", "GET", f"/api/v1/indicators?group=street&since={day(91)}", None),
        "indicators_year": lambda: ("street", "GET", f"/api/v1/indicators?group=street&since={day(365)}", None),
        "heat_map": lambda: ("secretary", "GET", f"/communities/{com}/heatmap", None),
        "vector_tile": tile,
        "batch_locate_1000": locate,
        "coverage_type": lambda: ("secretary", "GET", f"/api/v1/coverage?community={com}&type={pick(types)}", None),
        "isochrones": lambda: ("secretary", "GET", f"/api/v1/isochrones?community={com}&type={pick(types)}", None),
    }


def measure(app, ctx: dict, names: list[str], reps: int, budget: float, seed: int) -> dict:
    """Latencies (ms) per request name: a warm-up, then `reps` requests or `budget` seconds (at least one)."""
    from grid_app.cases import clock
    rng = np.random.default_rng(seed)
    recipes = requests_for(ctx, rng, clock.now())
    client = app.test_client()
    out = {}
    for name in names:
        lat, errors, first = [], {}, None
        stop_at = None
        for i in range(reps + 1):
            role, method, path, body = recipes[name]()
            headers = {"Authorization": f"Bearer {ctx['tokens'][role]}"}
            t = time.perf_counter()
            res = client.open(path, method=method, json=body, headers=headers)
            res.get_data()
            took = (time.perf_counter() - t) * 1000
            if res.status_code != 200:
                errors[res.status_code] = errors.get(res.status_code, 0) + 1
            if i == 0:  # the first one warms caches (locate index, network, plans): reported apart
                first, stop_at = round(took, 1), time.time() + budget
                continue
            lat.append(took)
            if time.time() > stop_at:
                break
        out[name] = {"n": len(lat), "p50": _pct(lat, 50), "p95": _pct(lat, 95), "first": first, "errors": errors}
        print(f"    {name:<26} n={len(lat):<3} p50={out[name]['p50']!s:>8} ms  p95={out[name]['p95']!s:>8} ms"
              f"  (first {first} ms)" + (f"  errors {errors}" if errors else ""), flush=True)
    return out


def _pct(values, q):
    return round(float(np.percentile(values, q)), 1) if values else None


def export_child(url: str, token: str, days: int, queue) -> None:
    """In a fresh process: stream the cases of the last `days` as CSV; report bytes, seconds and peak memory."""
    import tracemalloc
    from grid_app.cases import clock
    app = make_app(url)
    since = (clock.now() - timedelta(days=days)).date().isoformat()
    hwm0 = _vm_hwm_mb()
    tracemalloc.start()
    t = time.perf_counter()
    with app.test_client() as client:
        res = client.get(f"/api/v1/exports/cases.csv?since={since}", headers={"Authorization": f"Bearer {token}"},
                         buffered=False)
        size = sum(len(chunk) for chunk in res.response)
        res.close()
    took = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    queue.put({"status": res.status_code, "bytes": size, "seconds": round(took, 2),
               "peak_py_mb": round(peak / 2**20, 1),
               "peak_rss_mb": _vm_hwm_mb(), "peak_rss_growth_mb": round(_vm_hwm_mb() - hwm0, 1)})


def _vm_hwm_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would carry the parent's over exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def export_memory(url: str, token: str, days: int, timeout: float) -> dict:
    """export_child in a spawned process, bounded by `timeout`."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=export_child, args=(url, token, days, queue))
    proc.start()
    try:
        return queue.get(timeout=timeout)
    except Exception as exc:  # noqa: BLE001  (queue.Empty on timeout; a crash in the child alike)
        return {"error": f"{type(exc).__name__}: no result within {timeout:.0f} s"}
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()


def intake(url: str, ctx: dict, seconds: float) -> dict:
    """Cases/s, p50, p99 through gunicorn (2 workers), with bench_intake's server and load generator."""
    try:
        import bench_intake
    except ImportError as exc:
        return {"error": f"scripts/bench_intake.py not importable: {exc}"}
    uploads = f"/tmp/grid_bench_scale_{os.getpid()}"
    os.makedirs(uploads, exist_ok=True)
    port = bench_intake.bench_cases.free_port()
    server = bench_intake.start(ROOT, url, port, 2, 1, uploads)
    try:
        reporters = [(ctx["tokens"]["worker"], ctx["intake_points"], bench_intake.bench_cases.ONE_CATEGORY)]
        bench_intake.phase(port, bench_intake.OURS, reporters, 8, 2, 2.0)
        got, took = bench_intake.phase(port, bench_intake.OURS, reporters,
                                       8, 2, seconds)
        return bench_intake.figures(got, took)
    finally:
        import signal
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)


def main() -> None:
    """Prepare both databases, measure, print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city-db", default="grid_city")
    ap.add_argument("--demo-db", default="grid_bench_demo")
    ap.add_argument("--rebuild-demo", action="store_true")
    ap.add_argument("--quick", action="store_true", help="8 requests per figure, 10 s budget, 4 s intake, no year export")
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--budget", type=float, default=30.0, help="seconds per figure at most")
    ap.add_argument("--intake-seconds", type=float, default=10.0)
    ap.add_argument("--no-intake", action="store_true")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--only", help="comma-separated figure names")
    args = ap.parse_args()
    if args.quick:
        args.reps, args.budget, args.intake_seconds = 8, 10.0, 4.0
    from grid_app.platform import localdb
    cluster = localdb.for_tests()
    if not cluster.psql(f"SELECT 1 FROM pg_database WHERE datname = '{args.city_db}'").strip():
        raise SystemExit(f"no database {args.city_db}: run scripts/gen_city.py first")
    urls = {"demo": ensure_demo(args.demo_db, args.rebuild_demo), "city": cluster.url(args.city_db)}
    names = list(requests_for({"community": "", "street": "", "types": [""], "points": np.zeros((1, 2)),
                               "cases": [0]}, np.random.default_rng(0), __import__("datetime").datetime.now()))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    results: dict[str, dict] = {}
    sizes = {}
    for size, url in urls.items():
        print(f"== {size} ({url.rsplit('/', 1)[-1].split('?')[0]})", flush=True)
        app = make_app(url)
        ctx = context(app)
        sizes[size] = ctx["counts"]
        print("   " + ", ".join(f"{k} {v:,}" for k, v in ctx["counts"].items()), flush=True)
        results[size] = measure(app, ctx, names, args.reps, args.budget, seed=1)
        if not args.no_export:
            periods = ((31, "export_month"),) if args.quick else ((31, "export_month"), (365, "export_year"))
            for days, label in periods:  # as admin: the whole city's cases of the period
                results[size][label] = export_memory(url, ctx["tokens"]["admin"], days, timeout=120 + 2 * days)
                print(f"    {label:<26} {results[size][label]}", flush=True)
        if not args.no_intake:
            results[size]["intake"] = intake(url, ctx, args.intake_seconds)
            print(f"    {'intake':<26} {results[size]['intake']}", flush=True)
        with app.app_context():
            from grid_app.extensions import db
            db.engine.dispose()
    summary = report(results, sizes)
    print(json.dumps(summary, ensure_ascii=False))


def report(results: dict, sizes: dict) -> dict:
    """Print demo / city / ratio per figure; return the JSON summary."""
    print(f"\n{'figure':<26} {'demo p50/p95 ms':>20} {'city p50/p95 ms':>20} {'p95 ×':>7}   first request ms")
    summary = {"sizes": sizes, "figures": {}}
    for name, demo in results["demo"].items():
        city = results["city"].get(name, {})
        if "p95" in demo:
            ratio = round(city["p95"] / demo["p95"], 2) if demo.get("p95") and city.get("p95") else None
            flag = " !" if (ratio and ratio > 3) or (city.get("p95") or 0) > 1000 else ""
            print(f"{name:<26} {demo['p50']!s:>9}/{demo['p95']!s:<10} {city.get('p50')!s:>9}/{city.get('p95')!s:<10}"
                  f" {ratio!s:>7}{flag:<2}  {demo.get('first')} / {city.get('first')}")
            summary["figures"][name] = {"demo": demo, "city": city, "p95_ratio": ratio}
        else:
            print(f"{name:<26} demo {demo}\n{'':<26} city {city}")
            summary["figures"][name] = {"demo": demo, "city": city}
    return summary


if __name__ == "__main__":
    main()
