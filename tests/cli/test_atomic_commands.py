"""All or nothing, everywhere: every `flask grid` command that writes is one transaction.

Each test injects a failure after the command's first write (the injected step first checks that
the write is visible inside the transaction) and asserts that no row of any table changed and that
the command exits non-zero with one `error:` line, no traceback. import-network has the same test in
tests/network/test_import_network_cli.py. The coverage job after an import is by design a separate
transaction (derived results, one job under an advisory lock): a failure there keeps the import.
"""
from __future__ import annotations

import os
import tarfile
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from grid_app.access.accounts import issue_token, start_session
from grid_app.cases import clock
from grid_app.models import ApiToken, Case, FacilityType, User

from .. import district as d
from ..cases.helpers import log_case
from ..coverage.test_coverage_service import covered_layers, street_network

SKIPPED = {"spatial_ref_sys", "alembic_version"}


def fingerprint(session) -> dict[str, str]:
    """An md5 of every row of every table: equal fingerprints mean nothing changed."""
    tables = session.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                  "ORDER BY tablename")).all()
    return {t: session.scalar(text(f"SELECT count(*) || ':' || coalesce(md5(string_agg(r::text, ',' "
                                   f"ORDER BY r::text)), '') FROM {t} r"))
            for t in tables if t not in SKIPPED}


def changed(before: dict, after: dict) -> list[str]:
    return sorted(t for t in before if before[t] != after.get(t))


class Injected(RuntimeError):
    """The failure a test injects."""


def fail_after_write(session, before, calls=1):
    """A stand-in for a later step: on its `calls`-th call it checks the command wrote, then raises."""
    seen = {"n": 0, "wrote": None}

    def boom(*args, **kwargs):
        seen["n"] += 1
        if seen["n"] < calls:
            return seen["real"](*args, **kwargs)
        seen["wrote"] = changed(before, fingerprint(session))
        raise Injected("injected after the first write")
    return boom, seen


def assert_refused(res, wrote, before, session, *, tail="nothing was written"):
    """Exit 1, one error line (no traceback), something had been written, and all of it is gone."""
    assert res.exit_code == 1, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Injected: injected after the first write" in errors[0], res.output
    assert tail in errors[0] and "Traceback" not in res.output
    assert wrote, "the failure was injected before anything was written"
    assert changed(before, fingerprint(session)) == []


def test_import(cli, session, tmp_path, monkeypatch):
    before = fingerprint(session)
    boom, seen = fail_after_write(session, before)
    monkeypatch.setattr("grid_app.places.importer.validation.assign_grids", boom)
    res = cli.invoke(args=["grid", "import", *d.write(tmp_path)])
    assert_refused(res, seen["wrote"], before, session)
    assert "dataset_version" in seen["wrote"]  # the same district again: only the versions move


def test_import_keeps_its_data_when_the_coverage_job_after_it_fails(cli, session, tmp_path, monkeypatch):
    """By design: coverage is derived, recomputed by its own job after the import commits."""
    def boom(*args, **kwargs):
        raise Injected("coverage job down")
    monkeypatch.setattr("grid_app.coverage.refresh.refresh", boom)
    path = str(tmp_path / "facilities.geojson")
    os.rename(covered_layers(tmp_path)[0], path)
    res = cli.invoke(args=["grid", "import", path])
    assert res.exit_code == 1
    assert "error: the coverage job failed (Injected: coverage job down); the data change is saved, " \
           "run flask grid coverage" in res.output and "Traceback" not in res.output
    assert session.scalar(text("SELECT count(*) FROM facility WHERE code = 'F-health-T1'")) == 1
    assert session.scalar(text("SELECT count(*) FROM audit_event WHERE action = 'import'")) >= 1


