"""Load test: grid workers, secretaries and API clients at once, against gunicorn on loopback.

Loads the demo district into a scratch database and starts gunicorn (scripts/bench_cases.py does
both), then runs locust as a library in this process for a fixed time with a mix of users:
  - grid workers log cases with a small JPEG photo (multipart POST /api/v1/cases, bearer token),
  - secretaries open their community's page, map and dashboard (HTML, logged in through /login),
  - API clients list cases (GET /api/v1/cases, bearer token).
Bearer tokens are issued directly in the database (the login endpoints allow 10 per minute per
address); secretaries share a few logged-in sessions. Pages answering other than 200 at start-up
are left out and named. Users think between requests (a worker 4-12 s between cases, a secretary
3-9 s between pages, an API client 2-6 s; --think-scale 0.15 makes it a stress test). The users
ramp up in about 5 s, then `--duration` seconds are measured. Prints requests/s, p50/p95/p99 per
endpoint and the errors; the last line is one JSON object. Traffic goes to 127.0.0.1 only and
stops after --duration or --max-requests.

    .venv/bin/python scripts/load_test.py [--users 100] [--duration 60] [--workers 2] [--threads 1]
"""
from __future__ import annotations

# locust patches the standard library for gevent on import: it must come before anything networked.
import locust  # noqa: I001  (import order matters here)
from locust import FastHttpUser, between, task
from locust.env import Environment

import argparse
import io
import itertools
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import uuid

import gevent
import requests
from PIL import Image
from urllib3 import encode_multipart_formdata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import bench_cases  # noqa: E402  (prepare() and start_server() are shared with the intake benchmark)

DB_NAME = "grid_app_load_test"
API_USER, API_PASSWORD = "load-api", "load-test-password-1"
SECRETARY_LOGINS = 3  # well under the login limit of 10 per minute per address
INTAKE = "POST /api/v1/cases"
LIST = "GET /api/v1/cases"
PAGES = {  # name: (path template, weight)
    "GET /communities/[code]": ("/communities/{code}", 3),
    "GET /communities/[code]/map": ("/communities/{code}/map", 2),
    "GET /communities/[code]/dashboard": ("/communities/{code}/dashboard", 2),
}
INTAKE_P99_GOAL_MS = 300.0

# Filled in by main() before the users start; the user classes read it.
CTX: dict = {}


