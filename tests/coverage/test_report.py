"""The planner's coverage report agrees with the API and writes four readable files."""
from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

from grid_app.coverage.report import write_report
from grid_app.maps.standalone import coverage_map_file
from grid_app.platform.i18n import translator

from .. import district as d
from .test_coverage_service import SPEED, covered  # noqa: F401  (fixture)


def test_report_files_match_the_api(app, login, covered, tmp_path):  # noqa: F811
    paths = write_report(covered, str(tmp_path), d.COMM_A, ["health_station", "market"], 5, SPEED,
                         lambda view: coverage_map_file(covered, view, app.config, gettext=translator("zh"), lang="zh"),
                         progress=False)
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


def test_report_is_honest_about_missing_facilities_and_homes_off_the_network(app, covered, tmp_path):  # noqa: F811
    shown = []

    def map_html(view):
        shown.append(view.walk.type_code)
        return "<html></html>"
    paths = write_report(covered, str(tmp_path), d.COMM_A, ["market", "health_station"], None, SPEED,
                         map_html, progress=False)
    assert shown == ["health_station"]  # the map shows the first type that has facilities
    rows = list(csv.DictReader(io.StringIO(open(paths["csv"], encoding="utf-8-sig").read())))
    market = {r["楼栋编码"]: r for r in rows if r["设施类型"] == "market"}
    assert {r["是否覆盖"] for r in market.values()} == {"无此类设施"}
    health = {r["楼栋编码"]: r for r in rows if r["设施类型"] == "health_station"}
    assert health[d.COMM_A + "B903"]["是否覆盖"] == "离路网过远" and health[d.COMM_A + "B903"]["状态"] == "unsnapped"
    ws = load_workbook(paths["xlsx"])["覆盖汇总"]
    header = [c.value for c in ws[1]]
    totals = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True) if r[3] == "（合计）"}
    assert totals["market"]["覆盖居民"] is None and "无此类设施" in totals["market"]["说明"]
    assert totals["health_station"]["离路网过远居民"] == 9 and not totals["health_station"]["说明"]
