"""Settings: defaults that run the demo, overridden by the environment, then by a test mapping."""
from __future__ import annotations

import json
import os

from grid_app.people.crypto import check_production
from grid_app.platform import localdb

# The checkout (or installed tree) holding templates/, geodata/ and instance/.
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ENV_SETTINGS = {
    # name: converter
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "DATABASE_REPLICA_URL": str,
    "GRID_SNAP_M": float,
    "LOCATE_BATCH_MAX": int,
    "UPLOAD_DIR": str,
    "MAX_CONTENT_LENGTH": int,
    "BABEL_DEFAULT_LOCALE": str,
    "WALK_SPEED_M_S": float,
    "VECTOR_TILE_CACHE_MB": int,
    "TILE_PROVIDER": str,
    "TIANDITU_KEY": str,
    "RATELIMIT_STORAGE_URI": str,
    "GRID_APP_DEMO_PASSWORD": str,
    "GRID_APP_ENV": str,
    "MAP_EMBED_MAX_FEATURES": int,
    "DISPLAY_TIMEZONE": str,
    "TILE_CRS": str,
    "TILE_ATTRIBUTION": str,
    "OPEN311_RATE_LIMIT": str,
    "OPEN311_CONTACT": str,
    "TRUST_PROXY_HOPS": int,
    "SESSION_COOKIE_SECURE": lambda v: v.lower() in ("1", "true", "yes"),
    "GRID_APP_PERSONAL_DATA_KEY": str,
    "GRID_APP_PERSONAL_DATA_OLD_KEYS": str,
    "GRID_APP_RESIDENT_RETENTION_DAYS": int,
    "DEMAND_AGE_SHARES": json.loads,  # {"kindergarten": 0.049, ...}
}


class Defaults:
    """Defaults that run the bundled demo on the project-local database."""

    SECRET_KEY = "dev-only-change-me"
    DATABASE_URL = None  # None: the project-local cluster under instance/
    DATABASE_REPLICA_URL = None
    # jit=off: the app's queries are short; PostgreSQL's JIT spent 400 of 550 ms compiling a city tile query
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10,
                                 "connect_args": {"options": "-c jit=off"}}
    GRID_SNAP_M = 30.0
    LOCATE_BATCH_MAX = 10_000
    UPLOAD_DIR = None  # None: instance/uploads
    MAX_CONTENT_LENGTH = 40 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "zh"
    LANGUAGES = ("zh", "en")
    WALK_SPEED_M_S = 1.2
    VECTOR_TILE_CACHE_MB = 64  # low-zoom vector tiles kept per process (0: none); a city z12 tile is ~240 kB
    TILE_PROVIDER = "osm"
    TILE_CRS = "wgs84"  # for an XYZ URL: "gcj02" when the provider draws in GCJ-02
    TILE_ATTRIBUTION = ""
    TIANDITU_KEY = ""
    MAP_EMBED_MAX_FEATURES = 3000  # above this many buildings, maps fetch them as vector tiles
    DISPLAY_TIMEZONE = "Asia/Shanghai"
    OPEN311_RATE_LIMIT = "60 per minute"
    OPEN311_CONTACT = "网格化服务管理中心"
    RATELIMIT_STORAGE_URI = "memory://"
    GRID_APP_DEMO_PASSWORD = "demo-password"
    GRID_APP_ENV = "development"  # "production" requires a real SECRET_KEY and secure cookies
    TRUST_PROXY_HOPS = 0
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    JSON_AS_ASCII = False
    GRID_APP_RESIDENT_RETENTION_DAYS = 1095  # moved-out residents are kept 3 years, then purged (PIPL Art. 19)
    # Share of a district's residents in a facility type's population group (2SFCA demand where a building has
    # no register): 3-6 years and 60+ from the 2020 census (七普: 60+ 18.7 %; the 2014-2017 births ~4.9 %).
    DEMAND_AGE_SHARES = {"kindergarten": 0.049, "elderly_care": 0.187}


def _from_env() -> dict:
    values = {}
    for name, convert in ENV_SETTINGS.items():
        raw = os.environ.get(name)
        if raw not in (None, ""):
            try:
                values[name] = convert(raw)
            except ValueError as exc:
                raise ValueError(f"environment variable {name}={raw!r} is not valid") from exc
    return values


def build_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Layer the defaults, the environment and the given mapping into one config dict."""
    config = {k: getattr(Defaults, k) for k in dir(Defaults) if k.isupper()}
    config.update(_from_env())
    config.update(overrides or {})
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = localdb.url()
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    if config.get("DATABASE_REPLICA_URL"):
        config.setdefault("SQLALCHEMY_BINDS", {})
        config["SQLALCHEMY_BINDS"] = {**config["SQLALCHEMY_BINDS"], "replica": config["DATABASE_REPLICA_URL"]}
    if config.get("GRID_APP_ENV") == "production":
        if config["SECRET_KEY"] == Defaults.SECRET_KEY or len(config["SECRET_KEY"]) < 32:
            raise ValueError("GRID_APP_ENV=production needs SECRET_KEY set to a random string of 32+ characters")
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
        check_production(config)  # ID numbers and phones are encrypted under a key from the environment
    if not config.get("UPLOAD_DIR"):
        config["UPLOAD_DIR"] = os.path.join(instance_path, "uploads")
    return config
