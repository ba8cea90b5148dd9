"""Soak: the load test's mix against gunicorn while PostgreSQL restarts, a worker dies and coverage recomputes.

Makes a throw-away PostgreSQL cluster of its own (under instance/scratch-clusters/, a free loopback
port: the app's and the tests' clusters are never touched), loads the demo district into it, runs
the coverage job and starts gunicorn (scripts/load_test.py and scripts/bench_cases.py do most of
it), then runs the load test's users (grid workers logging cases with a photo, secretaries opening
pages, API clients listing cases) plus coverage readers for --duration seconds. Mid-load it
injects, at fixed fractions of the duration:
  - a coverage recomputation: the demo facilities are imported again (a new dataset version; the
    import runs the coverage job) while a second `flask grid coverage` trigger runs beside it,
  - SIGKILL of gunicorn workers in the middle of requests (--kills; the master starts new ones),
  - a PostgreSQL restart (--pg-stop-mode immediate: a crash; fast: a clean shutdown), down --down-s s.
Grid workers behave like the phone app: on a connection error or a 503 they send the same case again
with the same idempotency key (bounded attempts). Afterwards every case answered 201 (or 200 on a
retry) must be in the database exactly once, with one photo and one intake event; no request may
answer a 5xx other than 503; coverage reads keep answering (the last complete result) while the job
recomputes. The last line is one JSON object; the exit status is 1 when a case is lost or duplicated,
a 500 occurred, a coverage read was refused or a fault could not be injected. Traffic goes to
127.0.0.1 only; every loop is bounded in count and time; everything the script starts (gunicorn, the
cluster) is stopped at the end.

    .venv/bin/python scripts/soak.py [--users 40] [--duration 75] [--workers 2] [--pg-stop-mode immediate]
"""
from __future__ import annotations

import load_test  # noqa: I001  (first: locust patches the standard library for gevent on import)
from locust import FastHttpUser, between, task
from locust.env import Environment

import argparse
import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter

import gevent
import numpy as np
import requests

import bench_cases  # noqa: E402  (sys.path holds scripts/ once load_test is imported)
from soak_faults import (TALLY, fault_coverage, fault_kill_worker, fault_restart_db, flask_cli,  # noqa: E402
                         inject, wait_until, worker_pids)

ROOT = load_test.ROOT
CTX = load_test.CTX
COVERAGE = "GET /api/v1/coverage"
RETRYABLE = (0, 503)  # a connection error or the database briefly away: the phone app sends again
FAULTS = ("coverage", "kill_worker", "restart_db")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The soak's options; fault times are fractions of --duration after the ramp-up."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=40, help="concurrent simulated users")
    ap.add_argument("--duration", type=float, default=75.0, help="seconds of load after the ramp-up")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (2 or more)")
    ap.add_argument("--think-scale", type=float, default=0.25,
                    help="multiply the load test's think times (0.25: a grid worker logs a case every 1-3 s)")
    ap.add_argument("--coverage-at", type=float, default=0.2, help="fraction of --duration: coverage job")
    ap.add_argument("--kill-at", type=float, default=0.4, help="fraction of --duration: SIGKILL a worker")
    ap.add_argument("--kills", type=int, default=3, help="workers killed, one after another, 2 s apart")
    ap.add_argument("--restart-at", type=float, default=0.6, help="fraction of --duration: restart PostgreSQL")
    ap.add_argument("--pg-stop-mode", choices=("immediate", "fast"), default="immediate",
                    help="immediate: PostgreSQL crashes (recovery on start); fast: a clean shutdown")
    ap.add_argument("--down-s", type=float, default=3.0, help="seconds PostgreSQL stays down")
    ap.add_argument("--attempts", type=int, default=8, help="attempts per case (the first and the retries)")
    ap.add_argument("--max-requests", type=int, default=100_000, help="stop the load earlier after this many")
    args = ap.parse_args(argv)
    if args.workers < 2:
        ap.error("--workers must be 2 or more (one is killed mid-load)")
    if (args.users < 1 or args.attempts < 1 or not 1 <= args.kills <= 20 or not 5 <= args.duration <= 3600
            or not 0 <= args.down_s <= 60):
        ap.error("--users and --attempts at least 1, --kills 1-20, --duration 5-3600 s, --down-s 0-60 s")
    for name in ("coverage_at", "kill_at", "restart_at"):
        if not 0 < getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be a fraction between 0 and 1")
    return args