def test_init_db(cli, session, monkeypatch):
    session.execute(update(FacilityType).where(FacilityType.code == "market").values(name="改过的名字"))
    session.commit()
    before = fingerprint(session)
    boom, seen = fail_after_write(session, before)
    monkeypatch.setattr("grid_app.platform.reference.seed_categories", boom)
    res = cli.invoke(args=["grid", "init-db"])
    # The schema upgrade is Alembic's own transaction (at head here: nothing to do); the seeding is one more.
    assert_refused(res, seen["wrote"], before, session, tail="the schema upgrade was saved before this error")
    assert seen["wrote"] == ["facility_type"]
    assert session.scalar(select(FacilityType.name).where(FacilityType.code == "market")) == "改过的名字"


def test_load_demo(cli, session, monkeypatch):
    import grid_app.demo_data.load
    before = fingerprint(session)
    boom, seen = fail_after_write(session, before, calls=2)
    seen["real"] = grid_app.demo_data.load.replace_network

    def store_then_fail(*args, **kwargs):
        boom(*args, **kwargs)  # call 1: the real write
        return boom(*args, **kwargs)  # call 2: raise
    monkeypatch.setattr("grid_app.demo_data.load.replace_network", store_then_fail)
    res = cli.invoke(args=["grid", "load-demo"])
    assert_refused(res, seen["wrote"], before, session, tail="the schema upgrade was saved before this error")
    assert {"building", "app_user", "network_edge"} <= set(seen["wrote"])


def test_user_add_with_new_password_and_role(cli, session, users, monkeypatch):
    worker = users["worker"]
    issue_token(session, worker, "phone")
    start_session(session, worker)
    session.commit()
    before = fingerprint(session)
    boom, seen = fail_after_write(session, before)
    monkeypatch.setattr("grid_app.cli.atomic.audit.record", boom)
    res = cli.invoke(args=["grid", "user-add", worker.username, "--role", "secretary", "--community", d.COMM_B,
                           "--password", "a-brand-new-password"])
    assert_refused(res, seen["wrote"], before, session)
    assert {"app_user", "api_token", "user_session", "user_grid"} <= set(seen["wrote"])


def test_user_add_with_an_unknown_grid_touches_nothing(cli, session, users):
    before = fingerprint(session)
    res = cli.invoke(args=["grid", "user-add", users["worker"].username, "--role", "worker", "--grid", "nope",
                           "--password", "a-brand-new-password"])
    assert res.exit_code == 2 and "error: no grid with code 'nope'; nothing was written" in res.output
    assert changed(before, fingerprint(session)) == []


@pytest.mark.parametrize("command", [["token-revoke", "--all"], ["user-disable"]])
def test_token_revoke_and_user_disable(cli, session, users, monkeypatch, command):
    user = users["api"]
    issue_token(session, user, "a")
    issue_token(session, user, "b")
    session.commit()
    before = fingerprint(session)
    boom, seen = fail_after_write(session, before)
    monkeypatch.setattr("grid_app.cli.atomic.audit.record", boom)
    res = cli.invoke(args=["grid", command[0], user.username, *command[1:]])
    assert_refused(res, seen["wrote"], before, session)
    assert "api_token" in seen["wrote"]
    assert session.scalar(select(User.active).where(User.id == user.id))
    assert all(t.revoked_at is None for t in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))


def test_api_key_add_and_revoke(cli, session, monkeypatch):
    assert cli.invoke(args=["grid", "api-key-add", "live-client"]).exit_code == 0
    before = fingerprint(session)
    boom, seen = fail_after_write(session, before)
    monkeypatch.setattr("grid_app.cli.atomic.audit.record", boom)
    assert_refused(cli.invoke(args=["grid", "api-key-add", "new-client"]), seen["wrote"], before, session)
    boom, seen = fail_after_write(session, before)
    monkeypatch.setattr("grid_app.cli.atomic.audit.record", boom)
    assert_refused(cli.invoke(args=["grid", "api-key-revoke", "live-client"]), seen["wrote"], before, session)


