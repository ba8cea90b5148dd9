"""Backup and restore round trip: counts, a sample of records and the photos come back."""
from __future__ import annotations

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from grid_app import create_app
from grid_app.platform import localdb
from grid_app.platform.backup import backup, read_manifest, restore, table_counts
from grid_app.platform.errors import InvalidInput
from grid_app.extensions import db

from ..cases.helpers import jpeg, log_case
from ..conftest import PASSWORD  # noqa: F401  (users exist in the test database)


def test_round_trip(app, tmp_path):
    from grid_app.access.accounts import authenticate
    upload_dir = app.config["UPLOAD_DIR"]
    with app.app_context():
        worker = authenticate(db.session, "t-worker", PASSWORD)
        case, _ = log_case(db.session, worker, 100, 300, photos=[("a.jpg", jpeg())], upload_dir=upload_dir,
                           description="备份测试")
        photo_path = case.photos[0].path
        archive = str(tmp_path / "backup.tar.gz")
        manifest = backup(db.session, app.config["DATABASE_URL"], upload_dir, archive)
        source_counts = table_counts(db.session)
        sample = db.session.execute(text(
            "SELECT id, description, state, ST_AsText(geom) FROM case_record ORDER BY id")).all()
    assert manifest["counts"]["case_record"] >= 1 and read_manifest(archive)["schema_revision"]

    target_url = localdb.for_tests().ensure_database(f"grid_app_restore_{os.getpid()}", fresh=True)
    target_uploads = tmp_path / "restored-uploads"
    try:
        restore(target_url, str(target_uploads), archive)
        restored = create_app({"DATABASE_URL": target_url, "UPLOAD_DIR": str(target_uploads)})
        with restored.app_context():
            upgrade()  # already at head: a no-op that proves the schema version came along
            assert table_counts(db.session) == source_counts
            again = db.session.execute(text(
                "SELECT id, description, state, ST_AsText(geom) FROM case_record ORDER BY id")).all()
            assert again == sample
            db.engine.dispose()
        with open(target_uploads / photo_path, "rb") as fh:
            assert fh.read(2) == b"\xff\xd8"
    finally:
        create_engine(target_url).dispose()
        localdb.for_tests().drop_database(f"grid_app_restore_{os.getpid()}")


def test_not_a_backup(tmp_path):
    bogus = tmp_path / "x.tar.gz"
    bogus.write_bytes(b"not a tar")
    with pytest.raises(InvalidInput) as info:
        read_manifest(str(bogus))
    assert "x.tar.gz" in info.value.message
