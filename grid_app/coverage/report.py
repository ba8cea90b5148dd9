"""A planner's coverage report for one community: CSV, GeoJSON, Excel and a standalone HTML map."""
from __future__ import annotations

import json
import os
from typing import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session
from tqdm import tqdm

from grid_app.coverage import service as coverage_service
from grid_app.coverage.service import CoverageView
from grid_app.places.hierarchy import community_by_code
from grid_app.platform import tables

BUILDING_COLUMNS = [
    ("code", "楼栋编码", "Building code"), ("name", "楼栋", "Building"), ("area_code", "小区编码", "Area code"),
    ("residents", "居民", "Residents"), ("type", "设施类型", "Facility type"),
    ("distance_m", "步行距离(米)", "Walking distance (m)"), ("minutes", "步行时间(分钟)", "Walking minutes"),
    ("covered", "是否覆盖", "Covered"), ("status", "状态", "Status")]
YES_NO = {True: {True: "是", False: "否"}, False: {True: "yes", False: "no"}}
# Instead of yes/no: a type with no facility, a home too far from any path to be routed.
NO_FACILITY = {True: "无此类设施", False: "no facilities of this type"}
UNSNAPPED = {True: "离路网过远", False: "too far from any path"}
STALE = {True: "数据已更新，覆盖率重新计算中", False: "data changed; coverage is being recalculated"}
NO_AREA = {True: "（不属于任何小区）", False: "(no residential area)"}
SUMMARY_COLUMNS = [
    ("type", "设施类型", "Facility type"), ("minutes", "步行分钟", "Minutes"), ("area_code", "小区编码", "Area code"),
    ("area_name", "小区", "Residential area"), ("residents_total", "居民", "Residents"),
    ("residents_covered", "覆盖居民", "Covered residents"), ("share", "覆盖率", "Share covered"),
    ("residents_unsnapped", "离路网过远居民", "Residents too far from any path"),
    ("computed_at", "计算时间", "Computed at"), ("note", "说明", "Note")]


def build_rows(session: Session, community_code: str, type_codes: list[str], minutes, speed_m_s: float,
               progress: bool = True, lang: str = "zh") -> tuple[list[dict], list[dict], dict[str, CoverageView]]:
    """Per building and type, and per residential area and type; plus the coverage views by type."""
    community = community_by_code(session, community_code)  # NotFound before any work
    zh = lang == "zh"
    buildings, summary_rows, views = [], [], {}
    for code in tqdm(type_codes, desc="coverage by facility type", unit="type", disable=not progress):
        found = views[code] = coverage_service.view(session, community, code, minutes, speed_m_s, isochrones=False)
        summary = found.summary
        threshold = summary["threshold_m"]
        for b in found.distances:
            if not b["residents"]:
                continue
            d = b["distance_m"]
            buildings.append({**b, "type": code, "minutes": None if d is None else round(d / speed_m_s / 60, 1),
                              "distance_m": None if d is None else round(d, 1),
                              "covered": _covered(b["status"], d, threshold, summary["no_facilities"], zh)})
        note = "；".join(([NO_FACILITY[zh]] if summary["no_facilities"] else [])
                        + ([STALE[zh]] if summary["stale"] else []))
        base = {"type": code, "minutes": summary["minutes"], "computed_at": summary["computed_at"], "note": note}
        summary_rows.append({**base, "area_code": "", "area_name": "（合计）" if zh else "(total)",
                             **{k: summary[k] for k in _FIGURES}})
        summary_rows.extend({**base, "area_code": a["code"], "area_name": a["name"] or NO_AREA[zh],
                             **{k: a[k] for k in _FIGURES}} for a in summary["by_residential_area"])
    return buildings, summary_rows, views


_FIGURES = ("residents_total", "residents_covered", "share", "residents_unsnapped")


def _covered(status: str, distance_m, threshold: float, no_facilities: bool, zh: bool) -> str:
    """The report's "covered" cell: yes / no, or why the question has no answer for this home."""
    if no_facilities:
        return NO_FACILITY[zh]
    if status == "unsnapped":
        return UNSNAPPED[zh]
    return YES_NO[zh][distance_m is not None and distance_m <= threshold]


def map_type(type_codes: list[str], views: dict[str, CoverageView]) -> str:
    """The type the report's map shows: the first with facilities (else the first)."""
    return next((c for c in type_codes if not views[c].no_facilities), type_codes[0])


def map_view(session: Session, community_code: str, type_codes: list[str], views: dict[str, CoverageView],
             speed_m_s: float, scenario: dict | None) -> CoverageView:
    """The view the report's map shows, with isochrones: a scenario's type at its minutes (today's walk,
    which its figures compare against), else map_type's."""
    if scenario is None:
        return coverage_service.with_isochrones(session, views[map_type(type_codes, views)])
    code, minutes = scenario["type"]["code"], scenario["minutes"]
    found = views.get(code)
    if found is None or found.walk.minutes != minutes:
        found = coverage_service.view(session, community_by_code(session, community_code), code, minutes, speed_m_s,
                                      isochrones=False)
    return coverage_service.with_isochrones(session, found)


