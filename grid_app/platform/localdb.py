"""Project-local PostgreSQL + PostGIS clusters under instance/: the app's, and the tests' own.

Run as ``python -m grid_app.platform.localdb [--test] start|stop|status|url [DBNAME]``. The app's cluster
(instance/pg, port 54329) serves the demo and a default install and keeps PostgreSQL's durable
defaults; ``--test`` picks the test suite's throw-away cluster (instance/pg-test, port 54339), the
only one that trades durability for speed. PostgreSQL refuses to run as root, so when we are root
the server runs as the ``postgres`` system user. Tests that stop the server or need a replica make
their own ``Cluster`` in a scratch folder.
"""
from __future__ import annotations

import fcntl
import glob
import os
import pwd
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

DEFAULT_PORT = 54329
TEST_PORT = 54339
DEFAULT_DB = "grid_app"
ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ("max_connections = 200\nshared_buffers = 256MB\nwal_level = replica\nmax_wal_senders = 5\n"
            "hot_standby = on\n")
# What a crash (power cut, killed server) may cost depends on these three; all "on" is PostgreSQL's default.
DURABILITY = ("fsync", "synchronous_commit", "full_page_writes")


class LocalDbError(RuntimeError):
    """The local cluster could not be created or started."""


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


def _give_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(path, pg.pw_uid, pg.pw_gid)