class SoakWorker(load_test.GridWorker):
    """The load test's grid worker, retrying a case like the phone app: same key, bounded attempts."""

    def log_case(self):
        """POST a case; on a connection error or 503 send it again with the same key after a pause."""
        if CTX.get("stopping"):
            self.wait()
            return
        key = f"soak-{uuid.uuid4()}"
        case = TALLY.cases[key] = {"attempts": 0, "status": None, "codes": [], "sent_at": TALLY.now()}
        body, content_type = self.case_form(key)
        TALLY.in_flight += 1
        try:
            for attempt in range(CTX["attempts"]):
                case["attempts"] += 1
                with self.client.post("/api/v1/cases", data=body, name=load_test.INTAKE, catch_response=True,
                                      headers={"Authorization": f"Bearer {self.token}",
                                               "Content-Type": content_type}) as res:
                    code = res.status_code or 0
                    case["status"] = code
                    case["codes"].append(code)
                    if code not in (200, 201):
                        res.failure(f"{code}: {(res.text or '')[:200]}")
                if code not in RETRYABLE:
                    break
                gevent.sleep(min(0.5 * 2 ** attempt, 4.0))
        finally:
            TALLY.in_flight -= 1
            case["done_at"] = TALLY.now()


SoakWorker.tasks = [SoakWorker.log_case]  # the base class's task would post without retrying


class CoverageReader(FastHttpUser):
    """A secretary's coverage figures (read while the coverage job swaps in new results)."""

    weight = 1
    think = (2.0, 6.0)

    def on_start(self):
        """Share one of the logged-in secretary sessions."""
        self.cookie = next(CTX["secretary_cookies"])
        self.rng = random.Random()

    @task
    def read_coverage(self):
        """GET /api/v1/coverage for the secretary's community; 200 expected."""
        path = f"/api/v1/coverage?community={CTX['community']}&type={self.rng.choice(CTX['facility_types'])}"
        with self.client.get(path, name=COVERAGE, catch_response=True, headers={"Cookie": self.cookie}) as res:
            if res.status_code != 200:
                res.failure(f"{res.status_code}")


def run(base: str, args, schedule) -> tuple[list[dict], float]:
    """Ramp the users up, inject the faults during `duration` seconds, then let retries finish (bounded)."""
    classes = [SoakWorker, load_test.ApiClient, CoverageReader] + ([load_test.Secretary] if CTX["pages"] else [])
    for cls in classes:
        cls.wait_time = between(cls.think[0] * args.think_scale, cls.think[1] * args.think_scale)
    env = Environment(user_classes=classes, host=base, catch_exceptions=True)
    env.events.request.add_listener(TALLY.on_request)
    runner = env.create_local_runner()
    TALLY.started = time.time()
    runner.start(args.users, spawn_rate=max(1.0, args.users / 5))
    wait_until(lambda: runner.user_count >= args.users, 60, 0.1)
    ramp = TALLY.now()
    faults: list[dict] = []
    # Each fault on its own clock: a slow coverage job must not push the restart past the load.
    injectors = [gevent.spawn(inject, ramp + frac * args.duration, name, action, faults)
                 for frac, name, action in schedule]
    end = ramp + args.duration
    while TALLY.now() < end and env.stats.total.num_requests < args.max_requests:
        gevent.sleep(0.2)
    CTX["stopping"] = True  # no new case; cases being retried may finish
    gevent.joinall(injectors, timeout=240)
    gevent.killall(injectors)
    wait_until(lambda: TALLY.in_flight == 0, 60)
    runner.quit()
    runner.greenlet.join(timeout=30)
    return sorted(faults, key=lambda f: f["at_s"]), TALLY.now()


