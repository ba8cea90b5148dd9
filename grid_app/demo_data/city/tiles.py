"""Copying the template district (tile 0) to translated tiles, in SQL, with new codes and ids."""
from __future__ import annotations

import math
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection

DISTRICT = "341702"
TEMPLATE_STREET = "341702001"
# Tile pitch in degrees: the demo spans 0.0293° × 0.0223°; a small gap keeps tiles apart.
STEP_LON, STEP_LAT = 0.031, 0.024
# Tables copied per tile, parents first; facility codes get a tile suffix (they are not hierarchical).
HIERARCHY = ("street", "community", "grid", "residential_area", "building")


def tile_table(conn: Connection, n_tiles: int) -> None:
    """The temporary table of tiles 1..n-1: number, street code prefix and offset (tile 0 is the template)."""
    if n_tiles > 999:
        raise ValueError("at most 999 streets fit the 3-digit street code")
    cols = math.ceil(math.sqrt(n_tiles))
    conn.execute(text("CREATE TEMP TABLE city_tile (k int PRIMARY KEY, prefix text, dx float8, dy float8)"))
    rows = [{"k": k, "prefix": f"{DISTRICT}{k + 1:03d}", "dx": (k % cols) * STEP_LON,
             "dy": (k // cols) * STEP_LAT} for k in range(1, n_tiles)]
    if rows:
        conn.execute(text("INSERT INTO city_tile VALUES (:k, :prefix, :dx, :dy)"), rows)


def _columns(conn: Connection, table: str) -> list[str]:
    """Columns a copy must write: not the id, not generated ones (street_code is computed from code)."""
    return list(conn.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = :t AND table_schema = 'public' "
        "AND is_generated = 'NEVER' AND column_name <> 'id' ORDER BY ordinal_position"), {"t": table}).scalars())


def _lookup(table: str, column: str) -> str:
    """The id of the copy in this tile of the row the template's `column` points to (by code)."""
    return (f"(SELECT c2.id FROM {table} c1 JOIN {table} c2 ON c2.code = t.prefix || substr(c1.code, 10) "
            f"WHERE c1.id = s.{column})")


OVERRIDES: dict[str, dict[str, str]] = {
    "street": {"code": "t.prefix", "name": "s.name || '(' || (t.k + 1) || ')'"},
    "community": {"street_id": "(SELECT id FROM street WHERE code = t.prefix)"},
    "grid": {"community_id": _lookup("community", "community_id")},
    "residential_area": {"community_id": _lookup("community", "community_id"),
                         "grid_id": _lookup("grid", "grid_id")},
    "building": {"community_id": _lookup("community", "community_id"),
                 "residential_area_id": _lookup("residential_area", "residential_area_id"),
                 "grid_id": _lookup("grid", "grid_id")},
    "party_organisation": {"community_id": _lookup("community", "community_id"),
                           "residential_area_id": _lookup("residential_area", "residential_area_id"),
                           "building_id": _lookup("building", "building_id")},
    "facility": {"code": "s.code || '-T' || lpad((t.k + 1)::text, 3, '0')",
                 "community_id": _lookup("community", "community_id")},
}
TEMPLATE_ROWS = {
    "party_organisation": "s.id IN (SELECT id FROM city_template_party)",
    "facility": "s.id IN (SELECT id FROM city_template_facility)",
}


def copy_hierarchy(conn: Connection, log: Callable[[str], None]) -> None:
    """Copy streets, communities, grids, residential areas, buildings, party organisations and facilities."""
    # The template's party organisations and facilities, fixed before the copies add theirs.
    conn.execute(text("CREATE TEMP TABLE city_template_party AS SELECT id FROM party_organisation"))
    conn.execute(text("CREATE TEMP TABLE city_template_facility AS SELECT id FROM facility"))
    for table in (*HIERARCHY, "party_organisation", "facility"):
        cols = _columns(conn, table)
        over = OVERRIDES.get(table, {})
        _check_references(conn, table, over)
        exprs = []
        for c in cols:
            if c in over:
                exprs.append(over[c])
            elif c == "code":
                exprs.append("t.prefix || substr(s.code, 10)")
            elif c == "geom":
                exprs.append("ST_Translate(s.geom, t.dx, t.dy)")
            else:
                exprs.append(f"s.{c}")
        where = TEMPLATE_ROWS.get(table, f"s.code LIKE '{TEMPLATE_STREET}%'")
        result = conn.execute(text(
            f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} "
            f"FROM {table} s CROSS JOIN city_tile t WHERE {where} ORDER BY t.k, s.id"))
        log(f"  {table}: +{result.rowcount} rows")


