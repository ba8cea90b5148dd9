"""The member card (党员报到证): what it shows, and its QR code as inline SVG (no network, no image file).

The code holds only the record id (`party_member:<id>`), never a name or a phone: a scanner at the
community desk looks the record up, in the scanner's own scope.
"""
from __future__ import annotations

import segno
from markupsafe import Markup
from sqlalchemy.orm import Session

from grid_app.models import User
from grid_app.models.party import PartyMember
from grid_app.party.members import get_member
from grid_app.party.membership import organisations_of
from grid_app.platform.errors import Conflict

QR_PREFIX = "party_member:"


def qr_text(member_id: int) -> str:
    """What the card's QR code encodes: the record id, nothing personal."""
    return f"{QR_PREFIX}{member_id}"


def qr_svg(member_id: int, scale: int = 4) -> Markup:
    """The QR code as an inline <svg> element (error correction M, a quiet zone of 4 modules)."""
    return Markup(segno.make(qr_text(member_id), error="m", micro=False).svg_inline(scale=scale, omitsize=False))


def card(session: Session, user: User, member_id: int) -> dict:
    """The card of an approved member the user reads (desk staff, or the member themself)."""
    member: PartyMember = get_member(session, user, member_id)
    if member.status != "approved":
        raise Conflict(f"member {member.id} is {member.status}: a card is printed once approved", code="not_approved")
    orgs = organisations_of(session, [member.id])[member.id]
    return {"id": member.id, "name": member.name, "community": orgs["community"],
            "party_group": orgs["party_group"], "party_branch": orgs["party_branch"],
            "party_committee": orgs["party_committee"],
            "employer": member.unit.name if member.unit else member.employer_name,
            "registered_on": member.registered_on, "qr_svg": qr_svg(member.id)}
