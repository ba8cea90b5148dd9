"""A project-local PostgreSQL + PostGIS cluster under instance/, for the demo and the tests.

Run as ``python -m grid_app.localdb start|stop|status|url [DBNAME]``. PostgreSQL refuses to run
as root, so when we are root the server runs as the ``postgres`` system user.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_PORT = 54329
DEFAULT_DB = "grid_app"
ROOT = Path(__file__).resolve().parent.parent


class LocalDbError(RuntimeError):
    """The local cluster could not be created or started."""


def cluster_dir() -> Path:
    """Where the local cluster lives (GRID_APP_PGDATA or instance/pg)."""
    return Path(os.environ.get("GRID_APP_PGDATA", ROOT / "instance" / "pg")).resolve()


def port() -> int:
    """The TCP port of the local cluster (GRID_APP_PGPORT or 54329)."""
    return int(os.environ.get("GRID_APP_PGPORT", DEFAULT_PORT))


def socket_dir() -> Path:
    """The Unix socket directory of the local cluster."""
    return cluster_dir() / "run"


def url(dbname: str = DEFAULT_DB) -> str:
    """SQLAlchemy URL of a database in the local cluster."""
    return f"postgresql+psycopg2://grid_app@/{dbname}?host={socket_dir()}&port={port()}"


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if not path:
        raise LocalDbError(f"PostgreSQL program {name!r} not found: install postgresql-15-postgis-3")
    return path


def _as_owner(args: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a server program as the cluster's owner (postgres when we are root)."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=False, capture_output=True, text=True, **kw)


def _prepare_dirs(data: Path) -> None:
    data.parent.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        data.mkdir(exist_ok=True)
        os.chown(data, pg.pw_uid, pg.pw_gid)
        # postgres must be able to traverse every parent of the data directory.
        for parent in data.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)


def initialised() -> bool:
    """True when the cluster directory holds a database cluster."""
    return (cluster_dir() / "data" / "PG_VERSION").exists()


def running() -> bool:
    """True when the local server answers on its socket."""
    res = subprocess.run(
        [_bin("pg_isready"), "-q", "-h", str(socket_dir()), "-p", str(port())], check=False
    )
    return res.returncode == 0


def init() -> None:
    """Create the cluster (trust auth on the socket and loopback only)."""
    base = cluster_dir()
    data = base / "data"
    _prepare_dirs(base)
    res = _as_owner([_bin("initdb"), "-D", str(data), "-U", "grid_app", "--auth=trust",
                     "-E", "UTF8", "--locale=C.UTF-8"])
    if res.returncode != 0:
        raise LocalDbError(f"initdb failed:\n{res.stdout}{res.stderr}")
    (socket_dir()).mkdir(exist_ok=True)
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(socket_dir(), pg.pw_uid, pg.pw_gid)
    with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(
            "\n# grid_app local cluster\n"
            "listen_addresses = '127.0.0.1'\n"
            f"port = {port()}\n"
            f"unix_socket_directories = '{socket_dir()}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "max_connections = 200\nshared_buffers = 256MB\n"
            "wal_level = replica\nmax_wal_senders = 5\n"
        )


def start(timeout: float = 30.0) -> None:
    """Create the cluster if needed and start it; no-op when it already runs."""
    if not initialised():
        init()
    if running():
        return
    log = cluster_dir() / "server.log"
    if os.geteuid() == 0 and not log.exists():
        log.touch()
        pg = pwd.getpwnam("postgres")
        os.chown(log, pg.pw_uid, pg.pw_gid)
    res = _as_owner([_bin("pg_ctl"), "-D", str(cluster_dir() / "data"), "-l", str(log),
                     "-o", f"-p {port()}", "-w", "-t", str(int(timeout)), "start"])
    if res.returncode != 0 or not running():
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
        raise LocalDbError(f"PostgreSQL did not start:\n{res.stdout}{res.stderr}\n{tail}")
    deadline = time.time() + timeout
    while not running() and time.time() < deadline:
        time.sleep(0.2)


def stop() -> None:
    """Stop the local server (fast shutdown)."""
    if initialised() and running():
        _as_owner([_bin("pg_ctl"), "-D", str(cluster_dir() / "data"), "-m", "fast", "stop"])


def ensure_database(dbname: str = DEFAULT_DB, fresh: bool = False) -> str:
    """Start the cluster, create the database (dropped first when fresh) and return its URL."""
    start()
    psql = [_bin("psql"), "-h", str(socket_dir()), "-p", str(port()), "-U", "grid_app",
            "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtc"]
    if fresh:
        subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'],
                       check=True, capture_output=True)
    exists = subprocess.run([*psql, f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'"],
                            check=True, capture_output=True, text=True).stdout.strip()
    if not exists:
        subprocess.run([*psql, f'CREATE DATABASE "{dbname}"'], check=True, capture_output=True)
    return url(dbname)


def _psql(sql: str) -> str:
    res = subprocess.run([_bin("psql"), "-h", str(socket_dir()), "-p", str(port()), "-U", "grid_app",
                          "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
                         check=True, capture_output=True, text=True)
    return res.stdout


def drop_database(dbname: str) -> None:
    """Drop a database of the local cluster (connections are ended first)."""
    _psql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def drop_stale_databases(prefix: str) -> None:
    """Drop databases named prefix + PID whose process has ended (left by a killed test run)."""
    start()
    for name in _psql(f"SELECT datname FROM pg_database WHERE datname LIKE '{prefix}%'").split():
        pid = name[len(prefix):]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            drop_database(name)


def main(argv: list[str]) -> int:
    """Command-line entry point."""
    cmd = argv[0] if argv else "status"
    dbname = argv[1] if len(argv) > 1 else DEFAULT_DB
    try:
        if cmd == "start":
            print(ensure_database(dbname))
        elif cmd == "stop":
            stop()
        elif cmd == "url":
            print(url(dbname))
        elif cmd == "status":
            print(f"{cluster_dir()}: {'running' if running() else 'stopped'} on port {port()}")
        else:
            print(f"unknown command {cmd!r}: use start, stop, status or url", file=sys.stderr)
            return 2
    except (LocalDbError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
