"""Write the audit trail. Every service that shows or changes a record calls `record_event`."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction, AuditEntry
from returnees.core.clock import utcnow


class Auditable(Protocol):
    """Who acts: a signed-in user, or the system (a CLI command, a job)."""

    user_id: int | None
    label: str
    address: str


def record_event(
    session: Session,
    actor: Auditable,
    action: AuditAction,
    record_type: str = "",
    record_id: object = "",
    **detail: Any,
) -> AuditEntry:
    """Append one entry to the audit trail, in the caller's transaction."""
    entry = AuditEntry(
        at=utcnow(),
        user_id=actor.user_id,
        actor=actor.label,
        address=actor.address,
        action=action,
        record_type=record_type,
        record_id=str(record_id),
        detail=detail,
    )
    session.add(entry)
    return entry


def record_view(
    session: Session, actor: Auditable, record_type: str, record_id: object, **detail: Any
) -> AuditEntry:
    """Write that a person's record (or part of it, or a list of people) was shown."""
    return record_event(session, actor, AuditAction.VIEW, record_type, record_id, **detail)
