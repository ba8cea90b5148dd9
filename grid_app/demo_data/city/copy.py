"""Reading the city's places and code list into arrays, and writing synthesised cases with COPY."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Connection

from grid_app.demo_data.city.cases import Categories, Places
from grid_app.models.cases import LEVELS

# How often each class is logged, relative to 1 (street order and rubbish dominate in practice).
CATEGORY_WEIGHTS = {"0101": 14, "0102": 5, "0103": 6, "0201": 10, "0202": 2, "0301": 3, "0302": 1.5,
                    "0401": 0.3, "0402": 0.6, "0501": 12, "0502": 7, "0503": 12, "0601": 4, "0602": 3,
                    "0701": 4, "0702": 1.5, "0703": 5, "0801": 3, "0802": 1.5, "0901": 2, "9901": 3}
CASE_COLUMNS = ("id", "category_id", "severity", "description", "geom", "accuracy_m", "channel", "reporter_id",
                "idempotency_key", "state", "level", "max_level", "street_code", "community_id", "grid_id",
                "residential_area_id", "building_id", "handler_id", "deadline", "resolve_by", "created_at",
                "updated_at", "closed_at", "rating", "reopen_count", "version", "published")
EVENT_COLUMNS = ("case_id", "action", "actor_id", "at", "from_state", "to_state", "from_level", "to_level",
                 "note", "street_code")


def read_places(conn: Connection) -> Places:
    """Every building's point (on its surface), the grid holding that point, and the staff who act there."""
    rows = conn.execute(text("""
        SELECT b.id, coalesce(b.residential_area_id, -1), g.id, g.community_id, g.street_code, ST_X(p.pt),
               ST_Y(p.pt), b.residents, w.id, s.id, o.id
        FROM building b
        CROSS JOIN LATERAL (SELECT ST_PointOnSurface(b.geom) AS pt) p
        JOIN LATERAL (SELECT g.id, g.code, g.community_id, g.street_code FROM grid g
                      WHERE ST_Intersects(g.geom, p.pt) ORDER BY g.id LIMIT 1) g ON true
        JOIN community c ON c.id = g.community_id
        JOIN street st ON st.code = g.street_code
        JOIN app_user w ON w.username = 'city-gw-' || g.code
        JOIN app_user s ON s.username = 'city-sec-' || c.code
        JOIN app_user o ON o.username = 'city-st-' || st.code
        ORDER BY b.id""")).all()
    cols = list(zip(*rows))
    residents = np.array(cols[7], dtype=float)
    return Places(building=np.array(cols[0]), residential_area=np.array(cols[1]), grid=np.array(cols[2]),
                  community=np.array(cols[3]), street_code=np.array(cols[4], dtype=object),
                  lon=np.array(cols[5]), lat=np.array(cols[6]),
                  weight=residents + 5.0,  # shops and schools see cases too
                  worker=np.array(cols[8]), secretary=np.array(cols[9]), officer=np.array(cols[10]))


def read_categories(conn: Connection) -> Categories:
    """The active categories with their default level index and hours per step."""
    rows = conn.execute(text("SELECT id, code, name, default_level, deadline_hours FROM category "
                             "WHERE active ORDER BY id")).all()
    steps = ("register", "dispatch", "handle", "verify")
    return Categories(id=np.array([r[0] for r in rows]),
                      level=np.array([LEVELS.index(r[3]) for r in rows]),
                      hours=np.array([[float(r[4][s]) for s in steps] for r in rows]),
                      name=np.array([r[2] for r in rows], dtype=object),
                      weight=np.array([CATEGORY_WEIGHTS.get(r[1], 1.0) for r in rows]))


def _ts(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds as UTC timestamp text for COPY (NaN: NULL); numpy's formatting, pandas' is 20× slower."""
    seconds = np.asarray(seconds, dtype=float)
    out = np.datetime_as_string(np.round(np.nan_to_num(seconds)).astype("datetime64[s]"), timezone="UTC")
    out = out.astype(object)
    out[np.isnan(seconds)] = None
    return out


def _nullable(values: np.ndarray) -> pd.Series:
    """Integers where -1 means NULL."""
    return pd.Series(values).astype("Int64").mask(pd.Series(values) < 0)


def case_frame(cases: dict, places: Places, cats: Categories, rng: np.random.Generator) -> pd.DataFrame:
    """The case_record rows of a chunk, in CASE_COLUMNS order."""
    h = cases["home"]
    # At the building's point: locate() would give this building, its grid, community and street.
    geom = [f"SRID=4326;POINT({x:.7f} {y:.7f})" for x, y in zip(places.lon[h], places.lat[h])]
    ids = cases["id"]
    frame = pd.DataFrame({
        "id": ids, "category_id": cases["category_id"], "severity": cases["severity"],
        "description": cats.name[cases["cat"]] + "（城市规模测试数据）", "geom": geom,
        "accuracy_m": np.round(rng.uniform(3, 25, len(ids)), 1), "channel": "worker",
        "reporter_id": cases["reporter_id"], "idempotency_key": [f"city-{i}" for i in ids],
        "state": cases["state"], "level": cases["level"], "max_level": cases["max_level"],
        "street_code": places.street_code[h], "community_id": places.community[h], "grid_id": places.grid[h],
        "residential_area_id": _nullable(places.residential_area[h]), "building_id": places.building[h],
        "handler_id": _nullable(cases["handler_id"]), "deadline": _ts(cases["deadline"]),
        "resolve_by": _ts(cases["resolve_by"]), "created_at": _ts(cases["created_at"]),
        "updated_at": _ts(cases["updated_at"]), "closed_at": _ts(cases["closed_at"]),
        "rating": _nullable(cases["rating"]), "reopen_count": cases["reopen_count"],
        "version": cases["version"], "published": False})
    return frame[list(CASE_COLUMNS)]


def event_frame(events: dict, street_of_case: pd.Series) -> pd.DataFrame:
    """The case_event rows of a chunk (street code given, so the trigger has nothing to look up)."""
    frame = pd.DataFrame({k: v for k, v in events.items()})
    frame["actor_id"] = _nullable(frame["actor_id"].to_numpy())
    frame["at"] = _ts(frame["at"].to_numpy())
    frame["street_code"] = street_of_case.reindex(frame["case_id"]).to_numpy()
    return frame[list(EVENT_COLUMNS)]


def copy_frame(raw_conn, table: str, frame: pd.DataFrame) -> None:
    """COPY a frame into a table (tab-separated text; None/NaN/NaT as NULL)."""
    buf = io.StringIO()
    frame.to_csv(buf, sep="\t", header=False, index=False, na_rep="\\N")
    buf.seek(0)
    with raw_conn.cursor() as cur:
        cur.copy_expert(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN", buf)
