"""Soak faults and their clock: killing busy gunicorn workers, restarting PostgreSQL, triggering coverage."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict

import gevent
import load_test  # scripts/ is on sys.path: soak.py runs from there and imports load_test first
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Tally:
    """Every answer by endpoint and status, every case by idempotency key, intake latencies."""

    def __init__(self):
        self.started = time.time()
        self.status: dict[str, Counter] = defaultdict(Counter)
        self.cases: dict[str, dict] = {}
        self.intake_ms: list[float] = []
        self.first_error: dict[str, str] = {}
        self.first_refusal: dict[str, str] = {}  # "endpoint status": when and what, for every status >= 400
        self.in_flight = 0

    def now(self) -> float:
        """Seconds since the load started."""
        return round(time.time() - self.started, 2)

    def on_request(self, request_type, name, response_time, response_length, response=None, exception=None,
                   **_kw):
        """locust's request hook: count every answer, including the failures."""
        code = getattr(response, "status_code", 0) or 0
        self.status[name][code] += 1
        if code >= 500 and code != 503 and name not in self.first_error:
            self.first_error[name] = f"{code} at {self.now()} s: {(getattr(response, 'text', '') or '')[:300]}"
        if (code >= 400 or code == 0) and f"{name} {code}" not in self.first_refusal:
            what = (getattr(response, "text", "") or "")[:160] if code else repr(exception)[:160]
            self.first_refusal[f"{name} {code}"] = f"at {self.now()} s: {what}"
        if name == load_test.INTAKE and code in (200, 201):
            self.intake_ms.append(response_time)


TALLY = Tally()


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's children (its workers)."""
    try:
        with open(f"/proc/{master}/task/{master}/children", encoding="ascii") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def wait_until(check, timeout: float, step: float = 0.2) -> float | None:
    """Seconds until check() is true, or None after timeout."""
    started = time.time()
    while time.time() - started < timeout:
        if check():
            return round(time.time() - started, 2)
        gevent.sleep(step)
    return None


def ready(base: str) -> bool:
    """GET /readyz answers 200 (the database answers through gunicorn)."""
    try:
        return requests.get(f"{base}/readyz", timeout=3).status_code == 200
    except requests.RequestException:
        return False


def flask_cli(env: dict, *args: str) -> subprocess.Popen:
    """A `flask grid ...` command against the soak's database."""
    return subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "flask"), "grid", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def fault_coverage(env: dict) -> dict:
    """Import the demo facilities again (new data version + the coverage job) beside a second trigger."""
    importer = flask_cli(env, "import", os.path.join(ROOT, "geodata", "demo", "facilities.geojson"))
    gevent.sleep(1.0)
    trigger = flask_cli(env, "coverage")
    out = {}
    for name, proc in (("import", importer), ("trigger", trigger)):
        try:
            text, _ = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            text, _ = proc.communicate()
        out[name] = {"rc": proc.returncode, "ended_s": TALLY.now(), "tail": text.strip().splitlines()[-3:]}
    return out


def busy_worker(master: int, port: int) -> int | None:
    """A worker holding a client connection on the server's port, i.e. answering a request now.

    gunicorn's sync workers close every connection after its response, so an established socket
    on the port is a request being read or answered."""
    busy_inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as fh:
                for line in fh.readlines()[1:]:
                    cols = line.split()
                    if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "01":  # 01: ESTABLISHED
                        busy_inodes.add(cols[9])
        except OSError:
            continue
    for pid in worker_pids(master):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in busy_inodes:
                return pid
    return None


def fault_kill_worker(master: int, port: int, workers: int, kills: int) -> dict:
    """SIGKILL a gunicorn worker in the middle of a request, `kills` times 2 s apart; each is replaced.

    Which request a worker is answering cannot be seen from outside, so more than one kill makes it
    likely that one of them cuts a case's POST (the retry path); GETs are retried by the client itself."""
    done = []
    for i in range(kills):
        if i:
            gevent.sleep(2.0)
        victim, deadline = None, time.time() + 10
        while victim is None and time.time() < deadline:
            victim = busy_worker(master, port)
            if victim is None:
                gevent.sleep(0.01)
        busy = victim is not None
        victim = victim or (worker_pids(master) or [None])[0]
        if victim is None:
            return {"error": "no worker found", "kills": done}
        os.kill(victim, signal.SIGKILL)
        back = wait_until(lambda: victim not in worker_pids(master) and len(worker_pids(master)) >= workers, 30)
        done.append({"pid": victim, "at_s": TALLY.now(), "mid_request": busy, "replaced_after_s": back})
    return {"kills": done}


def fault_restart_db(cluster, base: str, mode: str, down_s: float) -> dict:
    """Stop PostgreSQL (immediate: a crash), keep it down, start it, wait until the app answers again."""
    t0 = time.time()
    cluster.stop(mode)
    stopped = round(time.time() - t0, 2)
    gevent.sleep(down_s)
    cluster.start()
    started = round(time.time() - t0, 2)
    return {"mode": mode, "stopped_after_s": stopped, "started_after_s": started,
            "app_ready_after_s": wait_until(lambda: ready(base), 60, 0.1)}


def inject(at: float, name: str, action, faults: list[dict]) -> None:
    """Run one fault at its time (seconds since the load started) and record what happened."""
    gevent.sleep(max(0.0, at - TALLY.now()))
    record = {"fault": name, "at_s": TALLY.now()}
    faults.append(record)
    try:
        record.update(action())
    except Exception as exc:  # noqa: BLE001  (a failed injection is a figure, not the end of the soak)
        record["error"] = repr(exc)
    record["done_s"] = TALLY.now()
