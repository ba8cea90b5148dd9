"""The statements of intake: the located insert with the reader's read-back, and the read-back of a stored case.

Each is built once per shape of the reader's scope (one per role in practice), with the scope's values
(user id, street, community) as parameters. The insert, which every logged case runs, is a prepared
statement (platform/prepared.py): planning it was a third of the server's work per case.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Boolean, DateTime, Float, Integer, Row, String, Text, bindparam, column, text
from sqlalchemy.dialects.postgresql import psycopg2
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.sql import visitors
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.sql.util import ClauseAdapter

from grid_app.access.scope import case_act_clause, case_read_clause
from grid_app.models import OPEN_STATES, Case, Category, User
from grid_app.places import locate
from grid_app.platform.prepared import Prepared

DUPLICATE_RADIUS_M = 50
DUPLICATE_DAYS = 7
DUPLICATE_SHOWN = 10  # newest first
DUPLICATE_CANDIDATES = 50  # the nearest open cases looked at: bounds the work at a crowded spot
PLACE_KINDS = ("community", "grid", "residential_area", "building")

# Columns of a new case taken from where its point lies; the others come from the request.
_PLACE_COLUMNS = ("street_code", "community_id", "grid_id", "residential_area_id", "building_id", "snapped_m")
_CASE_COLUMNS = [c.name for c in Case.__table__.c if c.name != "id"]
_CASE_ATTRIBUTES = [c.name for c in Case.__table__.c]  # the model's attributes are named as its columns
# The insert's parameters with their types: the request's columns, the point, and the category as read.
_INSERT_PARAMETERS = [bindparam(c.name, type_=c.type) for c in Case.__table__.c
                      if c.name not in ("id", "geom", *_PLACE_COLUMNS)] + [
    bindparam("lon", type_=Float), bindparam("lat", type_=Float), bindparam("snap_m", type_=Float),
    bindparam("unlocated_note", type_=Text), bindparam("category_code", type_=Category.__table__.c.code.type),
    bindparam("category_level", type_=Category.__table__.c.default_level.type),
    bindparam("category_hours", type_=Category.__table__.c.deadline_hours.type)]
_READ_BACK_COLUMNS = [column(f"{kind}_{part}", String) for kind in PLACE_KINDS for part in ("code", "name")] + [
    column("may_act", Boolean), column("dup_ids", ARRAY(Integer)), column("dup_texts", ARRAY(Text)),
    column("dup_times", ARRAY(DateTime(timezone=True)))]
_NAMED = psycopg2.dialect(paramstyle="named")  # the plain dialect would add ::TYPE casts text() cannot parse


@dataclass(frozen=True)
class Scope:
    """The reader's scope as the read-back reads it: its two clauses as SQL over `nc`, and their values."""

    act_sql: str  # the reader may move the case `nc` through the workflow
    read_sql: str  # a nearby case (case_record) is one the reader may read
    values: dict
    parameters: tuple  # typed bind parameters, for the prepared statement


def insert(session: Session, reader: User | None, values: dict) -> tuple[Case, Row] | None:
    """Locate, insert the case and its `collect` event: the case and its row (with the reader's read-back).

    None when nothing was stored (the key is taken, or the category changed since it was read).
    """
    scope = None if reader is None else scope_of(reader)
    prepared, statement = _statement(_INSERT, scope)
    prepared.ready(session)
    row = session.connection().execute(statement, values if scope is None else {**values, **scope.values}).one_or_none()
    return None if row is None else (_loaded_case(session, row), row)


def _loaded_case(session: Session, row: Row) -> Case:
    """The inserted case as an object of the session, as if loaded: no second read, no ORM loading.

    The ORM's loading of the row cost 0.3 ms of CPU per case beside the core row (in-process, 600 inserts).
    """
    fields = row._mapping
    case = Case(**{name: fields[name] for name in _CASE_ATTRIBUTES})
    make_transient_to_detached(case)  # unchanged, with its identity: as freshly read
    session.add(case)
    return case