def small_jpeg(seed: int) -> bytes:
    """A small phone-like JPEG (320x240, some texture so it is not trivially compressible)."""
    rng = random.Random(seed)
    img = Image.new("RGB", (320, 240), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    px = img.load()
    for _ in range(2000):
        px[rng.randrange(320), rng.randrange(240)] = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


class GridWorker(FastHttpUser):
    """Logs a case with one photo at a random point of the worker's grids."""

    weight = 5
    think = (4.0, 12.0)  # seconds between two cases of one worker, before --think-scale

    def on_start(self):
        """Take a token and a random stream of its own."""
        self.token = next(CTX["worker_tokens"])
        self.rng = random.Random()

    def case_form(self, key: str) -> tuple[bytes, str]:
        """A multipart case body (random point of the worker's grids, one photo) and its content type."""
        lon, lat = CTX["points"][self.rng.randrange(len(CTX["points"]))]
        fields = [("category", "0101"), ("lon", f"{lon:.7f}"), ("lat", f"{lat:.7f}"), ("accuracy_m", "8"),
                  ("description", "压测：路边垃圾堆积"), ("idempotency_key", key),
                  ("photos", ("photo.jpg", CTX["jpegs"][self.rng.randrange(len(CTX["jpegs"]))], "image/jpeg"))]
        return encode_multipart_formdata(fields)

    @task
    def log_case(self):
        """POST /api/v1/cases as multipart with a photo; 201 expected."""
        body, content_type = self.case_form(str(uuid.uuid4()))
        with self.client.post("/api/v1/cases", data=body, name=INTAKE, catch_response=True,
                              headers={"Authorization": f"Bearer {self.token}",
                                       "Content-Type": content_type}) as res:
            if res.status_code != 201:
                res.failure(f"{res.status_code}: {(res.text or '')[:200]}")


class Secretary(FastHttpUser):
    """Opens the community's pages (the ones that answered 200 at start-up)."""

    weight = 3
    think = (3.0, 9.0)

    def on_start(self):
        """Share one of the few logged-in sessions."""
        self.cookie = next(CTX["secretary_cookies"])
        self.rng = random.Random()

    @task
    def open_page(self):
        """GET one HTML page; 200 expected."""
        name, path = self.rng.choices(CTX["pages"], weights=CTX["page_weights"])[0]
        with self.client.get(path, name=name, catch_response=True, headers={"Cookie": self.cookie}) as res:
            if res.status_code != 200:
                res.failure(f"{res.status_code}")


class ApiClient(FastHttpUser):
    """Lists cases as an integration would (newest first, sometimes filtered)."""

    weight = 2
    think = (2.0, 6.0)

    def on_start(self):
        """Take a token of the API user."""
        self.token = next(CTX["api_tokens"])
        self.rng = random.Random()

    @task
    def list_cases(self):
        """GET /api/v1/cases; 200 expected."""
        query = self.rng.choice(["?limit=50", "?limit=50&state=collected", "?limit=20&offset=100",
                                 "?limit=50&overdue=false", "?limit=50&category=0101"])
        with self.client.get("/api/v1/cases" + query, name=LIST, catch_response=True,
                             headers={"Authorization": f"Bearer {self.token}"}) as res:
            if res.status_code != 200:
                res.failure(f"{res.status_code}")


def prepare(users: int) -> dict:
    """Scratch database with the demo district, tokens for every user, and the demo's codes."""
    from grid_app import create_app
    from grid_app.access.accounts import create_user, issue_token
    from grid_app.extensions import db
    from grid_app.models import Community, User
    url, points, _ = bench_cases.prepare(DB_NAME)
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        session = db.session
        worker = session.scalar(db.select(User).where(User.username == "demo-worker"))
        secretary = session.scalar(db.select(User).where(User.username == "demo-secretary"))
        api_user = create_user(session, API_USER, API_PASSWORD, "api")
        session.flush()
        worker_tokens = [issue_token(session, worker, f"load-{i}")[0] for i in range(users)]
        api_tokens = [issue_token(session, api_user, f"load-{i}")[0] for i in range(users)]
        community = session.get(Community, secretary.community_id).code
        session.commit()
        password = app.config["GRID_APP_DEMO_PASSWORD"]
    app_engine_dispose(app)
    return {"url": url, "points": points.tolist(), "worker_tokens": worker_tokens, "api_tokens": api_tokens,
            "community": community, "secretary": ("demo-secretary", password)}


def app_engine_dispose(app) -> None:
    """Close the preparation's connections before the server and the load start."""
    from grid_app.extensions import db
    with app.app_context():
        db.engine.dispose()


def secretary_cookie(base: str, username: str, password: str) -> str:
    """Log in through the form (CSRF token from the page) and return the session cookie header."""
    with requests.Session() as http:
        page = http.get(f"{base}/login", timeout=10)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or \
            re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
        if not found:
            raise SystemExit("no csrf_token in the login form")
        res = http.post(f"{base}/login", data={"username": username, "password": password,
                                               "csrf_token": found.group(1)}, allow_redirects=False, timeout=10)
        if res.status_code != 302 or "session" not in http.cookies:
            raise SystemExit(f"secretary login failed: {res.status_code} {res.text[:200]}")
        return f"session={http.cookies['session']}"


def usable_pages(base: str, cookie: str, community: str) -> tuple[list[tuple[str, str]], list[int], dict]:
    """The pages answering 200 now (with their weights), and the others with their status."""
    pages, weights, skipped = [], [], {}
    for name, (template, weight) in PAGES.items():
        path = template.format(code=community)
        status = requests.get(base + path, headers={"Cookie": cookie}, timeout=30, allow_redirects=False).status_code
        if status == 200:
            pages.append((name, path))
            weights.append(weight)
        else:
            skipped[name] = status
    return pages, weights, skipped


def run_load(base: str, users: int, duration: float, max_requests: int,
             think_scale: float) -> tuple[Environment, float, dict]:
    """Ramp the users up (about 5 s), then measure `duration` seconds of steady load.

    The figures cover the steady part only (stats are reset once every user runs), as a load test
    usually reports them; the ramp-up's requests and failures are returned apart, and count as errors.
    """
    classes = [GridWorker, ApiClient] + ([Secretary] if CTX["pages"] else [])
    for cls in classes:
        cls.wait_time = between(cls.think[0] * think_scale, cls.think[1] * think_scale)
    env = Environment(user_classes=classes, host=base, catch_exceptions=True)
    runner = env.create_local_runner()
    ramp_started = time.time()
    runner.start(users, spawn_rate=max(1.0, users / 5))
    while runner.user_count < users and time.time() - ramp_started < 60:
        gevent.sleep(0.1)
    ramp = {"ramp_up_s": round(time.time() - ramp_started, 1), "ramp_up_requests": env.stats.total.num_requests,
            "ramp_up_failures": env.stats.total.num_failures,
            "ramp_up_errors": {f"{e.method} {e.name}: {e.error}": e.occurrences for e in env.stats.errors.values()}}
    env.stats.reset_all()
    started = time.time()

    def stop_when_done():
        while time.time() - started < duration and env.stats.total.num_requests < max_requests:
            gevent.sleep(0.2)
        runner.quit()

    gevent.spawn(stop_when_done)
    runner.greenlet.join(timeout=duration + 60)
    return env, time.time() - started, ramp


def figures(env: Environment, elapsed: float) -> dict:
    """Requests/s, percentiles and failures per endpoint, plus the totals."""
    rows = {}
    for entry in sorted(env.stats.entries.values(), key=lambda e: e.name):
        rows[entry.name] = {
            "requests": entry.num_requests, "failures": entry.num_failures,
            "rps": round(entry.num_requests / elapsed, 1),
            "p50_ms": entry.get_response_time_percentile(0.50), "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99), "max_ms": round(entry.max_response_time or 0),
        }
    total = env.stats.total
    errors = {f"{e.method} {e.name}: {e.error}": e.occurrences for e in env.stats.errors.values()}
    return {"requests": total.num_requests, "failures": total.num_failures,
            "rps": round(total.num_requests / elapsed, 1), "p50_ms": total.get_response_time_percentile(0.5),
            "p99_ms": total.get_response_time_percentile(0.99), "endpoints": rows, "errors": errors}


def main() -> None:
    """Prepare, serve, load, report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=100, help="concurrent simulated users")
    ap.add_argument("--duration", type=float, default=60, help="seconds of load")
    ap.add_argument("--max-requests", type=int, default=200_000, help="stop earlier after this many requests")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    ap.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (1: sync workers)")
    ap.add_argument("--think-scale", type=float, default=1.0,
                    help="multiply every user's think time (0.15: a stress test, each user ~1 request/s)")
    ap.add_argument("--keep-db", action="store_true", help="keep the scratch database afterwards")
    args = ap.parse_args()

    print(f"preparing the scratch database {DB_NAME} with the demo district ...", flush=True)
    prep = prepare(args.users)
    uploads = tempfile.mkdtemp(prefix="grid_load_uploads_")
    os.environ["UPLOAD_DIR"] = uploads  # the server's photos go to a scratch folder, not instance/
    if args.threads > 1:  # gunicorn reads extra options from here; start_server's command stays shared
        os.environ["GUNICORN_CMD_ARGS"] = f"--threads {args.threads}"
    port = bench_cases.free_port()
    server = bench_cases.start_server(prep["url"], port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        cookies = [secretary_cookie(base, *prep["secretary"]) for _ in range(SECRETARY_LOGINS)]
        pages, weights, skipped = usable_pages(base, cookies[0], prep["community"])
        CTX.update(points=prep["points"], jpegs=[small_jpeg(i) for i in range(8)],
                   worker_tokens=itertools.cycle(prep["worker_tokens"]), api_tokens=itertools.cycle(prep["api_tokens"]),
                   secretary_cookies=itertools.cycle(cookies), pages=pages, page_weights=weights)
        for name, status in skipped.items():
            print(f"skipped {name}: answered {status} at start-up", flush=True)
        print(f"{args.users} users for {args.duration:.0f} s against gunicorn ({args.workers} workers, "
              f"{args.threads} threads each) at {base} ...", flush=True)
        env, elapsed, ramp = run_load(base, args.users, args.duration, args.max_requests, args.think_scale)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
        shutil.rmtree(uploads, ignore_errors=True)
        if not args.keep_db:
            from grid_app.platform import localdb
            localdb.default().drop_database(DB_NAME)
    fig = figures(env, elapsed)
    report({**fig, **ramp}, args, elapsed, skipped)


def report(fig: dict, args, elapsed: float, skipped: dict) -> None:
    """The table, the errors, and the JSON line."""
    print(f"\n{'endpoint':38} {'requests':>8} {'fail':>5} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6} "
          f"{'max':>6}  (ms)")
    for name, r in fig["endpoints"].items():
        print(f"{name:38} {r['requests']:>8} {r['failures']:>5} {r['rps']:>6} {r['p50_ms']:>6.0f} {r['p95_ms']:>6.0f} "
              f"{r['p99_ms']:>6.0f} {r['max_ms']:>6}")
    print(f"{'total':38} {fig['requests']:>8} {fig['failures']:>5} {fig['rps']:>6} {fig['p50_ms']:>6.0f} {'':>6} "
          f"{fig['p99_ms']:>6.0f}")
    print(f"(after a ramp-up of {fig['ramp_up_s']} s: {fig['ramp_up_requests']} requests, "
          f"{fig['ramp_up_failures']} failures, not in the table)")
    for what, count in {**fig["ramp_up_errors"], **fig["errors"]}.items():
        print(f"error x{count}: {what}")
    intake = fig["endpoints"].get(INTAKE, {})
    goal = (bool(intake) and fig["failures"] == 0 and fig["ramp_up_failures"] == 0
            and intake["p99_ms"] < INTAKE_P99_GOAL_MS)
    print(f"goal (no error, intake p99 < {INTAKE_P99_GOAL_MS:.0f} ms): {'met' if goal else 'NOT met'}")
    print(json.dumps({"bench": "load", "users": args.users, "workers": args.workers, "threads": args.threads,
                      "think_scale": args.think_scale,
                      "duration_s": round(elapsed, 1),
                      "locust": locust.__version__, "skipped_pages": skipped, "goal_met": goal, **fig},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
