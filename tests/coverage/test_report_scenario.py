"""The planner's report draws a saved scenario on its HTML map; without one the map is today's alone."""
from __future__ import annotations

import json
import re

import pytest

from grid_app.coverage import scenario_store
from grid_app.coverage.refresh import refresh
from grid_app.coverage.report import write_report
from grid_app.maps.scenario_layer import layer_names
from grid_app.maps.standalone import coverage_map_file
from grid_app.models.scenario import CoverageScenario
from grid_app.places.hierarchy import community_by_code
from grid_app.platform.i18n import translator

from .. import district as d
from ..geo import lonlat
from .test_scenarios import SPEED, TYPE, add_facility, streets  # noqa: F401  (fixture)

ZH = translator("zh")


@pytest.fixture()
def saved(session, streets, users):  # noqa: F811
    """A saved scenario of community A: one planned station by the tower, one closed station far north."""
    closed = add_facility(session, "F-elder-A-north", 450, 950, d.COMM_A)
    refresh(session, SPEED)  # the report's own figures come from the stored coverage
    row = scenario_store.save(session, community_by_code(session, d.COMM_A), users["planner"], {
        "type": TYPE, "name": "北侧<新站>", "minutes": 3, "remove": [closed.id],
        "add": [{**dict(zip(("lon", "lat"), lonlat(250, 320))), "name": "规划养老站", "capacity": 30}]}, SPEED)
    return scenario_store.figures(session, session.get(CoverageScenario, row["id"]), SPEED)


def controls(html: str, css_class: str) -> str:
    """The HTML of the map's legend-like controls holding css_class, as the page sets it."""
    found = [json.loads(s) for s in re.findall(r'div\.innerHTML = ("(?:[^"\\]|\\.)*");', html)]
    return "".join(h for h in found if css_class in h)


def report_html(app, session, tmp_path, types, minutes, scenario=None) -> str:
    paths = write_report(session, str(tmp_path), d.COMM_A, types, minutes, SPEED,
                         lambda view: coverage_map_file(session, view, app.config, gettext=ZH, lang="zh",
                                                        scenario=scenario),
                         progress=False, scenario=scenario)
    return open(paths["html"], encoding="utf-8").read()


def test_the_map_draws_the_scenario_next_to_today(app, session, saved, tmp_path):
    # the report's own minutes (each type's circle level) differ from the scenario's: the map follows the scenario
    html = report_html(app, session, tmp_path, ["health_station", TYPE], None, saved)
    site = saved["added"][0]
    assert f"[{site['lon']},{site['lat']}]" in html  # the planned site, as a GeoJSON point
    for name in layer_names(ZH).values():  # in the layer list, each declared before the list's script names it
        variable = re.search(rf'"{re.escape(name)}" : (geo_json_[0-9a-f]+)', html).group(1)
        assert html.index(f"var {variable} = ") < html.index("L.control.layers(")
    assert "方案：规划站点" in html and "方案：关闭设施" in html
    assert "F-elder-A-north" in html and "本方案中关闭" in html  # the closed station, marked closed
    tower = next(h for h in saved["gained"] if h["code"] == d.TOWER)
    assert f"[{tower['lon']},{tower['lat']}]" in html and "新覆盖" in html
    assert "步行 3 分钟可达范围" in html  # today's coverage at the scenario's minutes
    panel, legend = controls(html, "scenario-figures"), controls(html, "<h4>图例</h4>")
    # the figures panel: the name escaped, covered residents and share today -> scenario, the gain
    assert f"方案：北侧&lt;新站&gt; (#{saved['id']})" in panel and "北侧<新站>" not in html
    assert (saved["residents_covered_today"], saved["residents_covered"], saved["residents_gained"]) == (0, 390, 390)
    assert "覆盖居民</th><td>0</td><td>390</td>" in panel and "<td>0.0%</td><td>75.0%</td>" in panel
    assert "新增覆盖居民: +390 (1 栋)" in panel
    assert all(label in legend for label in ("规划站点", "关闭设施", "新覆盖", "不再覆盖"))  # legend entries


def test_a_report_without_a_scenario_is_unchanged(app, session, saved, tmp_path):
    html = report_html(app, session, tmp_path, ["health_station", TYPE], None)
    assert not any(name in html for name in layer_names(ZH).values())
    assert "规划站点" not in html and "ScenarioFigures" not in html and "scenario-figures" not in html
    # today's map of the first type with facilities at the report's minutes (its circle level, 5), not the scenario's
    assert "L.map" in html and "步行 5 分钟可达范围" in html and "步行 3 分钟可达范围" not in html
