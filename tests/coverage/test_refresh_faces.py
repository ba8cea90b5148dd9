"""The coverage job builds and stores the isochrones' block index, so no request builds it."""
from __future__ import annotations

import os

from grid_app.coverage import prepared
from grid_app.coverage import service as coverage_service
from grid_app.coverage.faces import FaceIndex
from grid_app.coverage.refresh import refresh
from grid_app.network.store import read_network_file, replace_network
from grid_app.places.importer import import_files

from .test_coverage_service import SPEED, covered_layers, street_network
from .test_prepared_cache import cache_dir  # noqa: F401  (fixture)


def _refuse(*_args):
    raise AssertionError("a request built the face index: the coverage job should have")


def test_coverage_job_stores_the_face_index(session, cache_dir, monkeypatch, tmp_path):
    replace_network(session, read_network_file(street_network(tmp_path)), progress=False)
    import_files(session, covered_layers(tmp_path), progress=False)
    report = refresh(session, SPEED)
    assert report.computed
    assert [n for n in os.listdir(cache_dir) if n.startswith("faces-")]  # before any isochrone request
    with monkeypatch.context() as m:  # a web process started after the job
        m.setattr(prepared, "_cache", {})
        m.setattr(FaceIndex, "__init__", _refuse)
        found = coverage_service.isochrones_geojson(session, "health_station", 5, SPEED)
    assert found["features"]
