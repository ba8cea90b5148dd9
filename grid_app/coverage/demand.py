"""Who a facility type serves, per home: the type's age group from the register, else the district's shares."""
from __future__ import annotations

import threading
import time
from datetime import date

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grid_app.coverage.measures_data import url_of
from grid_app.models import DemandGroup
from grid_app.platform.errors import Conflict

# The register's current residents of a building within an age range, for every building that has one.
_REGISTERED = text("""
SELECT h.building_id,
       count(r.id) FILTER (WHERE (r.moved_out IS NULL OR r.moved_out > :today)
                             AND date_part('year', age(:today, r.birth_date)) BETWEEN :lo AND :hi) AS n
FROM household h LEFT JOIN resident r ON r.household_id = h.id
WHERE h.building_id = ANY(:ids)
GROUP BY h.building_id
""")
NO_UPPER_AGE = 200


def demand_group(session: Session, type_id: int) -> DemandGroup | None:
    """The type's population group, or None when it serves every resident."""
    return session.scalar(select(DemandGroup).where(DemandGroup.type_id == type_id))


def home_demand(session: Session, type_code: str, group: DemandGroup | None, building_id: np.ndarray,
                residents: np.ndarray, age_shares: dict[str, float], today: date | None = None) -> tuple[np.ndarray, dict]:
    """People of the group per home, and how many homes were counted from the register or estimated.

    age_shares (setting DEMAND_AGE_SHARES): the district's share of residents in the group, per type code,
    used for buildings without a register."""
    residents = np.asarray(residents, dtype=np.float64)
    if group is None:
        return residents.copy(), {"group": None, "homes_from_register": None, "homes_estimated": None}
    share = age_shares.get(type_code)
    if share is None or not 0 <= float(share) <= 1:
        raise Conflict(f"no district age share for {type_code!r} in DEMAND_AGE_SHARES (a number from 0 to 1)",
                       code="no_age_share")
    rows = session.execute(_REGISTERED, {"today": today or date.today(), "lo": group.age_min,
                                         "hi": NO_UPPER_AGE if group.age_max is None else group.age_max,
                                         "ids": [int(b) for b in building_id]}).all()
    counted = {r.building_id: r.n for r in rows}
    registered = np.array([int(b) in counted for b in building_id], dtype=bool)
    demand = residents * float(share)
    demand[registered] = [counted[int(b)] for b in np.asarray(building_id)[registered]]
    return demand, {"group": {"name": group.name, "age_min": group.age_min, "age_max": group.age_max},
                    "district_share": float(share), "homes_from_register": int(registered.sum()),
                    "homes_estimated": int((~registered).sum())}


# The register's state: a resident added, removed or edited (updated_at), or a household added or removed.
_REGISTER_STATE = text("""
SELECT (SELECT count(*) FROM resident) AS residents, (SELECT max(updated_at) FROM resident) AS changed,
       (SELECT count(*) FROM household) AS households, (SELECT max(id) FROM household) AS last_household
""")
_WRITING = text("SELECT txid_current_if_assigned() IS NOT NULL")
# The state reads the whole register (tens of ms at a district's 50k residents, most of a scenario's
# measures), so it is read again at most this often per database: a register edit committed elsewhere
# moves the demand within this many seconds; a transaction that has written sees its own at once.
REGISTER_RECHECK_S = 5.0
_lock = threading.Lock()
_cache: dict = {}
_states: dict = {}


def clear_demand() -> None:
    """Forget the kept demand and register states (a benchmark's cold run)."""
    with _lock:
        _cache.clear()
        _states.clear()


def _register_state(session: Session, url: str) -> tuple:
    """The register's state, read at most every REGISTER_RECHECK_S seconds per database."""
    now = time.monotonic()
    with _lock:
        hit = _states.get(url)
    if hit and now - hit[0] < REGISTER_RECHECK_S:
        return hit[1]
    state = tuple(session.execute(_REGISTER_STATE).one())
    with _lock:
        _states[url] = (now, state)
    return state


def district_demand(session: Session, net, type_code: str, group: DemandGroup | None,
                    age_shares: dict[str, float], writing: bool | None = None) -> tuple[np.ndarray, dict]:
    """home_demand for every home of the prepared network, kept per data version, register state and day.

    writing: whether the transaction has written, when the caller has read it in this transaction."""
    if group is None:  # every resident: nothing to read
        return home_demand(session, type_code, group, net.homes.building_id, net.homes.residents, age_shares)
    url = url_of(session)
    # A transaction that has written may hold register edits no state shows yet (same now(), same count):
    # it reads the register itself and keeps nothing.
    if writing is None:
        writing = bool(session.execute(_WRITING).scalar())
    today = date.today()
    if not writing:
        key = (url, net.stamp, _register_state(session, url), today, type_code, group.age_min, group.age_max,
               age_shares.get(type_code))
        with _lock:
            if key in _cache:
                return _cache[key]
    found = home_demand(session, type_code, group, net.homes.building_id, net.homes.residents, age_shares, today)
    found[0].setflags(write=False)
    if not writing:
        with _lock:
            for k in [k for k in _cache if k[:2] != key[:2] or k[3] != today]:  # older data: never asked again
                del _cache[k]
            _cache[key] = found
    return found
