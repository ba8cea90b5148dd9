"""What an outside test of the demo found: redaction that left notes, hidden cases replayed, phone photos
refused, numbers in other scripts' digits, and a version that rose twice per action."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from ..cases.helpers import log_case
from ..geo import lonlat


def test_redaction_removes_the_notes_too(session, users, login):
    case, _ = log_case(session, users["worker"], 100, 300)
    worker = login("worker")
    worker.post(f"/api/v1/cases/{case.id}/transitions", json={"action": "register", "note": "UNLAWFUL NOTE"})
    assert login("admin").post(f"/api/v1/cases/{case.id}/redact", json={"reason": "违法"}).status_code == 200
    for role in ("worker", "secretary", "admin"):
        client = login(role)
        assert "UNLAWFUL" not in client.get(f"/api/v1/cases/{case.id}/events").get_data(as_text=True)
        assert "UNLAWFUL" not in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_a_hidden_case_is_not_given_back_to_a_replay(session, users, login):
    lon, lat = lonlat(100, 300)
    body = {"category": "0101", "lon": lon, "lat": lat, "description": "SECRET", "idempotency_key": "replay-hidden-1"}
    case_id = login("worker").post("/api/v1/cases", json=body).get_json()["id"]
    login("admin").post(f"/api/v1/cases/{case_id}/hide", json={"hidden": True, "reason": "违法"})
    res = login("worker").post("/api/v1/cases", json=body)
    assert res.status_code == 409 and "SECRET" not in res.get_data(as_text=True)


def test_a_phone_photo_with_a_second_image_is_taken(login):
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(buf, format="MPO", save_all=True,
                                                     append_images=[Image.new("RGB", (64, 48))])
    lon, lat = lonlat(100, 300)
    res = login("worker").post("/api/v1/cases", data={
        "category": "0101", "lon": str(lon), "lat": str(lat), "description": "照片", "idempotency_key": "mpo-photo-1",
        "photos": (io.BytesIO(buf.getvalue()), "a.jpg")}, content_type="multipart/form-data")
    assert res.status_code == 201, res.get_json()
    assert len(res.get_json()["photos"]) == 1


@pytest.mark.parametrize("digits", ["１１７.４８", "𝟙𝟙𝟟.48", "١١٧.٤٨", "117.48\u0660", "nan", "inf", "0x1p3", "1_000"])
def test_numbers_take_only_ascii_digits(login, client, digits):
    lon, lat = lonlat(100, 300)
    res = login("worker").post("/api/v1/cases", json={
        "category": "0101", "lon": digits, "lat": lat, "description": "x", "idempotency_key": f"digits-{len(digits)}-x"})
    assert res.status_code == 400 and res.get_json()["error"] == "bad_coordinates"
    assert client.get(f"/api/v1/locate?lon={digits}&lat={lat}").status_code == 400


def test_each_action_raises_the_version_by_one(session, users, login):
    case, _ = log_case(session, users["worker"], 100, 300)
    client = login("secretary")
    version = client.get(f"/api/v1/cases/{case.id}").get_json()["version"]
    for action in ("register", "dispatch"):
        res = client.post(f"/api/v1/cases/{case.id}/transitions", json={"action": action, "version": version})
        assert res.status_code == 200, res.get_json()
        assert res.get_json()["version"] == version + 1
        version += 1
