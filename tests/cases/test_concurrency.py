"""Concurrent retries and concurrent escalation runs, on real committed transactions."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from grid_app.cases.transitions import escalate_overdue
from grid_app.extensions import db
from grid_app.models import Case, CaseEvent

from ..conftest import PASSWORD
from ..geo import lonlat
from .helpers import new_key


def run_threads(n, target):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def work(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # collected and re-raised in the test thread
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_concurrent_retries_make_exactly_one_case(app):
    key = new_key()
    lon, lat = lonlat(900, 900)
    body = {"category": "0101", "lon": lon, "lat": lat, "description": "并发重试", "idempotency_key": key}
    clients = []
    for _ in range(8):
        c = app.test_client()
        assert c.post("/login", data={"username": "t-secretary-b", "password": PASSWORD}).status_code == 302
        clients.append(c)
    responses = run_threads(8, lambda i: clients[i].post("/api/v1/cases", json=body))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1 and statuses.count(200) == 7, statuses
    assert len({r.get_json()["id"] for r in responses}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Case.id)).where(Case.idempotency_key == key)) == 1


def test_two_escalation_runs_at_once_escalate_each_case_once(app):
    from grid_app.access.accounts import authenticate
    from grid_app.cases import intake
    with app.app_context():
        user = authenticate(db.session, "t-secretary-b", PASSWORD)
        ids = []
        for i in range(30):
            lon, lat = lonlat(700 + i, 800)
            data = intake.parse_case_input(db.session, {
                "category": "0101", "lon": lon, "lat": lat, "description": f"升级测试{i}",
                "idempotency_key": new_key()})
            case, _ = intake.create_case(db.session, user, data, [], upload_dir="/tmp", snap_m=30)
            ids.append(case.id)
        later = max(db.session.scalar(select(func.max(Case.created_at))), case.created_at) + timedelta(hours=2)

    def run(_):
        with app.app_context():
            return escalate_overdue(db.session, now=later, batch=7)
    results = run_threads(2, run)
    escalated = [cid for r in results for cid in r if cid in ids]
    assert sorted(escalated) == sorted(ids)  # every case once, none twice
    with app.app_context():
        events = db.session.scalar(select(func.count(CaseEvent.id)).where(
            CaseEvent.case_id.in_(ids), CaseEvent.action == "escalate"))
        assert events == len(ids)
        levels = set(db.session.scalars(select(Case.level).where(Case.id.in_(ids))))
        assert levels == {"community"}
