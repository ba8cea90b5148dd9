"""BENCHMARK ONLY: the app plus a minimal intake handler in plain SQL, the floor intake is measured against.

scripts/bench_intake.py starts gunicorn with `bench_floor:create_app()` (scripts/ on the Python path) and
GRID_APP_BENCH_FLOOR=1; nothing else imports this module, so the app never has the route. Without the
variable the factory refuses to start. POST /bench/floor/cases does the same work as
POST /api/v1/cases in the fewest round trips: the bearer token's user by its hash, the category, the
point located to grid / community / residential area / building by ST_Covers, then the case and its
`collect` event inserted in one statement and committed, answered as JSON. It skips what the floor
need not do (validation messages, idempotent replay, snapping, photos, duplicates, available actions).
"""
from __future__ import annotations

import hashlib
import json
import os
import uuid

from flask import Response, request

ENV_FLAG = "GRID_APP_BENCH_FLOOR"
PATH = "/bench/floor/cases"

_AUTH_SQL = """
SELECT u.id FROM api_token t JOIN app_user u ON u.id = t.user_id
WHERE t.token_sha256 = %s AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
  AND u.active AND u.role IN ('admin', 'street', 'secretary', 'worker', 'api')"""

# The category and the places holding the point, in one statement (each a GiST probe).
_LOCATE_SQL = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
SELECT cat.id, cat.default_level, (cat.deadline_hours->>'register')::int,
       gr.id, gr.code, gr.community_id, c.code, ra.id, b.id
FROM p
JOIN category cat ON cat.code = %(category)s AND cat.active
LEFT JOIN LATERAL (SELECT id, code, community_id FROM grid WHERE ST_Covers(geom, p.g) ORDER BY code LIMIT 1) gr ON true
LEFT JOIN community c ON c.id = gr.community_id
LEFT JOIN LATERAL (SELECT id FROM residential_area WHERE ST_Covers(geom, p.g) ORDER BY code LIMIT 1) ra ON true
LEFT JOIN LATERAL (SELECT id FROM building WHERE ST_Covers(geom, p.g) ORDER BY code LIMIT 1) b ON true"""

# The case and its first event in one round trip.
_INSERT_SQL = """
WITH c AS (
  INSERT INTO case_record (category_id, severity, description, geom, accuracy_m, channel, reporter_id,
      idempotency_key, state, level, max_level, street_code, community_id, grid_id, residential_area_id,
      building_id, snapped_m, deadline, resolve_by, created_at, updated_at, reopen_count, version, published)
  VALUES (%(category_id)s, 1, %(description)s, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(accuracy)s,
      'worker', %(user_id)s, %(key)s, 'collected', %(level)s, %(level)s, %(street)s, %(community_id)s,
      %(grid_id)s, %(ra_id)s, %(building_id)s, %(snapped)s, now() + make_interval(hours => %(hours)s),
      now() + interval '10 days', now(), now(), 0, 1, false)
  RETURNING id, created_at, deadline
), e AS (
  INSERT INTO case_event (case_id, action, actor_id, at, to_state, to_level, street_code)
  SELECT id, 'collect', %(user_id)s, created_at, 'collected', %(level)s, %(street)s FROM c
)
SELECT id, created_at, deadline FROM c"""


def floor_case():
    """The minimal intake: auth, locate, insert case + event, answer."""
    from grid_app.extensions import db
    header = request.headers.get("Authorization", "")
    body = request.get_json(silent=True) or {}
    sha = hashlib.sha256(header[7:].strip().encode()).hexdigest()
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(_AUTH_SQL, (sha,))
        user = cur.fetchone()
        if user is None:
            raw.rollback()
            return Response('{"error": "unauthorized"}', 401, mimetype="application/json")
        lon, lat = float(body["lon"]), float(body["lat"])
        cur.execute(_LOCATE_SQL, {"lon": lon, "lat": lat, "category": str(body["category"])})
        cat_id, level, hours, grid_id, grid_code, community_id, community_code, ra_id, building_id = cur.fetchone()
        cur.execute(_INSERT_SQL, {
            "category_id": cat_id, "description": str(body["description"]), "lon": lon, "lat": lat,
            "accuracy": body.get("accuracy_m"), "user_id": user[0], "key": str(body.get("idempotency_key") or uuid.uuid4()),
            "level": level, "street": community_code[:9] if community_code else None, "community_id": community_id,
            "grid_id": grid_id, "ra_id": ra_id, "building_id": building_id,
            "snapped": 0.0 if grid_id else None, "hours": hours})
        case_id, created_at, deadline = cur.fetchone()
        raw.commit()
    finally:
        raw.close()
    answer = {"id": case_id, "state": "collected", "level": level, "grid": grid_code, "community": community_code,
              "lon": round(lon, 7), "lat": round(lat, 7), "created_at": created_at.isoformat(),
              "deadline": deadline.isoformat()}
    return Response(json.dumps(answer, ensure_ascii=False), 201, mimetype="application/json")


def create_app():
    """grid_app's factory plus the floor route; refuses to run unless GRID_APP_BENCH_FLOOR=1."""
    if os.environ.get(ENV_FLAG) != "1":
        raise SystemExit(f"bench_floor is benchmark-only: set {ENV_FLAG}=1 (scripts/bench_intake.py does)")
    from grid_app import create_app as grid_app_factory
    app = grid_app_factory()
    app.add_url_rule(PATH, "bench_floor_cases", floor_case, methods=["POST"])
    return app
