"""What the measures read on every call, in one statement: data versions, reference rows, a writing transaction.

The versions stamp what measures keep (a community's homes, today's side of a scenario); the
reference rows (facility types, demand groups, life-circle items: a few dozen, edited in place by a
district) are kept per fingerprint of their text, which the same statement computes, so an edit is
seen at once without the three queries that read them; whether the transaction has written tells
the demand whether it may use what it keeps.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from grid_app.network.store import versions_stamp

# Every dataset a kept measure hangs on (prepared network: network, buildings; facilities; homes' areas).
NAMES = ("network", "buildings", "facilities", "residential_areas", "hierarchy")

_FINGERPRINT = """md5(concat_ws('|',
    (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM facility_type t),
    (SELECT string_agg(g::text, ',' ORDER BY g.type_id) FROM demand_group g),
    (SELECT string_agg(i::text, ',' ORDER BY i.id) FROM life_circle_item i)))"""

_STATE = text(f"""
SELECT x.reference, x.writing, d.name, d.version, d.changed_at
FROM (SELECT {_FINGERPRINT} AS reference, txid_current_if_assigned() IS NOT NULL AS writing) x
LEFT JOIN dataset_version d ON d.name = ANY(:names)""")

# The rows with their own fingerprint (one snapshot): rows an edit committed between the two statements
# are kept under the fingerprint they have, never under the one read before.
_REFERENCE = text(f"""
SELECT 't' AS kind, id, code, name, name_en, circle_minutes AS a, NULL::int AS b, NULL::numeric AS d
  FROM facility_type
UNION ALL SELECT 'g', type_id, NULL, name, NULL, age_min, age_max, NULL FROM demand_group
UNION ALL SELECT 'i', id, NULL, standard_item, source, level_minutes, type_id, min_share FROM life_circle_item
UNION ALL SELECT 'f', 0, {_FINGERPRINT}, NULL, NULL, NULL, NULL, NULL
ORDER BY 1, 2""")


@dataclass(frozen=True)
class TypeRow:
    """A facility type as the measures use it."""

    id: int
    code: str
    name: str
    name_en: str | None
    circle_minutes: int


@dataclass(frozen=True)
class Group:
    """A type's population group (DemandGroup's fields the demand reads)."""

    name: str
    age_min: int
    age_max: int | None


@dataclass(frozen=True)
class Item:
    """A life-circle checklist item, with its type."""

    level_minutes: int
    type: TypeRow
    standard_item: str
    source: str
    min_share: float


@dataclass(frozen=True)
class Reference:
    """The reference rows: types by code, groups by type id, items by (level, id)."""

    types: dict[str, TypeRow]
    groups: dict[int, Group]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class DataState:
    """One read of the data the measures keep things for."""

    rows: tuple  # dataset_version rows (name, version, changed_at)
    reference: Reference
    fingerprint: str
    writing: bool

    def stamp(self, names: tuple[str, ...]) -> str:
        """versions(session, names)'s stamp, from this read."""
        return versions_stamp(self.rows, names)

    @property
    def key(self) -> str:
        """Every dataset's stamp and the reference rows' fingerprint: changes when anything measured does."""
        return f"{self.stamp(NAMES)},reference:{self.fingerprint}"


REFERENCES_KEPT = 4
_lock = threading.Lock()
_kept: dict = {}
_urls: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def url_of(session: Session) -> str:
    """str() of the session's engine URL, which keys what is kept per database (rendered once per engine:
    rendering it took ~40 us, and a scenario's measures asked nine times)."""
    engine = session.get_bind().engine
    found = _urls.get(engine)
    if found is None:
        found = _urls[engine] = str(engine.url)
    return found


def clear() -> None:
    """Forget the kept reference rows (a benchmark's cold run)."""
    with _lock:
        _kept.clear()


def data_state(session: Session) -> DataState:
    """The data versions, reference rows and writing flag now (one statement; a second when the rows changed)."""
    rows = session.execute(_STATE, {"names": list(NAMES)}).all()
    fingerprint, writing = rows[0].reference, bool(rows[0].writing)
    url = url_of(session)
    with _lock:
        reference = _kept.get((url, fingerprint))
    if reference is None:
        read, reference = _read_reference(session)
        with _lock:
            if len(_kept) >= REFERENCES_KEPT:
                _kept.clear()
            _kept[(url, read)] = reference
        fingerprint = read  # the rows are as of this fingerprint (an edit may have come in between)
    return DataState(tuple((r.name, r.version, r.changed_at) for r in rows if r.name is not None),
                     reference, fingerprint, writing)


def _read_reference(session: Session) -> tuple[str, Reference]:
    """The reference rows and their fingerprint, from one snapshot."""
    rows = session.execute(_REFERENCE).all()
    types = {r.code: TypeRow(r.id, r.code, r.name, r.name_en, r.a) for r in rows if r.kind == "t"}
    by_id = {t.id: t for t in types.values()}
    groups = {r.id: Group(r.name, r.a, r.b) for r in rows if r.kind == "g"}
    items = sorted((r for r in rows if r.kind == "i"), key=lambda r: (r.a, r.id))
    fingerprint = next(r.code for r in rows if r.kind == "f")
    return fingerprint, Reference(types, groups, tuple(Item(r.a, by_id[r.b], r.name, r.name_en, float(r.d))
                                                       for r in items))