def test_escalate(cli, session, users, monkeypatch):
    import grid_app.cases.transitions as transitions
    cases = [log_case(session, users["worker"], 100 + 10 * i, 300)[0] for i in range(3)]
    past = clock.now() - timedelta(hours=1)
    session.execute(update(Case).where(Case.id.in_([c.id for c in cases])).values(deadline=past))
    session.commit()
    before = fingerprint(session)
    boom, seen = fail_after_write(session, before, calls=2)  # the first case escalates, the second fails
    seen["real"] = transitions.workflow.next_level
    monkeypatch.setattr(transitions.workflow, "next_level", boom)
    # Batches of one case, so a commit per batch would leave the first escalation behind.
    monkeypatch.setattr(transitions.escalate_overdue, "__defaults__", (None, 1, True))
    res = cli.invoke(args=["grid", "escalate"])
    assert_refused(res, seen["wrote"], before, session)
    assert {"case_record", "case_event"} <= set(seen["wrote"])
    assert set(session.scalars(select(Case.level).where(Case.id.in_([c.id for c in cases])))) == {"grid"}


def test_coverage_pass_is_one_transaction(cli, session, tmp_path, monkeypatch):
    """The coverage job swaps every stale type of a pass at once: a failure midway keeps the old results."""
    import grid_app.coverage.refresh as job
    assert cli.invoke(args=["grid", "import-network", street_network(tmp_path)]).exit_code == 0
    assert cli.invoke(args=["grid", "import", *covered_layers(tmp_path)]).exit_code == 0
    before = fingerprint(session)
    boom, seen = fail_after_write(session, before, calls=3)  # two types computed and written, then a failure
    seen["real"] = job.store_type
    monkeypatch.setattr(job, "store_type", boom)
    res = cli.invoke(args=["grid", "coverage", "--force"])
    assert_refused(res, seen["wrote"], before, session)
    assert "coverage_run" in seen["wrote"]  # results rewritten (the same distances), runs restamped


@pytest.mark.parametrize("command", [["db-status"], ["validate"], ["api-key-list"]])
def test_read_only_commands_write_nothing(cli, session, command):
    before = fingerprint(session)
    cli.invoke(args=["grid", *command])
    assert changed(before, fingerprint(session)) == []


