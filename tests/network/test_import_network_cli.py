"""`flask grid import-network`: one transaction, refuses unsupported input first, reports pieces."""
from __future__ import annotations

import csv

from sqlalchemy import func, select, text

from grid_app.places.importer.problems import Problem, Row, problem_rows, summary, write_report
from grid_app.models import NetworkEdge

from .test_noding import _ew, _ns, _write


def _stored(session):
    return session.execute(text("SELECT count(*), coalesce(sum(length_m), 0) FROM network_edge")).one()


def test_import_prints_components_and_stores_ground(cli, session, tmp_path):
    path = _write(tmp_path, [_ew(0, {"highway": "residential"}), _ns(0, {"highway": "footway"}),
                             _ns(50, {"highway": "footway", "bridge": "yes", "layer": "1"}),
                             _ew(900, {"railway": "rail"})])
    res = cli.invoke(args=["grid", "import-network", path])
    assert res.exit_code == 0, res.output
    assert "7 nodes, 5 edges" in res.output  # the bridge joins nothing
    assert "class rail 1" in res.output and "2 connected component(s)" in res.output
    assert session.scalar(select(func.count()).select_from(NetworkEdge).where(NetworkEdge.ground.is_(False))) == 1


def test_failure_after_the_first_write_leaves_everything(cli, session, tmp_path, monkeypatch):
    first = _write(tmp_path, [_ew(0, {"highway": "residential"})], "first.geojson")
    assert cli.invoke(args=["grid", "import-network", first]).exit_code == 0
    before = _stored(session)

    def boom(*args, **kwargs):
        raise RuntimeError("injected after the network was written")
    monkeypatch.setattr("grid_app.network.importer.pieces", boom)
    second = _write(tmp_path, [_ew(0, {"highway": "footway"}), _ns(0, {"highway": "footway"})], "second.geojson")
    res = cli.invoke(args=["grid", "import-network", second])
    assert res.exit_code == 1 and "RuntimeError: injected after the network was written" in res.output
    assert "nothing was written" in res.output and "Traceback" not in res.output
    assert _stored(session) == before


def test_pois_with_a_line_layer_is_refused_before_writing(cli, session, tmp_path):
    first = _write(tmp_path, [_ew(0, {"highway": "residential"})], "first.geojson")
    assert cli.invoke(args=["grid", "import-network", first]).exit_code == 0
    before = _stored(session)
    res = cli.invoke(args=["grid", "import-network", _write(tmp_path, [_ns(0, {"highway": "footway"})]), "--pois"])
    assert res.exit_code == 1
    assert "--pois needs an OSM extract" in res.output and "nothing was written" in res.output
    assert "Traceback" not in res.output
    assert _stored(session) == before


def test_warnings_grouped_with_count_and_ten_examples(tmp_path):
    rows = [Row("warning", "no_residential_area", "buildings.geojson", i, f"B{i:04d}", "building in no area",
                117.0, 30.0) for i in range(1073)]
    rows += problem_rows([Problem("grids.geojson", 3, "overlap: 12 m² near 117,30", "G1")])
    lines = summary(rows)
    assert lines[0] == "warning: no_residential_area: 1073"
    assert len([ln for ln in lines if "building in no area" in ln]) == 10
    assert "... and 1063 more" in lines[11]
    assert "problem: overlap: 1" in lines
    assert len(summary(rows, verbose=True)) == 1073 + 1 + 2
    report = tmp_path / "report.csv"
    write_report(str(report), rows + [Row("warning", "x", "f", 1, "=cmd()", "+1", None, None)])
    got = list(csv.DictReader(report.open(encoding="utf-8-sig")))
    assert len(got) == 1075 and got[0]["file"] == "buildings.geojson" and got[0]["lon"] == "117.0000000"
    assert got[-1]["code"] == "'=cmd()"  # never a formula in a spreadsheet