class Cluster:
    """One PostgreSQL cluster: a data folder, a socket folder and a loopback port.

    durable=False turns fsync, synchronous_commit and full_page_writes off: a crash can then lose
    acknowledged commits or corrupt the cluster, so only throw-away test clusters may ask for it.
    """

    def __init__(self, base: str | Path, port: int, durable: bool = True):
        self.base = Path(base).resolve()
        self.port = port
        self.durable = durable
        self.data = self.base / "data"
        self.socket_dir = self.base / "run"
        self.log = self.base / "server.log"

    def url(self, dbname: str = DEFAULT_DB) -> str:
        """SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg2://grid_app@/{dbname}?host={self.socket_dir}&port={self.port}"

    def initialised(self) -> bool:
        """True when the data folder holds a cluster."""
        return (self.data / "PG_VERSION").exists()

    def running(self) -> bool:
        """True when the server answers on its socket."""
        res = subprocess.run([_bin("pg_isready"), "-q", "-h", str(self.socket_dir), "-p", str(self.port)],
                             check=False)
        return res.returncode == 0

    def _prepare_base(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        _give_to_postgres(self.base)
        if os.geteuid() == 0:
            # postgres must be able to traverse every parent of the cluster folder.
            for parent in self.base.parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
        self.socket_dir.mkdir(exist_ok=True)
        _give_to_postgres(self.socket_dir)

    def _configure(self) -> None:
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\n# grid_app local cluster\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.socket_dir}'\n{SETTINGS}")
        with open(self.data / "pg_hba.conf", "a", encoding="utf-8") as hba:
            hba.write("local replication all trust\nhost replication all 127.0.0.1/32 trust\n")

    def init(self) -> None:
        """Create the cluster (trust auth on the socket and loopback only)."""
        self._prepare_base()
        res = _as_owner([_bin("initdb"), "-D", str(self.data), "-U", "grid_app", "--auth=trust",
                         "-E", "UTF8", "--locale=C.UTF-8"])
        if res.returncode != 0:
            raise LocalDbError(f"initdb failed:\n{res.stdout}{res.stderr}")
        self._configure()

    def init_replica_of(self, primary: Cluster) -> None:
        """Create this cluster as a streaming replica of a running primary (pg_basebackup)."""
        self._prepare_base()
        res = _as_owner([_bin("pg_basebackup"), "-h", str(primary.socket_dir), "-p", str(primary.port),
                         "-U", "grid_app", "-D", str(self.data), "-R", "-X", "stream", "-c", "fast"])
        if res.returncode != 0:
            raise LocalDbError(f"pg_basebackup failed:\n{res.stdout}{res.stderr}")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\n# replica\nport = {self.port}\nunix_socket_directories = '{self.socket_dir}'\n")

    @contextmanager
    def _locked(self):
        """Serialise starting this cluster between processes (two test runs may start it at once)."""
        self.base.parent.mkdir(parents=True, exist_ok=True)
        with open(self.base.parent / f".{self.base.name}.lock", "w", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def start(self, timeout: float = 30.0) -> None:
        """Create the cluster if needed, start it and give it this object's durability settings."""
        with self._locked():
            if not self.initialised():
                self.init()
            if not self.running():
                self._start_server(timeout)
            self._apply_durability()

    def durability(self) -> dict[str, str]:
        """The running server's fsync, synchronous_commit and full_page_writes."""
        names = ", ".join(f"'{n}'" for n in DURABILITY)
        rows = self.psql(f"SELECT name, setting FROM pg_settings WHERE name IN ({names})")
        return dict(line.split("|", 1) for line in rows.split())

    def _apply_durability(self) -> None:
        """Make the running server as durable as asked: ALTER SYSTEM, then a reload (no restart needed).

        This also repairs clusters made by earlier versions, which wrote fsync = off into the
        postgresql.conf of every cluster: ALTER SYSTEM's postgresql.auto.conf overrides it."""
        wanted = "on" if self.durable else "off"
        if all(value == wanted for value in self.durability().values()):
            return
        for name in DURABILITY:
            self.psql(f"ALTER SYSTEM SET {name} = {wanted}")
        self.psql("SELECT pg_reload_conf()")
        deadline = time.time() + 10
        while any(v != wanted for v in self.durability().values()):
            if time.time() > deadline:
                raise LocalDbError(f"{self.base}: the server did not take {wanted} for {', '.join(DURABILITY)}")
            time.sleep(0.1)
        if self.durable:
            # Pages written while fsync was off may still sit in the kernel's cache only; PostgreSQL's
            # documentation asks for them to be flushed once fsync is back on.
            self.psql("CHECKPOINT")
            os.sync()

    def _start_server(self, timeout: float) -> None:
        if not self.log.exists():
            self.log.touch()
            _give_to_postgres(self.log)
        res = _as_owner([_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                         "-o", f"-p {self.port}", "-w", "-t", str(int(timeout)), "start"])
        deadline = time.time() + timeout
        while not self.running() and time.time() < deadline:
            time.sleep(0.2)
        if not self.running():
            tail = self.log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise LocalDbError(f"PostgreSQL did not start:\n{res.stdout}{res.stderr}\n{tail}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server."""
        if self.initialised() and self.running():
            _as_owner([_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL with psql and return its output."""
        res = subprocess.run([_bin("psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", "grid_app",
                              "-d", dbname, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
                             check=True, capture_output=True, text=True)
        return res.stdout

    def ensure_database(self, dbname: str = DEFAULT_DB, fresh: bool = False) -> str:
        """Start the cluster, create the database (dropped first when fresh) and return its URL."""
        self.start()
        if fresh:
            self.drop_database(dbname)
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'").strip():
            self.psql(f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)

    def drop_database(self, dbname: str) -> None:
        """Drop a database (its connections are ended first)."""
        self.psql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    def drop_stale_databases(self, prefix: str) -> None:
        """Drop databases named prefix + PID whose process has ended (left by a killed test run)."""
        self.start()
        for name in self.psql(f"SELECT datname FROM pg_database WHERE datname LIKE '{prefix}%'").split():
            pid = name[len(prefix):]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                self.drop_database(name)


def default() -> Cluster:
    """The app's cluster: GRID_APP_PGDATA (default instance/pg), port GRID_APP_PGPORT (54329); durable."""
    return Cluster(os.environ.get("GRID_APP_PGDATA", ROOT / "instance" / "pg"),
                   int(os.environ.get("GRID_APP_PGPORT", DEFAULT_PORT)))


def for_tests() -> Cluster:
    """The test suite's cluster: GRID_APP_TEST_PGDATA (instance/pg-test), port GRID_APP_TEST_PGPORT (54339).

    Not durable, on purpose: it only ever holds databases a test run makes and drops, and fsync on every
    commit and CREATE DATABASE would make the suite much slower. Never point it at data you keep."""
    return Cluster(os.environ.get("GRID_APP_TEST_PGDATA", ROOT / "instance" / "pg-test"),
                   int(os.environ.get("GRID_APP_TEST_PGPORT", TEST_PORT)), durable=False)


def url(dbname: str = DEFAULT_DB) -> str:
    """SQLAlchemy URL of a database in the project's cluster."""
    return default().url(dbname)


def ensure_database(dbname: str = DEFAULT_DB, fresh: bool = False) -> str:
    """Start the project's cluster and create the database; return its URL."""
    return default().ensure_database(dbname, fresh)


def drop_database(dbname: str) -> None:
    """Drop a database of the project's cluster."""
    default().drop_database(dbname)


def drop_stale_databases(prefix: str) -> None:
    """Drop leftover per-process databases of the project's cluster."""
    default().drop_stale_databases(prefix)


def main(argv: list[str]) -> int:
    """Command-line entry point: [--test] start|stop|status|url [DBNAME]."""
    cluster = default()
    if argv[:1] == ["--test"]:
        cluster, argv = for_tests(), argv[1:]
    cmd = argv[0] if argv else "status"
    dbname = argv[1] if len(argv) > 1 else DEFAULT_DB
    try:
        if cmd == "start":
            print(cluster.ensure_database(dbname))
        elif cmd == "stop":
            cluster.stop()
        elif cmd == "url":
            print(cluster.url(dbname))
        elif cmd == "status":
            if cluster.running():
                settings = ", ".join(f"{k} = {v}" for k, v in cluster.durability().items())
                print(f"{cluster.base}: running on port {cluster.port} ({settings})")
            else:
                print(f"{cluster.base}: stopped (port {cluster.port})")
        else:
            print(f"unknown command {cmd!r}: use start, stop, status or url", file=sys.stderr)
            return 2
    except (LocalDbError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