def test_backup_is_whole_or_absent(cli, session, tmp_path, monkeypatch):
    out = tmp_path / "b.tar.gz"
    before = fingerprint(session)
    boom, seen = fail_after_write(session, before)
    monkeypatch.setattr("grid_app.cli.atomic.audit.record", lambda *a, **k: (_ for _ in ()).throw(
        Injected("injected after the first write")))
    res = cli.invoke(args=["grid", "backup", str(out)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert not out.exists() and os.listdir(tmp_path) == []  # an archive nobody audited is removed
    monkeypatch.undo()

    def broken_add(self, *args, **kwargs):
        raise Injected("disk full")
    monkeypatch.setattr(tarfile.TarFile, "add", broken_add)
    res = cli.invoke(args=["grid", "backup", str(out)])
    assert res.exit_code == 1 and "error: Injected: disk full; nothing was written" in res.output
    assert os.listdir(tmp_path) == []  # no half archive, no temporary file left
    assert changed(before, fingerprint(session)) == []


def test_restore_replaces_the_database_in_one_transaction(app, tmp_path):
    """pg_restore --single-transaction: a dump that breaks midway leaves the old database whole."""
    from grid_app import create_app
    from grid_app.platform import localdb
    from grid_app.platform.audit import record
    from grid_app.platform.backup import backup
    from grid_app.extensions import db
    with app.app_context():
        good = str(tmp_path / "good.tar.gz")
        backup(db.session, app.config["DATABASE_URL"], app.config["UPLOAD_DIR"], good)
    broken, unknown = str(tmp_path / "broken.tar.gz"), str(tmp_path / "newer.tar.gz")
    _rewrite(good, broken, dump=lambda data: data[: len(data) * 2 // 3])
    _rewrite(good, unknown, manifest=lambda m: {**m, "schema_revision": "9999"})

    name = f"grid_app_restore_cli_{os.getpid()}"
    target = create_app({"DATABASE_URL": localdb.for_tests().ensure_database(name, fresh=True),
                         "UPLOAD_DIR": str(tmp_path / "uploads"), "TESTING": True})
    runner = target.test_cli_runner()
    try:
        assert runner.invoke(args=["grid", "restore", good, "--yes"]).exit_code == 0
        with target.app_context():
            record(db.session, "marker")  # a row the broken restore would drop if it got through
            db.session.commit()
            before = fingerprint(db.session)
        res = runner.invoke(args=["grid", "restore", broken, "--yes"])
        assert res.exit_code == 1 and "Traceback" not in res.output
        errors = [line for line in res.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "pg_restore failed" in errors[0] and "nothing was written" in errors[0]
        res = runner.invoke(args=["grid", "restore", unknown, "--yes"])
        assert res.exit_code == 2 and "schema revision '9999' is unknown" in res.output
        with target.app_context():
            assert changed(before, fingerprint(db.session)) == []
            db.session.remove()
            db.engine.dispose()
    finally:
        localdb.for_tests().drop_database(name)


def _rewrite(src: str, dst: str, *, dump=None, manifest=None) -> None:
    """A copy of a backup archive with its dump or its manifest changed."""
    import io
    import json
    with tarfile.open(src, "r:gz") as tar_in, tarfile.open(dst, "w:gz") as tar_out:
        for member in tar_in.getmembers():
            data = tar_in.extractfile(member).read() if member.isfile() else None
            if member.name == "database.dump" and dump:
                data = dump(data)
            if member.name == "manifest.json" and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            if data is not None:
                member.size = len(data)
                tar_out.addfile(member, io.BytesIO(data))
            else:
                tar_out.addfile(member)


BAD_INPUT = [  # (arguments, exit code, what the one error names); {t} is a scratch folder
    (["import", "{t}/missing.geojson"], 1, "missing.geojson: file not found"),
    (["import", "{t}/folder.geojson", "--level", "grids"], 1, "folder.geojson: is a folder, not a file"),
    (["import", "{t}/grids.geojson"], 1, "grids.geojson: cannot read file"),
    (["import", "{t}/grids.geojson", "--level", "blocks"], 1, "grids.geojson: cannot tell which layer this is "
                                                              "(unknown level"),
    (["import", "{t}/grids.geojson", "--encoding", "NOPE"], 1, "unknown text encoding 'NOPE'"),
    (["import", "{t}/grids.geojson", "--report", "{t}/no/r.csv"], 2, "r.csv: folder"),
    (["validate", "--community", "999"], 2, "no community with code '999'"),
    (["load-demo", "--path", "{t}/no-demo"], 2, "no-demo: no such folder"),
    (["user-add", "someone", "--role", "worker", "--grid", "999", "--password", "long-enough-pw"], 2,
     "no grid with code '999'"),
    (["user-add", "someone", "--role", "street", "--password", "long-enough-pw"], 2, "a street code is required"),
    (["token-revoke", "nobody"], 2, "no user named 'nobody'"),
    (["user-disable", "nobody"], 2, "no user named 'nobody'"),
    (["api-key-revoke", "nobody"], 2, "no Open311 client named 'nobody'"),
    (["import-network", "{t}/missing.geojson"], 1, "missing.geojson: file not found"),
    (["import-network", "{t}/grids.geojson"], 1, "grids.geojson"),
    (["coverage", "--type", "zoo"], 2, "unknown facility type zoo"),
    (["backup", "{t}/no/b.tar.gz"], 2, "b.tar.gz: folder"),
    (["restore", "{t}/missing.tar.gz", "--yes"], 2, "missing.tar.gz: file not found"),
    (["restore", "{t}/grids.geojson", "--yes"], 2, "grids.geojson: not a grid_app backup"),
]


@pytest.mark.parametrize("args, status, names", BAD_INPUT, ids=[" ".join(a[:2]) for a, _, _ in BAD_INPUT])
def test_bad_input_is_one_clear_error_and_writes_nothing(cli, session, tmp_path, args, status, names):
    (tmp_path / "grids.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    (tmp_path / "folder.geojson").mkdir()
    before = fingerprint(session)
    res = cli.invoke(args=["grid", *(a.format(t=tmp_path) for a in args)])
    assert res.exit_code == status, res.output
    assert names in res.output and "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)  # refused, not crashed
    assert changed(before, fingerprint(session)) == []
