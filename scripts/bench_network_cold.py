"""Benchmark: the first isochrone request of a fresh process, without and with the prepared network's disk cache.

Each figure runs in its own spawned process (nothing imported or cached before it): the app on the database,
then the secretary's first GET /api/v1/isochrones of her community (what bench_scale reports as "first"),
then a second one. Three runs: the disk cache off (every process prepares the network itself), on with an
empty cache folder (the process that prepares it also writes it), and on with the folder that run left
(a later cold process). The cache folder is a temporary one, removed at the end; the last line is JSON.

    .venv/bin/python scripts/bench_network_cold.py [--db grid_city] [--type elderly_care] [--runs off,empty,warm]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from queue import Empty as queue_empty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))


def child(url: str, type_code: str, cache_dir: str | None, queue) -> None:
    """In a fresh process: the app, a token, then two isochrone requests, timed."""
    started = time.perf_counter()
    from bench_scale import make_app  # noqa: E402  (the same app settings as the scale benchmark)

    from grid_app.coverage import prepared
    prepared.disk_dir = cache_dir
    app = make_app(url)
    from sqlalchemy import text

    from grid_app.access.accounts import issue_token
    from grid_app.extensions import db
    from grid_app.models import User
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "demo-secretary"))
        token = issue_token(db.session, user, "bench-network-cold")[0]
        community = db.session.scalar(text("SELECT code FROM community WHERE id = :i"), {"i": user.community_id})
        db.session.commit()
    ready = time.perf_counter()
    client = app.test_client()
    took = []
    for _ in range(2):
        t = time.perf_counter()
        res = client.get(f"/api/v1/isochrones?community={community}&type={type_code}",
                         headers={"Authorization": f"Bearer {token}"})
        features = len(res.get_json().get("features", []))
        took.append(round((time.perf_counter() - t) * 1000, 1))
    queue.put({"status": res.status_code, "features": features, "app_ready_s": round(ready - started, 2),
               "first_ms": took[0], "second_ms": took[1]})


def run(url: str, type_code: str, cache_dir: str | None, timeout: float) -> dict:
    """child() in a spawned process."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=child, args=(url, type_code, cache_dir, queue))
    proc.start()
    deadline = time.time() + timeout
    try:
        while True:  # a child that dies (a crash, no database) must not leave us waiting for the timeout
            try:
                return queue.get(timeout=1)
            except queue_empty:
                if not proc.is_alive() or time.time() > deadline:
                    return {"error": f"no result (exit code {proc.exitcode})"}
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()


def main() -> None:
    """Run the figures and print them, then one JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="grid_city")
    ap.add_argument("--type", default="elderly_care")
    ap.add_argument("--runs", default="off,empty,warm")
    ap.add_argument("--timeout", type=float, default=900.0)
    args = ap.parse_args()
    from grid_app.platform import localdb
    url = localdb.for_tests().url(args.db)
    folder = tempfile.mkdtemp(prefix="grid_network_cache_")
    out = {"db": args.db, "type": args.type}
    try:
        for name in args.runs.split(","):
            out[name] = run(url, args.type, None if name == "off" else folder, args.timeout)
            size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
            out[name]["cache_mb"] = round(size / 2**20, 1)
            print(f"{name:<6} {out[name]}", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