def prepared_insert(reader: User | None) -> Prepared:
    """The prepared insert this reader's intake runs: one per shape of scope, shared by a role's users."""
    return _statement(_INSERT, None if reader is None else scope_of(reader))[0]


def read(session: Session, case_id: int, reader: User):
    """The read-back of a stored case for this reader: places, may act, possible duplicates."""
    scope = scope_of(reader)
    return session.execute(_statement(_READ, scope), {"case_id": case_id, **scope.values}).one()


# Scopes by everything their clauses read from the reader (a change of role or place makes a new one);
# statements by the scope's SQL, so that every reader of a role shares one (and one prepared statement).
_SCOPES: dict[tuple, Scope] = {}
_STATEMENTS: dict[tuple, object] = {}
_CACHE_MAX = 4096
_INSERT, _READ = "insert", "read"


def scope_of(reader: User) -> Scope:
    """The reader's scope, rendered once per user and place."""
    key = (reader.id, reader.role, reader.community_id, reader.street_id)
    found = _SCOPES.get(key)
    if found is None:
        if len(_SCOPES) >= _CACHE_MAX:
            _SCOPES.clear()
        act, act_values, act_types = _bound_sql(
            ClauseAdapter(Case.__table__.alias("nc")).traverse(case_act_clause(reader)), "scope_act_")
        read, read_values, read_types = _bound_sql(case_read_clause(reader), "scope_read_")
        types = {**act_types, **read_types}
        found = _SCOPES[key] = Scope(act, read, {**act_values, **read_values},
                                     tuple(bindparam(name, type_=t) for name, t in types.items()))
    return found


def _bound_sql(clause, prefix: str) -> tuple[str, dict, dict]:
    """The clause as SQL with its values as parameters named prefix0, prefix1...: (sql, values, types)."""
    values, types = {}, {}

    def name_it(bind):
        bind.key = f"{prefix}{len(values)}"
        values[bind.key], types[bind.key] = bind.effective_value, bind.type
    named = visitors.cloned_traverse(clause, {}, {"bindparam": name_it})
    return str(named.compile(dialect=_NAMED)), values, types


def _statement(kind: str, scope: Scope | None):
    key = (kind,) if scope is None else (kind, scope.act_sql, scope.read_sql)
    found = _STATEMENTS.get(key)
    if found is None:
        if len(_STATEMENTS) >= _CACHE_MAX:
            _STATEMENTS.clear()
        found = _STATEMENTS[key] = _insert_statement(scope) if kind == _INSERT else _read_statement(scope)
    return found


def _insert_value(name: str) -> str:
    """The SQL value of one column of a new case, in the insert from the located point."""
    if name == "geom":
        return "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    if name == "snapped_m":
        return "CASE WHEN loc.grid_id IS NULL THEN NULL ELSE loc.snapped_m END"
    return f"loc.{name}" if name in _PLACE_COLUMNS else f":{name}"


