"""Which requests read from the replica: GETs of read-only endpoints, except right after a write.

A user who has just changed something (any successful POST/PUT/PATCH/DELETE) reads from the
primary for READ_YOUR_WRITES_S seconds, so their own new case is there when the list reloads.
API clients without a session cookie can ask for the primary with the header `X-Read-Primary: 1`.
"""
from __future__ import annotations

import time

from flask import Flask, request, session

from grid_app.platform.db_routing import REPLICA_BIND

READ_YOUR_WRITES_S = 15
# Blueprints (or single endpoints) whose GETs only read and tolerate a second of replication lag.
REPLICA_BLUEPRINTS = {"api_indicators", "api_exports", "open311", "api_hierarchy", "dashboard", "api_coverage"}
# Coverage reads only stored results (the coverage job writes them), so its map and tiles qualify too.
REPLICA_ENDPOINTS = {"api_cases.list_cases", "maps.coverage_map", "maps.tile"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def wants_replica() -> bool:
    """True when this request may be served from the replica."""
    if request.method != "GET" or request.headers.get("X-Read-Primary") == "1":
        return False
    if session.get("primary_until", 0) > time.time():
        return False
    return request.blueprint in REPLICA_BLUEPRINTS or request.endpoint in REPLICA_ENDPOINTS


def register(app: Flask) -> None:
    """Install the routing hooks when a replica is configured."""
    if REPLICA_BIND not in (app.config.get("SQLALCHEMY_BINDS") or {}):
        return
    from grid_app.extensions import db

    @app.before_request
    def route_reads():
        db.session.info["use_replica"] = wants_replica()

    @app.after_request
    def remember_writes(response):
        if request.method in UNSAFE and response.status_code < 400:
            session["primary_until"] = time.time() + READ_YOUR_WRITES_S
        return response
