"""The community's quarterly remark on a member (双报告), written by the secretary on the report page; audited."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from grid_app.access import scope
from grid_app.models import User
from grid_app.models.party import PartyMember
from grid_app.models.party_service import MemberRemark
from grid_app.party.quarters import Quarter
from grid_app.platform import audit
from grid_app.platform.errors import InvalidInput, NotFound
from grid_app.platform.text import optional_text

MAX_REMARK = 2000


def save_remarks(session: Session, user: User, quarter: Quarter, remarks: dict[int, str | None]) -> int:
    """Write the changed remarks of members the user's desk reads (blank clears one); the count changed.

    Every text is checked before the first write; a member outside the desk's scope is a 404 for the whole form.
    """
    scope.require_party_role(user, desk=True)
    checked = {member_id: optional_text(text, f"remark of member {member_id}", MAX_REMARK, code="bad_remark")
               for member_id, text in remarks.items()}
    if not checked:
        return 0
    visible = set(session.scalars(select(PartyMember.id).where(
        PartyMember.id.in_(list(checked)), scope.party_member_clause(user))))
    missing = sorted(set(checked) - visible)
    if missing:
        raise NotFound(f"no party member {missing[0]}", code="member_not_found")
    stored = {r.member_id: r for r in session.scalars(select(MemberRemark).where(
        MemberRemark.member_id.in_(list(checked)), MemberRemark.quarter_start == quarter.first_day)
        .with_for_update())}
    changed = 0
    for member_id, text in sorted(checked.items()):
        row = stored.get(member_id)
        if (row.remark if row else None) == text:
            continue
        if text is None:
            session.delete(row)
        elif row is None:
            session.add(MemberRemark(member_id=member_id, quarter_start=quarter.first_day, remark=text,
                                     author_id=user.id))
        else:
            row.remark, row.author_id = text, user.id
        # The text itself is the employer's business, not the log's: the log says who changed which.
        audit.record(session, "party-remark", {"member": member_id, "quarter": quarter.code,
                                               "cleared": text is None}, actor=user)
        changed += 1
    session.flush()
    return changed


def parse_member_ids(form_keys, prefix: str = "remark-") -> list[int]:
    """The member ids named by form fields such as remark-42; InvalidInput for a malformed one."""
    ids = []
    for key in form_keys:
        if key.startswith(prefix):
            raw = key[len(prefix):]
            if not raw.isdigit() or len(raw) > 12:
                raise InvalidInput(f"bad form field {key[:40]!r}", code="bad_remark")
            ids.append(int(raw))
    return ids
