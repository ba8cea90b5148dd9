"""The flask grid commands."""
from __future__ import annotations

import json

from grid_app.demo_data.load import DEMO_LAYERS

from . import district as d
from .geo import box, feature, multi, write_layer


def test_db_status(cli):
    out = cli.invoke(args=["grid", "db-status"]).output
    assert "PostGIS" in out and "schema revision: 00" in out


def test_validate_clean_district_has_only_warnings(cli):
    res = cli.invoke(args=["grid", "validate", "--community", d.COMM_B, "--json"])
    issues = json.loads(res.output)
    assert [i["kind"] for i in issues] == ["no_residential_area"]
    assert res.exit_code == 0


def test_validate_unknown_community(cli):
    res = cli.invoke(args=["grid", "validate", "--community", "123"])
    assert res.exit_code == 2 and "no community" in res.output


def test_import_refusal_names_file_and_feature(cli, tmp_path):
    bad = write_layer(tmp_path / "grids.geojson", [
        feature(multi(box(0, 0, 100, 100)), code=d.COMM_A + "009", name="x", community_code="nope")])
    res = cli.invoke(args=["grid", "import", bad])
    assert res.exit_code == 1
    assert "grids.geojson feature 0" in res.output and "nothing was written" in res.output


def test_load_demo_is_idempotent(cli):
    from grid_app.extensions import db
    from grid_app.models import Building
    from sqlalchemy import func, select
    first = cli.invoke(args=["grid", "load-demo"])
    assert first.exit_code == 0, first.output
    n = db.session.scalar(select(func.count(Building.id)))
    second = cli.invoke(args=["grid", "load-demo"])
    assert second.exit_code == 0, second.output
    assert db.session.scalar(select(func.count(Building.id))) == n >= 1500
    assert len(DEMO_LAYERS) == 6


def test_admin_actions_are_audited(cli, session):
    from grid_app.platform.audit import recent
    res = cli.invoke(args=["grid", "user-add", "audited-user", "--role", "planner", "--password", "long-enough-pw"])
    assert res.exit_code == 0, res.output
    res = cli.invoke(args=["grid", "api-key-add", "audited-client"])
    assert res.exit_code == 0, res.output
    actions = [(e.action, e.actor_name.startswith("cli:")) for e in recent(session, 2)]
    assert actions == [("api-key-add", True), ("user-add", True)]
    assert recent(session, 2)[1].detail["username"] == "audited-user"


def test_user_add_refuses_a_weak_password(cli):
    res = cli.invoke(args=["grid", "user-add", "weak", "--role", "planner", "--password", "short"])
    assert res.exit_code == 2 and "at least 8" in res.output