def _insert_statement(scope: Scope | None) -> tuple[Prepared, TextualSelect]:
    """Locate, insert the case and its `collect` event, answer the case row (and the reader's read-back).

    One round trip, no flush, no savepoint. A request with the same key that won the race makes the
    insert a no-op and the statement answers no row. The case comes back in the model's column order
    (the table's differs: later migrations added columns last).
    """
    columns = ", ".join("ST_AsEWKB(nc.geom) AS geom" if c.name == "geom" else f"nc.{c.name}"
                        for c in Case.__table__.c)
    if scope is not None:
        columns += ", " + ", ".join(f"loc.{kind}_{part}" for kind in PLACE_KINDS for part in ("code", "name"))
        columns += ", " + _scoped_read_back(scope)
    sql = text(f"""
WITH pts AS (SELECT 1 AS i, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g),
loc AS ({locate.LOCATED_SELECT}),
ins AS (
    INSERT INTO case_record ({", ".join(_CASE_COLUMNS)})
    SELECT {", ".join(_insert_value(name) for name in _CASE_COLUMNS)} FROM loc
    -- the category as it was read (intake may use a copy kept for a few seconds): still so, or nothing is stored
    WHERE EXISTS (SELECT 1 FROM category k WHERE k.id = :category_id AND k.code = :category_code AND k.active
                  AND k.default_level = :category_level AND k.deadline_hours = :category_hours)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING *
), ev AS (
    INSERT INTO case_event (case_id, action, actor_id, at, to_state, to_level, note, street_code)
    SELECT id, 'collect', reporter_id, created_at, state, level,
           CASE WHEN grid_id IS NULL THEN :unlocated_note END, street_code
    FROM ins
)
SELECT {columns}
FROM ins nc CROSS JOIN loc {_duplicates_join(scope) if scope is not None else ""}
""").bindparams(*_INSERT_PARAMETERS, *(scope.parameters if scope is not None else ()))
    prepared = Prepared(sql)
    return prepared, prepared.execute.columns(*Case.__table__.c, *(_READ_BACK_COLUMNS if scope is not None else ()))


def _read_statement(scope: Scope):
    """The read-back of a stored case."""
    names = ", ".join(f"{alias}.code AS {kind}_code, {alias}.name AS {kind}_name"
                      for kind, alias in zip(PLACE_KINDS, ("co", "g", "ra", "b")))
    return text(f"""
SELECT {names}, {_scoped_read_back(scope)}
FROM case_record nc
LEFT JOIN community co ON co.id = nc.community_id
LEFT JOIN grid g ON g.id = nc.grid_id
LEFT JOIN residential_area ra ON ra.id = nc.residential_area_id
LEFT JOIN building b ON b.id = nc.building_id
{_duplicates_join(scope)}
WHERE nc.id = :case_id""").bindparams(*scope.parameters)


def _scoped_read_back(scope: Scope) -> str:
    """The read-back's own columns over the case `nc`: may the reader act on it, its duplicates."""
    return f"({scope.act_sql}) AS may_act, d.ids AS dup_ids, d.texts AS dup_texts, d.times AS dup_times"


def _duplicates_join(scope: Scope) -> str:
    """Open cases the reader may read, of the case `nc`'s category, within 50 m, in the 7 days before it."""
    open_states = ", ".join(f"'{state}'" for state in OPEN_STATES)
    # The box lets the open cases' GiST index find candidates nearest first; the geography test is the
    # exact 50 m. At most DUPLICATE_CANDIDATES nearest are looked at, so a spot where hundreds of the same
    # case pile up (a flood, a mass report) costs no more than any other. A case this statement inserts
    # is not visible to it: it is excluded anyway.
    return f"""LEFT JOIN LATERAL (
    SELECT array_agg(x.id) AS ids, array_agg(x.description) AS texts, array_agg(x.created_at) AS times
    FROM (SELECT near.id, near.description, near.created_at FROM (
              SELECT case_record.id, case_record.description, case_record.created_at, case_record.geom
              FROM case_record
              WHERE case_record.id <> nc.id AND case_record.category_id = nc.category_id
                AND case_record.state IN ({open_states})
                AND case_record.created_at >= nc.created_at - make_interval(days => {DUPLICATE_DAYS})
                AND case_record.created_at <= nc.created_at
                AND case_record.geom && ST_Expand(nc.geom, {DUPLICATE_RADIUS_M} / (111000.0 * cos(radians(
                    LEAST(abs(ST_Y(nc.geom)), 89.0)))))
                AND ({scope.read_sql})
              ORDER BY case_record.geom <-> nc.geom LIMIT {DUPLICATE_CANDIDATES}) near
          WHERE ST_DWithin(near.geom::geography, nc.geom::geography, {DUPLICATE_RADIUS_M})
          ORDER BY near.created_at DESC LIMIT {DUPLICATE_SHOWN}) x
) d ON true"""
