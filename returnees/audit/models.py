from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from returnees.core.db import Base, value_enum


class AuditAction(enum.StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_LOCKED = "sign_in_locked"
    SIGN_OUT = "sign_out"
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    DISABLE = "disable"
    ISSUE_TOKEN = "issue_token"
    REVOKE_TOKEN = "revoke_token"
    CHANGE_PASSWORD = "change_password"
    EXPORT = "export"
    ASSIGN = "assign"
    DENIED = "denied"
    DISCARD = "discard"


class AuditEntry(Base):
    """One line of the audit trail. Rows are only ever inserted."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[AuditAction] = mapped_column(value_enum(AuditAction))
    record_type: Mapped[str] = mapped_column(String(40), default="")
    record_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(_mapper: object, _connection: object, entry: AuditEntry) -> None:
    raise PermissionError(f"audit entry {entry.id} is append-only")
