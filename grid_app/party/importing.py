"""Writing a checked member list: upsert by phone hash + unit, never a second record for the same person."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session
from tqdm import tqdm

from grid_app.models import Building
from grid_app.models.party import PartyMember, PartyUnit
from grid_app.party.members import fill, find_existing
from grid_app.party.registration import Registration
from grid_app.party.sheet import MemberRow
from grid_app.people.crypto import Keyring


@dataclass
class ImportReport:
    """What an import wrote (counts only: no personal data)."""

    created: int = 0
    updated: int = 0


def existing_codes(session: Session, model, codes: set[str]) -> set[str]:
    """The codes among `codes` that name stored rows of model (PartyUnit or Building)."""
    return set(session.scalars(select(model.code).where(model.code.in_(list(codes)))))


def write_rows(session: Session, keys: Keyring, rows: list[MemberRow], *, approve: bool = False,
               progress: bool = False, today: date | None = None) -> ImportReport:
    """Upsert members for checked rows (flush only; the caller commits once). New ones are pending,
    or approved when the importing desk says so (approve=True); an update keeps the status."""
    report = ImportReport()
    units = {u.code: u for u in session.scalars(select(PartyUnit).where(PartyUnit.code.in_({r.unit_code for r in rows})))}
    buildings = {b.code: b for b in session.scalars(
        select(Building).where(Building.code.in_({r.building_code for r in rows})))}
    for row in tqdm(rows, desc="party members", unit="row", disable=not progress):
        unit = units[row.unit_code]
        reg = Registration(name=row.name, phone=row.phone, building=buildings[row.building_code], unit=unit,
                           employer_name=None, employer_party_org=row.employer_party_org or unit.party_org_name,
                           skills=row.skills)
        member = find_existing(session, keys, reg)
        if member is None:
            member = PartyMember(status="approved" if approve else "pending",
                                 registered_on=row.registered_on or today or date.today())
            if approve:
                member.approved_at = datetime.now(timezone.utc)
            session.add(member)
            report.created += 1
        else:
            report.updated += 1
            if row.registered_on:
                member.registered_on = row.registered_on
        fill(member, reg, keys)
        session.flush()  # the next row's look-up sees this one
    return report
