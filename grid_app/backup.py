"""Backups: the database (pg_dump custom format), the case photos and the schema version, in one tar."""
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

from .errors import InvalidInput
from .localdb import _bin

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
    """Write a backup archive; returns its manifest."""
    revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    manifest = {"format": "grid_app-backup-1", "created_at": datetime.now(timezone.utc).isoformat(),
                "schema_revision": revision, "counts": table_counts(session)}
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "database.dump")
        res = subprocess.run([_bin("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                              f"--dbname={libpq_url(database_url)}", f"--file={dump}"],
                             capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {res.stderr.strip()}")
        with tarfile.open(out_path, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname="database.dump")
            if os.path.isdir(upload_dir):
                tar.add(upload_dir, arcname="uploads")
    return manifest


def read_manifest(archive: str) -> dict:
    """The manifest of a backup archive, or InvalidInput naming the file."""
    name = os.path.basename(archive)
    try:
        with tarfile.open(archive, "r:*") as tar:
            member = tar.extractfile("manifest.json")
            manifest = json.load(member)
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise InvalidInput(f"{name}: not a grid_app backup ({exc})", code="bad_backup") from exc
    if manifest.get("format") != "grid_app-backup-1":
        raise InvalidInput(f"{name}: unknown backup format {manifest.get('format')!r}", code="bad_backup")
    return manifest


def restore(database_url: str, upload_dir: str, archive: str) -> dict:
    """Replace the database's contents and the photos with the archive's; returns its manifest."""
    manifest = read_manifest(archive)
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(tmp, filter="data")  # refuses absolute paths and links out of the folder
        res = subprocess.run([_bin("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                              "--single-transaction", f"--dbname={libpq_url(database_url)}",
                              os.path.join(tmp, "database.dump")], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"pg_restore failed: {res.stderr.strip()[-2000:]}")
        photos = os.path.join(tmp, "uploads")
        if os.path.isdir(photos):
            for root, _, files in os.walk(photos):
                rel = os.path.relpath(root, photos)
                os.makedirs(os.path.join(upload_dir, rel), exist_ok=True)
                for f in files:
                    os.replace(os.path.join(root, f), os.path.join(upload_dir, rel, f))
    return manifest