def _check_references(conn: Connection, table: str, over: dict[str, str]) -> None:
    """Refuse a column pointing into a tiled table that OVERRIDES does not map (a copy would point at tile 0)."""
    refs = conn.execute(text(
        "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
        "AND a.attnum = ANY(c.conkey) WHERE c.contype = 'f' AND c.conrelid = CAST(:t AS regclass) "
        "AND c.confrelid::regclass::text = ANY(:tiled)"),
        {"t": table, "tiled": [*HIERARCHY, "party_organisation", "facility"]}).scalars().all()
    unmapped = sorted(set(refs) - set(over))
    if unmapped:
        raise RuntimeError(f"{table}.{', '.join(unmapped)} points into a tiled table: map it in tiles.OVERRIDES")


def copy_network(conn: Connection, log: Callable[[str], None]) -> None:
    """Copy the walking network per tile with ids offset by the template's id range (ids stay dense)."""
    n_nodes = conn.execute(text("SELECT coalesce(max(id), -1) + 1 FROM network_node")).scalar()
    n_edges = conn.execute(text("SELECT coalesce(max(id), -1) + 1 FROM network_edge")).scalar()
    n_comp = conn.execute(text("SELECT coalesce(max(component), -1) + 1 FROM network_edge")).scalar()
    for table, n, over in (
            ("network_node", n_nodes, {}),
            ("network_edge", n_edges, {"u": f"s.u + t.k * {n_nodes}", "v": f"s.v + t.k * {n_nodes}",
                                       "component": f"s.component + t.k * {n_comp}"})):
        cols = ["id", *_columns(conn, table)]
        exprs = [f"s.id + t.k * {n}" if c == "id" else over.get(c) or (
            "ST_Translate(s.geom, t.dx, t.dy)" if c == "geom" else f"s.{c}") for c in cols]
        result = conn.execute(text(
            f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} "
            f"FROM {table} s CROSS JOIN city_tile t WHERE s.id < {n} ORDER BY t.k, s.id"))
        log(f"  {table}: +{result.rowcount} rows")


def add_staff(conn: Connection) -> None:
    """A street officer per street, a secretary per community, a worker per grid (no password: '!')."""
    conn.execute(text(
        "INSERT INTO app_user (username, display_name, password_hash, role, street_id, active) "
        "SELECT 'city-st-' || code, name || '主任', '!', 'street', id, true FROM street "
        "ON CONFLICT (username) DO NOTHING"))
    conn.execute(text(
        "INSERT INTO app_user (username, display_name, password_hash, role, community_id, active) "
        "SELECT 'city-sec-' || code, name || '书记', '!', 'secretary', id, true FROM community "
        "ON CONFLICT (username) DO NOTHING"))
    conn.execute(text(
        "INSERT INTO app_user (username, display_name, password_hash, role, community_id, active) "
        "SELECT 'city-gw-' || code, name || '网格员', '!', 'worker', community_id, true FROM grid "
        "ON CONFLICT (username) DO NOTHING"))
    conn.execute(text(
        "INSERT INTO user_grid (user_id, grid_id) SELECT u.id, g.id FROM grid g "
        "JOIN app_user u ON u.username = 'city-gw-' || g.code ON CONFLICT DO NOTHING"))
