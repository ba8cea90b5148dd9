"""One operation, one commit: a case's or a report's photos are stored with their rows or not at all."""
from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import func, select

from grid_app.cases import photos
from grid_app.models import Case, CaseEvent, CasePhoto

from .helpers import jpeg, log_case, new_key


def _files(upload_dir: str, case_id: int) -> list[str]:
    folder = os.path.join(upload_dir, f"{case_id // 1000:04d}", str(case_id))
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.fixture()
def failing_photo_row(monkeypatch):
    """Photo rows that the database refuses at the commit, after their files are written."""
    seen = []

    def bad_row(**fields):
        seen.append(fields["path"])
        return CasePhoto(**{**fields, "content_type": "x" * 31})  # longer than the column: refused at flush
    monkeypatch.setattr(photos, "CasePhoto", bad_row)
    return seen


def test_report_with_photos_whose_commit_fails_leaves_no_row_no_file_no_transition(
        login, session, users, app, failing_photo_row):
    upload_dir = app.config["UPLOAD_DIR"]
    case, _ = log_case(session, users["worker"], upload_dir=upload_dir)
    client = login("worker")
    for action in ("register", "dispatch", "start"):
        assert client.post(f"/api/v1/cases/{case.id}/transitions", json={"action": action}).status_code == 200
    before = _files(upload_dir, case.id)
    res = client.post(f"/api/v1/cases/{case.id}/transitions", content_type="multipart/form-data",
                      data={"action": "report", "note": "已清理",
                            "photos": [(io.BytesIO(jpeg()), "a.jpg"), (io.BytesIO(jpeg(color=(0, 0, 200))), "b.jpg")]})
    assert res.status_code == 500
    assert len(failing_photo_row) == 2  # both photos' files were written before the commit failed
    session.expire_all()
    assert session.get(Case, case.id).state == "handling"  # the transition went with the photos
    assert session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.action == "report")) == 0
    assert session.scalar(select(func.count()).select_from(CasePhoto).where(CasePhoto.case_id == case.id)) == 0
    assert _files(upload_dir, case.id) == before == []


def test_report_with_photos_is_one_commit(login, session, users, app, monkeypatch):
    upload_dir = app.config["UPLOAD_DIR"]
    case, _ = log_case(session, users["worker"], upload_dir=upload_dir)
    client = login("worker")
    for action in ("register", "dispatch", "start"):
        client.post(f"/api/v1/cases/{case.id}/transitions", json={"action": action})
    commits = []
    real_commit = session.registry().commit
    monkeypatch.setattr(session.registry(), "commit", lambda: (commits.append(1), real_commit())[1])
    res = client.post(f"/api/v1/cases/{case.id}/transitions", content_type="multipart/form-data",
                      data={"action": "report", "photos": [(io.BytesIO(jpeg()), "a.jpg")]})
    assert res.status_code == 200 and res.get_json()["state"] == "reported"
    assert [p["kind"] for p in res.get_json()["photos"]] == ["after"]
    assert len(commits) == 1
    assert len(_files(upload_dir, case.id)) == 2  # the photo and its thumbnail


def test_intake_whose_commit_fails_leaves_no_case_and_no_file(session, users, app, failing_photo_row):
    upload_dir = app.config["UPLOAD_DIR"]
    key = new_key()
    with pytest.raises(Exception):
        log_case(session, users["worker"], key=key, photos=[("a.jpg", jpeg())], upload_dir=upload_dir)
    assert len(failing_photo_row) == 1
    assert session.scalar(select(Case).where(Case.idempotency_key == key)) is None
    written = [os.path.join(upload_dir, path) for path in failing_photo_row]
    assert not any(os.path.exists(path) for path in written)
