"""Exports open in the tools people use, follow the case-list filters, and respect scope."""
from __future__ import annotations

import csv
import io
import json

import flask_babel
import pyogrio
from openpyxl import load_workbook
from sqlalchemy import update

from grid_app.models import Case

from .. import district
from ..cases.helpers import log_case

CASES = "/api/v1/exports/cases"


def _cases(session, users):
    """Cases in grid A1 (two categories), A2 and B1, one of them from the public with contact details."""
    a1, _ = log_case(session, users["admin"], x=100, y=300, description="甲一垃圾")
    a1_parking, _ = log_case(session, users["admin"], x=120, y=320, category="0503", description="甲一停车")
    a2, _ = log_case(session, users["admin"], x=100, y=700, description="甲二垃圾")
    b1, _ = log_case(session, users["admin"], x=700, y=700, description="乙一垃圾")
    session.execute(update(Case).where(Case.id == b1.id).values(
        channel="public", reporter_contact={"email": "hidden@example.cn", "phone": "13700000000"}))
    session.commit()
    return {"a1": a1.id, "a1_parking": a1_parking.id, "a2": a2.id, "b1": b1.id}


def _csv(res):
    assert res.status_code == 200, res.get_data(as_text=True)
    text = res.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_opens_with_localised_headings(session, users, login):
    ids = _cases(session, users)
    res = login("admin").get(f"{CASES}.csv")
    assert res.headers["Content-Disposition"].startswith("attachment; filename=cases-")
    rows = _csv(res)
    by_id = {int(r["编号"]): r for r in rows}
    assert set(ids.values()) <= set(by_id)
    assert by_id[ids["a1"]]["网格编码"] == district.GRID_A1 and by_id[ids["a1"]]["状态"] == "信息采集"
    assert by_id[ids["b1"]]["来源"] == "公众举报"
    flask_babel.refresh()  # the test's app context outlives requests, and with it the cached locale
    english = _csv(login("admin").get(f"{CASES}.csv?lang=en"))
    assert "Category code" in english[0] and "Grid" in english[0]


def test_filters_of_the_case_list_apply(session, users, login):
    ids = _cases(session, users)
    client = login("admin")
    parking = {int(r["编号"]) for r in _csv(client.get(f"{CASES}.csv?category=0503"))}
    assert ids["a1_parking"] in parking and ids["a1"] not in parking
    in_a2 = {int(r["编号"]) for r in _csv(client.get(f"{CASES}.csv?grid={district.GRID_A2}"))}
    assert ids["a2"] in in_a2 and ids["a1"] not in in_a2
    assert {int(r["编号"]) for r in _csv(client.get(f"{CASES}.csv?state=closed&text=甲一"))} == set()
    # limit/offset page the list; an export takes every matching case.
    assert len(_csv(client.get(f"{CASES}.csv?limit=1"))) >= 4
    assert client.get(f"{CASES}.csv?state=bogus").status_code == 400
    session.execute(update(Case).where(Case.id == ids["a2"]).values(state="closed", deadline=None))
    session.commit()
    still_open = {int(r["编号"]) for r in _csv(client.get(f"{CASES}.csv?state=open"))}
    assert ids["a1"] in still_open and ids["a2"] not in still_open


def test_scope_is_respected(session, users, login):
    ids = _cases(session, users)
    seen = {int(r["编号"]) for r in _csv(login("worker").get(f"{CASES}.csv"))}
    assert ids["a1"] in seen and ids["a1_parking"] in seen and ids["a2"] not in seen and ids["b1"] not in seen
    seen_b = {int(r["编号"]) for r in _csv(login("secretary_b").get(f"{CASES}.csv"))}
    assert ids["b1"] in seen_b and ids["a1"] not in seen_b
    geo = json.loads(login("worker").get(f"{CASES}.geojson").get_data(as_text=True))
    assert ids["a2"] not in {f["properties"]["id"] for f in geo["features"]}


def test_xlsx_opens_in_openpyxl(session, users, login):
    ids = _cases(session, users)
    res = login("admin").get(f"{CASES}.xlsx?community={district.COMM_A}")
    assert res.status_code == 200
    wb = load_workbook(io.BytesIO(res.get_data()))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and "描述" in rows[0]
    got = {r[0] for r in rows[1:]}
    assert {ids["a1"], ids["a1_parking"], ids["a2"]} <= got and ids["b1"] not in got
    created = rows[0].index("上报时间")
    assert rows[1][created].year >= 2024  # a real date cell, local wall-clock time


def test_geojson_is_valid_and_has_no_contact_details(session, users, login):
    ids = _cases(session, users)
    res = login("admin").get(f"{CASES}.geojson")
    assert res.mimetype == "application/geo+json"
    text = res.get_data(as_text=True)
    assert "hidden@example.cn" not in text and "13700000000" not in text
    doc = json.loads(text)
    feature = next(f for f in doc["features"] if f["properties"]["id"] == ids["b1"])
    assert feature["geometry"]["type"] == "Point" and len(feature["geometry"]["coordinates"]) == 2
    assert "lon" not in feature["properties"] and feature["properties"]["grid_code"] == district.GRID_B1
    csv_text = login("admin").get(f"{CASES}.csv").get_data(as_text=True)
    assert "hidden@example.cn" not in csv_text


