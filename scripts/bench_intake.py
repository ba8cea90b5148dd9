"""Benchmark: case intake (POST /api/v1/cases) against a floor, through the same gunicorn in one run.

Loads the demo district into a scratch database (scripts/bench_cases.py's prepare), starts gunicorn on
loopback with scripts/bench_floor.py's factory (the app plus a benchmark-only minimal handler in plain
SQL, registered because GRID_APP_BENCH_FLOOR=1), and drives, in alternating rounds so both see the same
machine state, "ours" (POST /api/v1/cases, JSON, bearer token) and "floor" (POST /bench/floor/cases).
`--before DIR` also serves another checkout of the code (e.g. `git archive <commit> | tar -x -C DIR`)
with its own gunicorn on the same database, measured in the same rounds as "before".
The load is the district's: every case from a random grid worker of the demo, at a point of their grid,
of a category drawn as cases come in practice; `--crowded` is one worker and one category in their two
grids instead (a pile-up: every new case then has ten possible duplicates to find and answer).
Prints cases/s, p50, p99 and errors per target and ours ÷ floor; the last line is one JSON object.
Every phase is bounded (--phase seconds, client timeouts), gunicorn is stopped at the end.

    .venv/bin/python scripts/bench_intake.py [--quick] [--rounds 3] [--phase 10] [--concurrency 8]
        [--workers 2] [--threads 1] [--before DIR] [--crowded]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import bench_cases  # noqa: E402  (prepare() and free_port() are shared)

DB_NAME = "grid_app_bench_intake"
OURS, FLOOR = "/api/v1/cases", "/bench/floor/cases"
GOAL_RATIO = 0.7


def start(tree: str, url: str, port: int, workers: int, threads: int, uploads: str) -> subprocess.Popen:
    """gunicorn serving `tree`'s app with the floor route, on loopback; waits until it answers."""
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench", GRID_APP_INSTANCE=os.path.join(ROOT, "instance"),
               GRID_APP_BENCH_FLOOR="1", UPLOAD_DIR=uploads, PYTHONPATH=tree)
    cmd = [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-w", str(workers), "--threads", str(threads),
           "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--pythonpath", os.path.join(ROOT, "scripts"),
           "bench_floor:create_app()"]
    proc = subprocess.Popen(cmd, cwd=tree, env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/categories")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit(f"gunicorn for {tree} did not start")


def phase(port: int, path: str, reporters: list, concurrency: int, processes: int,
          duration: float) -> tuple[list, float]:
    """Drive one target for `duration` seconds; returns (latency s, status) pairs and the elapsed time."""
    queue = mp.Queue()
    per = [concurrency // processes + (i < concurrency % processes) for i in range(processes)]
    procs = [mp.Process(target=bench_cases.load_process, args=(port, reporters, n, duration, queue, path))
             for n in per if n]
    started = time.time()
    for p in procs:
        p.start()
    results = [r for _ in procs for r in queue.get(timeout=duration + 60)]
    for p in procs:
        p.join(10)
    return results, time.time() - started


def figures(results: list, elapsed: float) -> dict:
    """Cases/s, p50, p99 and errors of one target over all its phases."""
    lat = np.array([r[0] for r in results] or [0.0]) * 1000
    ok = sum(1 for r in results if r[1] == 201)
    return {"requests": len(results), "created": ok, "errors": len(results) - ok,
            "statuses": {str(s): sum(1 for r in results if r[1] == s) for s in sorted({r[1] for r in results})},
            "cases_per_s": round(ok / elapsed, 1) if elapsed else 0.0,
            "p50_ms": round(float(np.percentile(lat, 50)), 1), "p99_ms": round(float(np.percentile(lat, 99)), 1)}


def main() -> None:
    """Prepare, serve, alternate the targets, report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 rounds of 4 s per target")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (each target once per round)")
    ap.add_argument("--phase", type=float, default=10, help="seconds per target per round")
    ap.add_argument("--warmup", type=float, default=2, help="seconds per target before measuring")
    ap.add_argument("--concurrency", type=int, default=8, help="keep-alive clients")
    ap.add_argument("--processes", type=int, default=2, help="load-generator processes")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (1: sync workers)")
    ap.add_argument("--before", metavar="DIR", help="another checkout to serve and measure as 'before'")
    ap.add_argument("--crowded", action="store_true",
                    help="one worker, one category, in their two grids (the stress of a pile-up), not the district")
    ap.add_argument("--keep-db", action="store_true", help="keep the scratch database afterwards")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.phase, args.warmup = 2, 4.0, 1.0

    print(f"preparing the scratch database {DB_NAME} with the demo district ...", flush=True)
    url, points, token = bench_cases.prepare(DB_NAME)
    if args.crowded:
        reporters = [(token, points.tolist(), bench_cases.ONE_CATEGORY)]
    else:
        reporters = bench_cases.district_reporters(url)
    uploads = os.path.join("/tmp", f"grid_bench_intake_{os.getpid()}")
    os.makedirs(uploads, exist_ok=True)
    servers, targets = [], []  # targets: (name, port, path)
    try:
        port = bench_cases.free_port()
        servers.append(start(ROOT, url, port, args.workers, args.threads, uploads))
        targets += [("ours", port, OURS), ("floor", port, FLOOR)]
        if args.before:
            before_port = bench_cases.free_port()
            servers.append(start(os.path.abspath(args.before), url, before_port, args.workers, args.threads, uploads))
            targets.append(("before", before_port, OURS))
        for name, p, path in targets:  # warm-up: connections, caches, plans
            phase(p, path, reporters, args.concurrency, args.processes, args.warmup)
        results = {name: [] for name, _, _ in targets}
        elapsed = dict.fromkeys(results, 0.0)
        for r in range(args.rounds):
            order = targets if r % 2 == 0 else targets[::-1]  # alternate so neither always goes first
            for name, p, path in order:
                got, took = phase(p, path, reporters, args.concurrency, args.processes, args.phase)
                results[name] += got
                elapsed[name] += took
                print(f"round {r + 1} {name:6} {sum(1 for x in got if x[1] == 201) / took:7.1f} cases/s", flush=True)
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(10)
        shutil.rmtree(uploads, ignore_errors=True)
        if not args.keep_db:
            from grid_app.platform import localdb
            localdb.default().drop_database(DB_NAME)
    fig = {name: figures(results[name], elapsed[name]) for name in results}
    ratio = round(fig["ours"]["cases_per_s"] / fig["floor"]["cases_per_s"], 2) if fig["floor"]["cases_per_s"] else None
    print(f"\n{'target':8} {'cases/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, f in fig.items():
        print(f"{name:8} {f['cases_per_s']:>8} {f['p50_ms']:>8} {f['p99_ms']:>8} {f['errors']:>7}")
    goal = bool(ratio) and fig["ours"]["errors"] == 0 and (
        (fig["ours"]["cases_per_s"] >= 300 and fig["ours"]["p99_ms"] < 100) or ratio >= GOAL_RATIO)
    print(f"ours ÷ floor = {ratio}; goal (≥ 300 cases/s with p99 < 100 ms, or ≥ {GOAL_RATIO} × floor): "
          f"{'met' if goal else 'NOT met'}")
    print(json.dumps({"bench": "intake", "load": "crowded" if args.crowded else "district", "workers": args.workers, "threads": args.threads,
                      "concurrency": args.concurrency, "rounds": args.rounds, "phase_s": args.phase,
                      **fig, "ours_over_floor": ratio, "goal_met": goal}, ensure_ascii=False))


if __name__ == "__main__":
    main()
