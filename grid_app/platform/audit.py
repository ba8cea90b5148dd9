"""Recording administrative actions in the audit log."""
from __future__ import annotations

import getpass

from sqlalchemy import select
from sqlalchemy.orm import Session

from grid_app.models.audit import AuditEvent


def record(session: Session, action: str, detail: dict | None = None, actor=None) -> None:
    """Add an audit event (committed with the caller's transaction); CLI actions name the OS account."""
    name = actor.username if actor is not None else f"cli:{getpass.getuser()}"
    session.add(AuditEvent(action=action, actor_id=getattr(actor, "id", None), actor_name=name, detail=detail))


def recent(session: Session, limit: int = 50) -> list[AuditEvent]:
    """The newest audit events first."""
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))