def test_login_required_and_bad_format(client, login):
    assert client.get(f"{CASES}.csv").status_code == 401
    assert client.get("/api/v1/exports/hierarchy.gpkg").status_code == 401
    res = login("admin").get(f"{CASES}.pdf")
    assert res.status_code == 400 and res.get_json()["error"] == "bad_format"


def test_hierarchy_geojson_and_scope(login):
    doc = json.loads(login("admin").get("/api/v1/exports/hierarchy.geojson?layer=grids").get_data(as_text=True))
    assert {f["properties"]["code"] for f in doc["features"]} == {district.GRID_A1, district.GRID_A2,
                                                                 district.GRID_B1}
    assert doc["features"][0]["geometry"]["type"] == "MultiPolygon"
    mine = json.loads(login("secretary_b").get("/api/v1/exports/hierarchy.geojson?layer=buildings")
                      .get_data(as_text=True))
    assert [f["properties"]["code"] for f in mine["features"]] == [district.COMM_B + "B001"]
    assert login("admin").get("/api/v1/exports/hierarchy.geojson?layer=grids,buildings").status_code == 400
    assert login("admin").get("/api/v1/exports/hierarchy.geojson?layer=rivers").status_code == 400


def test_hierarchy_gpkg_reads_back_with_pyogrio(tmp_path, login):
    res = login("admin").get("/api/v1/exports/hierarchy.gpkg")
    assert res.status_code == 200
    path = tmp_path / "h.gpkg"
    path.write_bytes(res.get_data())
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"streets", "communities", "grids", "residential_areas", "buildings"}
    buildings = pyogrio.read_dataframe(path, layer="buildings")
    assert set(buildings["code"]) == {district.COURTYARD, district.TOWER, district.COMM_B + "B001"}
    assert buildings.crs.to_epsg() == 4326 and int(buildings["residents"].sum()) == 525
    assert buildings.loc[buildings["code"] == district.COURTYARD, "residential_area_code"].item() == district.AREA

    worker = login("worker").get("/api/v1/exports/hierarchy.gpkg?layer=grids,streets")
    path.write_bytes(worker.get_data())
    assert {name for name, _ in pyogrio.list_layers(path)} == {"grids", "streets"}
    grids = pyogrio.read_dataframe(path, layer="grids")
    assert set(grids["code"]) == {district.GRID_A1, district.GRID_A2}  # community A only


def test_indicators_in_three_formats(session, users, login):
    _cases(session, users)
    client = login("admin")
    rows = _csv(client.get("/api/v1/exports/indicators.csv?group=community"))
    assert {r["编码"] for r in rows} == {district.COMM_A, district.COMM_B}
    wb = load_workbook(io.BytesIO(client.get("/api/v1/exports/indicators.xlsx?group=grid").get_data()))
    assert list(wb.active.iter_rows(values_only=True))[0][:3] == ("编码", "名称", "上报数")
    geo = json.loads(client.get("/api/v1/exports/indicators.geojson?group=grid").get_data(as_text=True))
    a1 = next(f for f in geo["features"] if f["properties"]["code"] == district.GRID_A1)
    assert a1["geometry"]["type"] == "MultiPolygon" and a1["properties"]["logged"] >= 2
    scoped = _csv(login("secretary_b").get("/api/v1/exports/indicators.csv?group=grid"))
    assert {r["编码"] for r in scoped} == {district.GRID_B1}
    assert client.get("/api/v1/exports/indicators.csv?group=planet").status_code == 400


def test_large_export_streams_in_chunks(session, users, login):
    from sqlalchemy import text
    ids = _cases(session, users)
    # 2,500 copies of one case: more than two server-side cursor chunks.
    session.execute(text("""
        INSERT INTO case_record (category_id, severity, description, geom, channel, idempotency_key, state,
                                 level, max_level, street_code, community_id, grid_id, deadline, resolve_by,
                                 created_at, updated_at, reopen_count, version)
        SELECT category_id, severity, description || ' #' || n, geom, channel, 'bulk-' || n, state, level,
               max_level, street_code, community_id, grid_id, deadline, resolve_by, created_at, updated_at, 0, 1
        FROM case_record, generate_series(1, 2500) AS n WHERE id = :id"""), {"id": ids["a2"]})
    session.commit()
    res = login("admin").get(f"{CASES}.csv?grid={district.GRID_A2}", buffered=False)
    assert res.is_streamed
    chunks = list(res.response)
    assert len(chunks) >= 3  # heading, then one chunk per 1,000 rows
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode("utf-8")[1:])))
    assert len(rows) == 2501 and len({r["编号"] for r in rows}) == 2501
    res.close()
    geo = json.loads(login("admin").get(f"{CASES}.geojson?grid={district.GRID_A2}").get_data(as_text=True))
    assert len(geo["features"]) == 2501
    wb = load_workbook(io.BytesIO(login("admin").get(f"{CASES}.xlsx?grid={district.GRID_A2}").get_data()),
                       read_only=True)
    assert sum(1 for _ in wb.active.iter_rows()) == 2502
