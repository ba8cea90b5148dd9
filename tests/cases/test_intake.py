"""Logging cases through the API: located, idempotent, photos checked by content, bad input refused."""
from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from grid_app.cases import category_cache
from grid_app.models import Case, CasePhoto, Category

from .. import district as d
from ..geo import lonlat
from .helpers import EXECUTABLE, gif, jpeg, log_case, new_key, png


def form(x=100, y=300, **extra):
    lon, lat = lonlat(x, y)
    body = {"category": "0101", "lon": str(lon), "lat": str(lat), "accuracy_m": "6",
            "description": "楼下堆放垃圾", "idempotency_key": new_key()}
    body.update(extra)
    return body


def count_cases(session):
    return session.scalar(select(func.count(Case.id)))


def post_multipart(client, body, photos=()):
    data = dict(body)
    data["photos"] = [(io.BytesIO(b), name) for name, b in photos]
    return client.post("/api/v1/cases", data=data, content_type="multipart/form-data")


def test_json_intake_is_located(login):
    client = login("worker")
    res = client.post("/api/v1/cases", json=form(150, 150))
    assert res.status_code == 201
    body = res.get_json()
    assert body["grid"] == {"code": d.GRID_A1, "name": "甲社区第1网格"}
    assert body["community"]["code"] == d.COMM_A
    assert body["residential_area"]["code"] == d.AREA and body["building"] is None  # in the courtyard
    assert body["state"] == "collected" and body["level"] == "grid" and "register" in body["actions"]


def test_same_key_again_is_200_same_case(login, session):
    client = login("worker")
    body = form()
    first = client.post("/api/v1/cases", json=body)
    n = count_cases(session)
    again = client.post("/api/v1/cases", json=body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"] and count_cases(session) == n


def test_key_of_another_reporter_is_409(login):
    body = form()
    assert login("worker").post("/api/v1/cases", json=body).status_code == 201
    res = login("secretary").post("/api/v1/cases", json=body)
    assert res.status_code == 409 and res.get_json()["error"] == "key_in_use"


def test_key_of_a_case_without_reporter_is_409_for_a_signed_in_user(login, session, users):
    """A public (Open311) case has no reporter: its key must not hand it to whoever sends the key."""
    public, _ = log_case(session, None, x=800)
    session.commit()
    res = login("worker").post("/api/v1/cases", json={**form(), "idempotency_key": public.idempotency_key})
    assert res.status_code == 409 and res.get_json()["error"] == "key_in_use"
    assert str(public.id) not in res.get_data(as_text=True)


def test_a_retry_after_its_category_was_switched_off_finds_its_case(login, session):
    client = login("worker")
    body = form()
    first = client.post("/api/v1/cases", json=body)
    assert first.status_code == 201
    session.execute(update(Category).where(Category.code == body["category"]).values(active=False))
    session.commit()
    category_cache.forget(session, body["category"])  # as once the process's copy has expired
    n = count_cases(session)
    again = client.post("/api/v1/cases", json=body)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    new = client.post("/api/v1/cases", json=form())
    assert new.status_code == 400 and new.get_json()["error"] == "bad_category"
    assert count_cases(session) == n


@pytest.mark.parametrize("key", [None, 12345678, ["k" * 10], {"a": "b" * 10}, "short", "x" * 100_000, "ok-key\x00-01"])
def test_an_unknown_category_with_any_key_is_400(login, session, key):
    n = count_cases(session)
    res = login("worker").post("/api/v1/cases", json={**form(), "category": "9999", "idempotency_key": key})
    assert res.status_code in (400, 413) and res.get_json()["error"] in (
        "bad_category", "bad_input", "request_entity_too_large")
    assert count_cases(session) == n


def test_photos_are_stored_with_orientation_and_thumbnail(login, session, app):
    client = login("worker")
    res = post_multipart(client, form(), [("a.jpg", jpeg(400, 200, orientation=6)), ("b.png", png())])
    assert res.status_code == 201, res.get_json()
    photos = res.get_json()["photos"]
    assert len(photos) == 2
    # EXIF orientation 6 means "rotate 90°": a 400×200 sensor image is shown 200×400
    assert (photos[0]["width"], photos[0]["height"]) == (200, 400)
    full = client.get(photos[0]["url"])
    thumb = client.get(photos[0]["thumb_url"])
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(full.data)).getexif().get(0x0112) is None  # EXIF (and GPS) stripped
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 320
    row = session.scalar(select(CasePhoto).where(CasePhoto.case_id == res.get_json()["id"]).limit(1))
    assert os.path.exists(os.path.join(app.config["UPLOAD_DIR"], row.path))


