"""Backups: the database (pg_dump custom format), the case photos and the schema version, in one tar.

What is atomic: a backup archive appears whole or not at all (written to a temporary file in the same
folder, then renamed). A restore replaces the database in one pg_restore --single-transaction (the old
contents or the backup's, never a mix) after the archive has been checked (format, a dump inside,
a schema revision this code knows); the photos are then moved in file by file (each move atomic,
existing photos never deleted) and the schema upgraded in Alembic's own transaction.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from grid_app.platform.errors import InvalidInput
from grid_app.platform.localdb import _bin

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")

COUNTED = ("community", "grid", "residential_area", "building", "app_user", "case_record", "case_event",
           "case_photo", "facility", "network_edge")


def libpq_url(sqlalchemy_url: str) -> str:
    """The libpq form of a SQLAlchemy URL (pg_dump and pg_restore take it as --dbname)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def table_counts(session: Session) -> dict[str, int]:
    """Row counts of the main tables, recorded in the manifest and compared after a restore."""
    return {t: int(session.execute(text(f"SELECT count(*) FROM {t}")).scalar()) for t in COUNTED}


def backup(session: Session, database_url: str, upload_dir: str, out_path: str) -> dict:
    """Write a backup archive, whole or not at all; returns its manifest."""
    folder = os.path.dirname(os.path.abspath(out_path))
    if not os.path.isdir(folder):
        raise InvalidInput(f"{out_path}: folder {folder} does not exist", code="bad_path")
    if os.path.isdir(out_path):
        raise InvalidInput(f"{out_path} is a folder; name the archive file", code="bad_path")
    revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    manifest = {"format": "grid_app-backup-1", "created_at": datetime.now(timezone.utc).isoformat(),
                "schema_revision": revision, "counts": table_counts(session)}
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "database.dump")
        res = subprocess.run([_bin("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                              f"--dbname={libpq_url(database_url)}", f"--file={dump}"],
                             capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {_first_error(res.stderr)}")
        fd, partial = tempfile.mkstemp(dir=folder, prefix=".backup-", suffix=".partial")
        os.close(fd)
        try:
            with tarfile.open(partial, "w:gz") as tar:
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                tar.add(dump, arcname="database.dump")
                if os.path.isdir(upload_dir):
                    tar.add(upload_dir, arcname="uploads")
            os.replace(partial, out_path)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
    return manifest


def _first_error(stderr: str) -> str:
    """The line of a pg_dump / pg_restore message that says what went wrong (not the context lines)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return next((line for line in lines if "error:" in line), lines[-1] if lines else "no message")


def read_manifest(archive: str) -> dict:
    """The manifest of a backup archive, or InvalidInput naming the file."""
    name = os.path.basename(archive)
    try:
        with tarfile.open(archive, "r:*") as tar:
            member = tar.extractfile("manifest.json")
            manifest = json.load(member)
    except FileNotFoundError as exc:
        raise InvalidInput(f"{name}: file not found", code="bad_backup") from exc
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot read file ({exc.strerror})", code="bad_backup") from exc
    except tarfile.TarError as exc:
        raise InvalidInput(f"{name}: not a grid_app backup (not a tar archive)", code="bad_backup") from exc
    except (KeyError, ValueError) as exc:
        raise InvalidInput(f"{name}: not a grid_app backup (no readable manifest.json)", code="bad_backup") from exc
    if manifest.get("format") != "grid_app-backup-1":
        raise InvalidInput(f"{name}: unknown backup format {manifest.get('format')!r}", code="bad_backup")
    return manifest


def check_restorable(archive: str) -> dict:
    """The manifest of an archive this code can restore, or InvalidInput before anything is written."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError
    name = os.path.basename(archive)
    manifest = read_manifest(archive)
    with tarfile.open(archive, "r:*") as tar:
        if "database.dump" not in tar.getnames():
            raise InvalidInput(f"{name}: the archive holds no database.dump", code="bad_backup")
    revision = manifest.get("schema_revision")
    try:
        if not revision or ScriptDirectory(MIGRATIONS).get_revision(revision) is None:
            raise CommandError("no revision")
    except CommandError as exc:
        raise InvalidInput(f"{name}: schema revision {revision!r} is unknown to this version of grid_app "
                           "(a newer backup?); nothing was restored", code="bad_backup") from exc
    return manifest


def restore(database_url: str, upload_dir: str, archive: str, on_database_restored=None) -> dict:
    """Replace the database's contents (one transaction) and add the archive's photos; returns its manifest."""
    manifest = check_restorable(archive)
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(tmp, filter="data")  # refuses absolute paths and links out of the folder
        res = subprocess.run([_bin("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                              "--single-transaction", f"--dbname={libpq_url(database_url)}",
                              os.path.join(tmp, "database.dump")], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"pg_restore failed: {_first_error(res.stderr)}")
        if on_database_restored is not None:
            on_database_restored()
        photos = os.path.join(tmp, "uploads")
        if os.path.isdir(photos):
            for root, _, files in os.walk(photos):
                rel = os.path.relpath(root, photos)
                os.makedirs(os.path.join(upload_dir, rel), exist_ok=True)
                for f in files:
                    os.replace(os.path.join(root, f), os.path.join(upload_dir, rel, f))
    return manifest
