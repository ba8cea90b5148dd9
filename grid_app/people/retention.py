"""Retention of the register: residents moved out longer ago than the retention period are deleted.

PIPL Art. 19 and 47: personal data is kept no longer than its purpose needs. A resident who moved
out stays in the register for GRID_APP_RESIDENT_RETENTION_DAYS (a worker may still need to find the
record), then `flask grid purge-residents` deletes them with their care tags and visits (ON DELETE
CASCADE), deletes the flats left empty and recounts their buildings from the register.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from grid_app.models.people import Household, Resident
from grid_app.people.register import recount_buildings
from grid_app.platform.errors import InvalidInput


@dataclass
class PurgeReport:
    """What a purge deleted (or would delete): counts only, no personal data."""

    cutoff: date
    residents: int = 0
    households: int = 0
    buildings: int = 0
    buildings_recounted: list[str] = field(default_factory=list)


def cutoff_date(days, today: date | None = None) -> date:
    """The first moved-out date that is kept: a resident who moved out before it is past retention."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidInput(f"GRID_APP_RESIDENT_RETENTION_DAYS must be a whole number of days >= 1, got {days!r}",
                           code="bad_retention")
    return (today or date.today()) - timedelta(days=days)


def _past(cutoff: date):
    return Resident.moved_out < cutoff  # moved out exactly `days` ago is not yet longer ago than that


def _emptied(past_households, cutoff: date):
    """A select of the households whose every resident is past retention."""
    remaining = select(Resident.id).where(Resident.household_id == Household.id, ~_past(cutoff))
    return select(Household.id).where(Household.id.in_(past_households), ~remaining.exists())


def purge(session: Session, days: int, *, today: date | None = None, dry_run: bool = False) -> PurgeReport:
    """Delete residents past retention, empty flats, recount buildings (flush only; the caller commits once)."""
    cutoff = cutoff_date(days, today)
    report = PurgeReport(cutoff)
    past_households = select(Resident.household_id).where(_past(cutoff))
    buildings = set(session.scalars(select(Household.building_id).where(Household.id.in_(past_households))))
    report.buildings = len(buildings)
    if dry_run:
        report.residents = session.scalar(select(func.count()).select_from(Resident).where(_past(cutoff)))
        report.households = session.scalar(select(func.count()).select_from(_emptied(past_households, cutoff)
                                                                             .subquery()))
        return report
    emptied = list(session.scalars(_emptied(past_households, cutoff)))
    report.residents = session.execute(delete(Resident).where(_past(cutoff))).rowcount
    # Recount while the flats still exist (a building left without any register counts 0, not its old figure).
    report.buildings_recounted = recount_buildings(session, buildings, today)
    if emptied:
        report.households = session.execute(delete(Household).where(Household.id.in_(emptied))).rowcount
    session.flush()
    return report