def buildings_geojson(session: Session, community_code: str, rows: list[dict]) -> dict:
    """The buildings with their coverage per type as GeoJSON properties."""
    shapes = dict(session.execute(text(
        "SELECT b.code, ST_AsGeoJSON(b.geom, 7) FROM building b JOIN community c ON c.id = b.community_id "
        "WHERE c.code = :c"), {"c": community_code}).all())
    props: dict[str, dict] = {}
    for r in rows:
        p = props.setdefault(r["code"], {"code": r["code"], "name": r["name"], "residents": r["residents"],
                                         "area_code": r["area_code"]})
        p[f"{r['type']}_m"] = r["distance_m"]
        p[f"{r['type']}_covered"] = {"是": True, "yes": True, "否": False, "no": False}.get(r["covered"])
        p[f"{r['type']}_status"] = r["status"]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": code, "properties": p, "geometry": json.loads(shapes[code])}
        for code, p in props.items() if code in shapes]}


SCENARIO_COLUMNS = [
    ("scenario", "方案", "Scenario"), ("unit", "单元", "Unit"), ("code", "编码", "Code"), ("name", "名称", "Name"),
    ("residents_total", "居民", "Residents"), ("residents_covered_today", "现状覆盖居民", "Covered today"),
    ("share_today", "现状覆盖率", "Share today"), ("residents_covered", "方案覆盖居民", "Covered in the scenario"),
    ("share", "方案覆盖率", "Share in the scenario"), ("change", "变化", "Change")]
UNIT = {"area": {True: "小区", False: "residential area"}, "grid": {True: "网格", False: "grid"},
        "gained": {True: "新覆盖楼栋", False: "home newly covered"}, "lost": {True: "不再覆盖楼栋", False: "home no longer covered"}}


def scenario_rows(figures: dict, lang: str = "zh") -> list[dict]:
    """A saved scenario's figures (scenario_store.figures) as rows: areas, grids, then the homes that move."""
    zh, name = lang == "zh", f"{figures['name']} (#{figures['id']})"
    rows = [{"scenario": name, "unit": "", "code": "", "name": "（合计）" if zh else "(total)",
             **{k: figures[k] for k in ("residents_total", "residents_covered_today", "share_today",
                                        "residents_covered", "share")},
             "change": figures["residents_gained"] - figures["residents_lost"]}]
    for kind, key in (("area", "by_residential_area"), ("grid", "by_grid")):
        rows += [{"scenario": name, "unit": UNIT[kind][zh], **u} for u in figures[key]]
    for kind in ("gained", "lost"):
        rows += [{"scenario": name, "unit": UNIT[kind][zh], "code": h["code"], "name": h["name"],
                  "residents_total": h["residents"], "change": h["residents"] if kind == "gained" else -h["residents"]}
                 for h in figures[kind]]
    return rows


def write_report(session: Session, out_dir: str, community_code: str, type_codes: list[str], minutes,
                 speed_m_s: float, map_html: Callable[[CoverageView], str], lang: str = "zh",
                 progress: bool = True, scenario: dict | None = None) -> dict[str, str]:
    """Write the four files (five with a saved scenario's figures); map_html(view) returns the map page of a
    coverage view (with a scenario: its type at its minutes, and map_html draws the scenario over it,
    e.g. coverage_map_file(..., scenario=...)). Returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    buildings, summary_rows, views = build_rows(session, community_code, type_codes, minutes, speed_m_s,
                                                    progress, lang)
    stem = os.path.join(out_dir, f"coverage-{community_code}")
    paths = {"csv": stem + ".csv", "geojson": stem + ".geojson", "xlsx": stem + ".xlsx", "html": stem + ".html"}
    with open(paths["csv"], "wb") as fh:
        fh.write(tables.to_csv(buildings, BUILDING_COLUMNS, lang))
    with open(paths["geojson"], "w", encoding="utf-8") as fh:
        json.dump(buildings_geojson(session, community_code, buildings), fh, ensure_ascii=False)
    sheets = [("覆盖汇总" if lang == "zh" else "Summary", summary_rows, SUMMARY_COLUMNS),
              ("楼栋" if lang == "zh" else "Buildings", buildings, BUILDING_COLUMNS)]
    if scenario is not None:
        rows = scenario_rows(scenario, lang)
        paths["scenario_csv"] = f"{stem}-scenario-{scenario['id']}.csv"
        with open(paths["scenario_csv"], "wb") as fh:
            fh.write(tables.to_csv(rows, SCENARIO_COLUMNS, lang))
        sheets.append(("方案" if lang == "zh" else "Scenario", rows, SCENARIO_COLUMNS))
    with open(paths["xlsx"], "wb") as fh:
        fh.write(tables.to_xlsx_sheets(sheets, lang))
    shown = map_view(session, community_code, type_codes, views, speed_m_s, scenario)
    with open(paths["html"], "w", encoding="utf-8") as fh:
        fh.write(map_html(shown))
    return paths
