"""The planner's coverage report agrees with the API and writes four readable files."""
from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

from grid_app.coverage_report import write_report
from grid_app.maps.standalone import coverage_map_file

from .. import district as d
from .test_coverage_service import SPEED, covered  # noqa: F401  (fixture)


def test_report_files_match_the_api(app, login, covered, tmp_path):  # noqa: F811
    with app.test_request_context("/?lang=zh"):
        paths = write_report(covered, str(tmp_path), d.COMM_A, ["health_station", "market"], 5, SPEED,
                             lambda t, m: coverage_map_file(covered, d.COMM_A, t, m, app.config), progress=False)
    api = login("secretary").get(f"/api/v1/coverage?community={d.COMM_A}&type=health_station&minutes=5").get_json()
    rows = list(csv.DictReader(io.StringIO(open(paths["csv"], encoding="utf-8-sig").read())))
    health = [r for r in rows if r["设施类型"] == "health_station"]
    assert sum(int(r["居民"]) for r in health if r["是否覆盖"] == "是") == api["residents_covered"]
    assert sum(int(r["居民"]) for r in health) == api["residents_total"]
    ws = load_workbook(paths["xlsx"])["覆盖汇总"]
    total = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "health_station" and r[3] == "（合计）")
    assert (total[4], total[5]) == (api["residents_total"], api["residents_covered"])
    geo = json.load(open(paths["geojson"], encoding="utf-8"))
    assert {f["id"] for f in geo["features"]} >= {d.COMM_A + "B901"}
    html = open(paths["html"], encoding="utf-8").read()
    assert "https://cdn" not in html and "L.map" in html and "步行" in html
    assert "html, body { width: 100%; height: 100%" in html  # the map fills the page
