"""Publishing a case to Open311, and an administrator's levers: redact its text, hide it; all audited."""
from __future__ import annotations

from sqlalchemy.orm import Session

from grid_app.access.scope import get_case, require_act
from grid_app.cases import clock
from grid_app.models import Case, User
from grid_app.models.cases import REDACTED
from grid_app.platform import audit
from grid_app.platform.errors import Forbidden, InvalidInput

MAX_REASON = 500


def set_published(session: Session, user: User, case_id: int, published: bool) -> Case:
    """Mark a case of the user's area public (listed by Open311) or internal again; commit."""
    if user.role not in ("admin", "secretary", "street"):
        raise Forbidden("only community and street staff may publish cases", code="forbidden")
    case = get_case(session, user, case_id, for_update=True)
    require_act(session, user, case)
    if case.channel == "public" and not published:
        raise InvalidInput("a case filed through a public channel stays public", code="always_public")
    case.published = bool(published)
    audit.record(session, "case-publish" if published else "case-unpublish", {"case": case.id}, actor=user)
    session.commit()
    return case


def redact(session: Session, admin: User, case_id: int, reason: str) -> Case:
    """Remove a case's text (description, address, event notes); the original goes to the audit log (admins only)."""
    case = _admin_case(session, admin, case_id, reason)
    notes = {str(e.id): e.note for e in case.events if e.note}
    audit.record(session, "case-redact", {"case": case.id, "reason": reason, "description": case.description,
                                           "address": case.address, "notes": notes}, actor=admin)
    case.description, case.address, case.redacted_at = REDACTED, None, clock.now()
    session.commit()
    return case


def set_hidden(session: Session, admin: User, case_id: int, hidden: bool, reason: str) -> Case:
    """Hide a case from everyone but administrators (or show it again); commit."""
    case = _admin_case(session, admin, case_id, reason)
    case.hidden_at = clock.now() if hidden else None
    audit.record(session, "case-hide" if hidden else "case-unhide", {"case": case.id, "reason": reason}, actor=admin)
    session.commit()
    return case


def _admin_case(session: Session, user: User, case_id: int, reason) -> Case:
    if user.role != "admin":
        raise Forbidden("only an administrator may redact or hide a case", code="forbidden")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise InvalidInput(f"a reason of 1 to {MAX_REASON} characters is required", code="bad_reason")
    return get_case(session, user, case_id, for_update=True)