def check_database(url: str) -> dict:
    """Per idempotency key of the soak: cases, photos and intake events stored."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.idempotency_key, count(DISTINCT c.id), count(DISTINCT p.id), count(DISTINCT e.id) "
                "FROM case_record c LEFT JOIN case_photo p ON p.case_id = c.id "
                "LEFT JOIN case_event e ON e.case_id = c.id AND e.action = 'collect' "
                "WHERE c.idempotency_key LIKE 'soak-%' GROUP BY c.idempotency_key")).all()
            cases_by_key = dict(conn.execute(text(
                "SELECT idempotency_key, count(*) FROM case_record WHERE idempotency_key LIKE 'soak-%' "
                "GROUP BY idempotency_key")).all())
    finally:
        engine.dispose()
    return {"cases": cases_by_key, "detail": {k: (c, p, e) for k, c, p, e in rows}}


def verdict(stored: dict) -> dict:
    """Lost, duplicated and half-written cases, against what the clients were told."""
    acked = {k: c for k, c in TALLY.cases.items() if c["status"] in (200, 201)}
    lost = sorted(k for k in acked if stored["cases"].get(k, 0) == 0)
    duplicated = sorted(k for k, n in stored["cases"].items() if n > 1)
    uneven = sorted(k for k, (c, p, e) in stored["detail"].items() if (c, p, e) != (1, 1, 1))
    phantom = sorted(k for k in stored["cases"] if k not in TALLY.cases)
    unanswered = [k for k, c in TALLY.cases.items() if c["status"] not in (200, 201)]
    return {
        "sent": len(TALLY.cases), "acknowledged": len(acked),
        "created_201": sum(1 for c in acked.values() if c["status"] == 201),
        "replayed_200": sum(1 for c in acked.values() if c["status"] == 200),
        "retried": sum(1 for c in TALLY.cases.values() if c["attempts"] > 1),
        "retries_after": dict(Counter("connection error" if code == 0 else str(code)
                                      for c in TALLY.cases.values() for code in c["codes"][:-1])),
        "unanswered": len(unanswered),
        "unanswered_stored": sum(1 for k in unanswered if stored["cases"].get(k)),
        "unanswered_final": dict(Counter(str(TALLY.cases[k]["status"]) for k in unanswered)),
        "lost": len(lost), "duplicated": len(duplicated), "photo_or_event_mismatch": len(uneven),
        "phantom": len(phantom), "examples": {"lost": lost[:5], "duplicated": duplicated[:5],
                                              "mismatch": uneven[:5], "phantom": phantom[:5]},
    }


def summary(args, faults: list[dict], elapsed: float, cases: dict, workers_at_end: int) -> dict:
    """The figures as one JSON-ready dict."""
    total = Counter()
    for counts in TALLY.status.values():
        total.update(counts)
    fivexx = {str(code): n for code, n in sorted(total.items()) if code >= 500}
    bad_5xx = sum(n for code, n in total.items() if code >= 500 and code != 503)
    lat = np.array(TALLY.intake_ms or [0.0])
    answered = sorted(c["done_at"] for c in TALLY.cases.values() if c["status"] in (200, 201))
    gaps = [(b - a, a) for a, b in zip(answered, answered[1:])]
    gap, gap_from = max(gaps) if gaps else (0.0, 0.0)
    coverage = next((f for f in faults if f["fault"] == "coverage"), {})
    coverage_ok = all(coverage.get(step, {}).get("rc") == 0 for step in ("import", "trigger"))
    # Readers keep the last complete result while the job computes the next: any 4xx here is a gap.
    coverage_refused = sum(n for code, n in TALLY.status[COVERAGE].items() if 400 <= code < 500)
    ok = (cases["lost"] == 0 and cases["duplicated"] == 0 and cases["photo_or_event_mismatch"] == 0
          and cases["phantom"] == 0 and bad_5xx == 0 and len(faults) == len(FAULTS) and coverage_ok
          and coverage_refused == 0
          and not any("error" in f for f in faults))
    return {
        "bench": "soak", "ok": ok, "users": args.users, "workers": args.workers, "think_scale": args.think_scale,
        "duration_s": round(elapsed, 1), "requests": sum(total.values()),
        "status": {str(code): n for code, n in sorted(total.items())},
        "by_endpoint": {name: {str(code): n for code, n in sorted(c.items())}
                        for name, c in sorted(TALLY.status.items())},
        "5xx": fivexx, "503": total.get(503, 0), "500": total.get(500, 0), "connection_errors": total.get(0, 0),
        "coverage_reads_refused": coverage_refused, "first_bad_5xx": TALLY.first_error,
        "first_refusals": TALLY.first_refusal, "faults": faults,
        "longest_intake_gap_s": {"seconds": round(gap, 2), "from_s": gap_from},
        "workers_at_end": workers_at_end, "cases": cases,
        "lost": cases["lost"], "duplicated": cases["duplicated"],
        "intake_p50_ms": round(float(np.percentile(lat, 50)), 1),
        "intake_p99_ms": round(float(np.percentile(lat, 99)), 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Own cluster, demo data, gunicorn, load with faults, checks; everything stopped in the end."""
    args = parse_args(argv)
    from grid_app.platform.localdb import Cluster
    base_dir = os.path.join(ROOT, "instance", "scratch-clusters", f"soak-{os.getpid()}")
    cluster = Cluster(base_dir, bench_cases.free_port())  # durable, like the app's own cluster
    # load_test.prepare() makes its database in localdb.default(): point that at the soak's cluster.
    os.environ.update(GRID_APP_PGDATA=str(cluster.base), GRID_APP_PGPORT=str(cluster.port))
    uploads = tempfile.mkdtemp(prefix="grid_soak_uploads_")
    os.environ["UPLOAD_DIR"] = uploads
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally block runs
    server = None
    try:
        print(f"starting a throw-away cluster in {cluster.base} (port {cluster.port}) ...", flush=True)
        cluster.start()
        print("loading the demo district ...", flush=True)
        prep = load_test.prepare(args.users)
        port = bench_cases.free_port()
        server = bench_cases.start_server(prep["url"], port, args.workers)
        base = f"http://127.0.0.1:{port}"
        cookies = [load_test.secretary_cookie(base, *prep["secretary"]) for _ in range(load_test.SECRETARY_LOGINS)]
        pages, weights, skipped = load_test.usable_pages(base, cookies[0], prep["community"])
        types = [t["code"] for t in requests.get(f"{base}/api/v1/facility-types", timeout=10).json()["facility_types"]]
        CTX.update(points=prep["points"], jpegs=[load_test.small_jpeg(i) for i in range(8)],
                   worker_tokens=itertools.cycle(prep["worker_tokens"]),
                   api_tokens=itertools.cycle(prep["api_tokens"]), secretary_cookies=itertools.cycle(cookies),
                   pages=pages, page_weights=weights, community=prep["community"], facility_types=types,
                   attempts=args.attempts, stopping=False)
        for name, status in skipped.items():
            print(f"skipped {name}: answered {status} at start-up", flush=True)
        cli_env = dict(os.environ, DATABASE_URL=prep["url"], SECRET_KEY="bench", FLASK_APP="grid_app")
        # Coverage as a deployment has it before the load: computed by the job after the data arrived.
        setup = flask_cli(cli_env, "coverage")
        print("\n".join(setup.communicate(timeout=300)[0].strip().splitlines()[-3:]), flush=True)
        schedule = [(args.coverage_at, "coverage", lambda: fault_coverage(cli_env)),
                    (args.kill_at, "kill_worker",
                     lambda: fault_kill_worker(server.pid, port, args.workers, args.kills)),
                    (args.restart_at, "restart_db",
                     lambda: fault_restart_db(cluster, base, args.pg_stop_mode, args.down_s))]
        print(f"{args.users} users for {args.duration:.0f} s against gunicorn ({args.workers} workers) at {base}; "
              f"faults at {', '.join(f'{n} {f:.0%}' for f, n, _ in schedule)} ...", flush=True)
        faults, elapsed = run(base, args, schedule)
        workers_at_end = len(worker_pids(server.pid))
        cases = verdict(check_database(prep["url"]))
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(5)
        cluster.stop("immediate")
        shutil.rmtree(cluster.base, ignore_errors=True)
        try:  # Cluster.start()'s lock file, beside the cluster's folder
            os.remove(cluster.base.parent / f".{cluster.base.name}.lock")
        except FileNotFoundError:
            pass
        shutil.rmtree(uploads, ignore_errors=True)
    fig = summary(args, faults, elapsed, cases, workers_at_end)
    for f in fig["faults"]:
        print(f"fault {f['fault']} at {f['at_s']} s: " + json.dumps({k: v for k, v in f.items()
                                                                   if k not in ('fault', 'at_s')}, ensure_ascii=False))
    print(f"{fig['requests']} requests; status {fig['status']}; cases sent {cases['sent']}, acknowledged "
          f"{cases['acknowledged']} ({cases['replayed_200']} as 200 on a retry), lost {cases['lost']}, "
          f"duplicated {cases['duplicated']}; intake p50 {fig['intake_p50_ms']} ms, p99 {fig['intake_p99_ms']} ms")
    print("soak: " + ("passed" if fig["ok"] else "FAILED"))
    print(json.dumps(fig, ensure_ascii=False))
    return 0 if fig["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
