"""Benchmark: case intake through the real WSGI server (gunicorn) under concurrent load.

Loads the demo district into a scratch database, starts gunicorn (2 workers) on loopback, and
drives POST /api/v1/cases with bearer tokens from a load generator in separate processes
(concurrency 32 for 30 s by default; each request a new case with its own idempotency key).
Prints cases/s, p50/p99 latency and errors; the last line is one JSON object.

    .venv/bin/python scripts/bench_cases.py [--duration 30] [--concurrency 32] [--workers 2]
"""
from __future__ import annotations

import argparse
import bisect
import http.client
import itertools
import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(db_name: str) -> tuple[str, np.ndarray, str]:
    """Scratch database with the demo district; returns its URL, sample points and a token."""
    from flask_migrate import upgrade
    from grid_app import create_app
    from grid_app.platform import localdb
    from grid_app.access.accounts import issue_token
    from grid_app.coverage.refresh import refresh
    from grid_app.demo_data.load import load_demo_data
    from grid_app.extensions import db
    from grid_app.models import User
    url = localdb.ensure_database(db_name, fresh=True)
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        upgrade()
        load_demo_data(db.session, os.path.join(ROOT, "geodata", "demo"), app.config)
        worker = db.session.scalar(db.select(User).where(User.username == "demo-worker"))
        token, _ = issue_token(db.session, worker, "bench")
        db.session.commit()
        refresh(db.session, app.config["WALK_SPEED_M_S"])  # coverage is computed after the data, as load-demo does
        # Points inside the worker's grids, where a worker would log cases.
        rows = db.session.execute(db.text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT (ST_Dump(ST_GeneratePoints(ST_Union(g.geom), 2000, 7))).geom p "
            "FROM grid g JOIN user_grid ug ON ug.grid_id = g.id WHERE ug.user_id = :u) s"), {"u": worker.id}).all()
    return url, np.array(rows), token


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    """gunicorn serving the app factory on loopback."""
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench", GRID_APP_INSTANCE=os.path.join(ROOT, "instance"))
    cmd = [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-w", str(workers), "-b",
           f"127.0.0.1:{port}", "--log-level", "warning", "grid_app:create_app()"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/categories")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def district_reporters(url: str, per_grid: int = 300) -> list[tuple[str, list, tuple]]:
    """Every grid worker of the demo district with a token, points in their grid and the categories as logged in practice.

    A district's intake comes from all its workers at once, in all its grids, of every kind
    (demo_data.history.CATEGORY_MIX): load from one worker's grids with one category piles up
    possible duplicates no district sees.
    """
    from grid_app import create_app
    from grid_app.access.accounts import issue_token
    from grid_app.demo_data.history import CATEGORY_MIX
    from grid_app.extensions import db
    from grid_app.models import User
    categories = (tuple(CATEGORY_MIX), tuple(itertools.accumulate(w for w, _ in CATEGORY_MIX.values())))
    app = create_app({"DATABASE_URL": url})
    out = []
    with app.app_context():
        workers = db.session.scalars(db.select(User).where(User.role == "worker", User.active).order_by(User.id)).all()
        for worker in workers:
            rows = db.session.execute(db.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT (ST_Dump(ST_GeneratePoints(ST_Union(g.geom), :n, 7))).geom p "
                "FROM grid g JOIN user_grid ug ON ug.grid_id = g.id WHERE ug.user_id = :u) s"),
                {"u": worker.id, "n": per_grid}).all()
            if rows:
                token, _ = issue_token(db.session, worker, "bench")
                out.append((token, [list(r) for r in rows], categories))
        db.session.commit()
    return out


def load_process(port: int, reporters: list, threads: int, duration: float, queue,
                 path: str = "/api/v1/cases") -> None:
    """One load-generator process: `threads` keep-alive clients posting cases to `path` until the deadline.

    Each case comes from a random reporter (token, points, (category codes, cumulative weights)).
    """
    results = []
    lock = threading.Lock()
    stop_at = time.time() + duration

    def client(seed: int) -> None:
        rng = np.random.default_rng(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local = []
        while time.time() < stop_at:
            token, points, (codes, cumulative) = reporters[int(rng.integers(len(reporters)))]
            lon, lat = points[int(rng.integers(len(points)))]
            category = codes[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])] if len(codes) > 1 else codes[0]
            body = json.dumps({"category": category, "lon": lon, "lat": lat, "accuracy_m": 8,
                               "description": "压测：路边垃圾", "idempotency_key": str(uuid.uuid4())})
            t = time.perf_counter()
            try:
                conn.request("POST", path, body, {"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {token}"})
                res = conn.getresponse()
                res.read()
                local.append((time.perf_counter() - t, res.status))
            except (OSError, http.client.HTTPException):
                local.append((time.perf_counter() - t, 0))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with lock:
            results.extend(local)

    pool = [threading.Thread(target=client, args=(os.getpid() * 100 + i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put(results)


ONE_CATEGORY = (("0101",), (1.0,))


def main() -> None:
    """Run the load and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--processes", type=int, default=2, help="load-generator processes")
    args = ap.parse_args()
    url, points, token = prepare("grid_app_bench_cases")
    port = free_port()
    server = start_server(url, port, args.workers)
    try:
        queue = mp.Queue()
        per = [args.concurrency // args.processes + (i < args.concurrency % args.processes)
               for i in range(args.processes)]
        procs = [mp.Process(target=load_process, args=(port, [(token, points.tolist(), ONE_CATEGORY)], n, args.duration, queue))
                 for n in per]
        started = time.time()
        for p in procs:
            p.start()
        results = [r for _ in procs for r in queue.get()]
        for p in procs:
            p.join()
        elapsed = time.time() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
    lat = np.array([r[0] for r in results]) * 1000
    ok = sum(1 for r in results if r[1] == 201)
    errors = len(results) - ok
    fig = {"bench": "cases", "workers": args.workers, "concurrency": args.concurrency,
           "duration_s": round(elapsed, 1), "requests": len(results), "created": ok, "errors": errors,
           "cases_per_s": round(ok / elapsed, 1), "p50_ms": round(float(np.percentile(lat, 50)), 1),
           "p99_ms": round(float(np.percentile(lat, 99)), 1)}
    print(f"{ok} cases in {elapsed:.1f} s = {fig['cases_per_s']} cases/s with {args.workers} gunicorn workers "
          f"at concurrency {args.concurrency}; p50 {fig['p50_ms']} ms, p99 {fig['p99_ms']} ms, errors {errors}")
    print(json.dumps(fig))


if __name__ == "__main__":
    main()