@pytest.mark.parametrize("photos, code", [
    ([("virus.jpg", EXECUTABLE)], "not_an_image"),
    ([("x.gif", gif())], "unsupported_image_type"),
    ([("empty.jpg", b"")], "not_an_image"),
    ([(f"{i}.jpg", jpeg()) for i in range(4)], "too_many_photos"),
    ([("big.jpg", b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 1))], "photo_too_large"),
])
def test_bad_photos_store_nothing(login, session, app, photos, code):
    client = login("worker")
    n = count_cases(session)
    files_before = sum(len(f) for _, _, f in os.walk(app.config["UPLOAD_DIR"]))
    res = post_multipart(client, form(), photos)
    assert res.status_code == 400 and res.get_json()["error"] == code
    assert count_cases(session) == n
    assert sum(len(f) for _, _, f in os.walk(app.config["UPLOAD_DIR"])) == files_before


@pytest.mark.parametrize("change, code", [
    ({"category": "9999"}, "bad_category"),
    ({"category": ""}, "bad_category"),
    ({"lon": ""}, "bad_coordinates"),
    ({"lon": "east"}, "bad_coordinates"),
    ({"lat": "95"}, "bad_coordinates"),
    ({"lat": "NaN"}, "bad_coordinates"),
    ({"crs": "bd09"}, "bad_crs"),
    ({"description": "  "}, "bad_description"),
    ({"description": "长" * 2001}, "bad_description"),
    ({"idempotency_key": "short"}, "bad_idempotency_key"),
    ({"severity": "7"}, "bad_severity"),
    ({"accuracy_m": "-1"}, "bad_accuracy_m"),
])
def test_bad_fields_are_400_and_store_nothing(login, session, change, code):
    client = login("worker")
    n = count_cases(session)
    res = client.post("/api/v1/cases", json=form(**change))
    assert res.status_code == 400, res.get_json()
    assert res.get_json()["error"] == code and res.get_json()["message"]
    assert count_cases(session) == n


def test_malformed_json_is_400(login):
    res = login("worker").post("/api/v1/cases", data="{oops", content_type="application/json")
    assert res.status_code == 400 and res.get_json()["error"] == "bad_json"


def test_no_login_is_401(client):
    res = client.post("/api/v1/cases", json=form())
    assert res.status_code == 401 and res.get_json()["error"] == "unauthorized"


def test_planner_may_not_log(login):
    res = login("planner").post("/api/v1/cases", json=form())
    assert res.status_code == 403


def test_possible_duplicates_nearby(login):
    client = login("worker")
    first = client.post("/api/v1/cases", json=form(100, 300)).get_json()
    near = client.post("/api/v1/cases", json=form(120, 300)).get_json()  # 20 m away
    far = client.post("/api/v1/cases", json=form(300, 300)).get_json()
    other = client.post("/api/v1/cases", json=form(100, 300, category="0503")).get_json()
    assert [c["id"] for c in near["possible_duplicates"]] == [first["id"]]
    assert far["possible_duplicates"] == [] and other["possible_duplicates"] == []


def test_possible_duplicates_at_a_crowded_spot_are_the_newest_of_the_nearest(login, session):
    """Sixty open cases along 41 m: the 10 newest of the 50 nearest are shown; closed and farther ones are not."""
    from grid_app.cases.intake_sql import DUPLICATE_CANDIDATES, DUPLICATE_SHOWN
    client = login("worker")
    crowd = [client.post("/api/v1/cases", json=form(100 + 0.7 * k, 300)).get_json()["id"] for k in range(60)]
    closed = client.post("/api/v1/cases", json=form(100, 300)).get_json()["id"]
    session.execute(Case.__table__.update().where(Case.id == closed).values(state="closed", deadline=None))
    session.commit()
    body = client.post("/api/v1/cases", json=form(100, 300)).get_json()
    # the crowd was logged nearest first, so the nearest 50 are the first 50 and their newest the last ten
    expected = crowd[:DUPLICATE_CANDIDATES][::-1][:DUPLICATE_SHOWN]
    assert [c["id"] for c in body["possible_duplicates"]] == expected


def test_gcj02_point_is_converted(login):
    from grid_app.places import gcj02
    lon, lat = lonlat(1250, 50)
    glon, glat = gcj02.wgs84_to_gcj02(lon, lat)
    body = login("worker").post("/api/v1/cases", json=form(crs="gcj02", lon=glon, lat=glat)).get_json()
    assert body["grid"]["code"] == d.GRID_A2
    assert body["lon"] == pytest.approx(lon, abs=1e-7)


def test_categories_listed(client):
    cats = client.get("/api/v1/categories").get_json()["categories"]
    codes = {c["code"]: c for c in cats}
    assert codes["0401"]["level"] == "street" and codes["0101"]["deadline_hours"]["register"] == 1
    assert {"市容环境", "宣传广告", "施工管理", "突发事件", "街面秩序", "其他", "矛盾纠纷", "安全隐患",
            "民生服务", "治安防控"} <= {c["group"] for c in cats}
