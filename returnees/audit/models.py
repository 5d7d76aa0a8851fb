from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returnees.core.db import Base, value_enum
from returnees.core.encryption import Sealed, SealedText


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
    BREAK_GLASS = "break_glass"
    MERGE = "merge"
    UNDO_MERGE = "undo_merge"


class AuditEntry(Base):
    """One line of the audit trail. Rows are only ever inserted; the chain's three columns are
    written once, when the transaction that inserted the row commits (returnees.audit.chain)."""

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
    # Place in the one chain of entries (1, 2, 3, ... in commit order), the hash of the entry
    # before it, and this entry's own hash over that and its content.
    position: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    people: Mapped[list[AuditEntryPerson]] = relationship(
        cascade="all", lazy="raise", passive_deletes=True
    )


class AuditEntryPerson(Base):
    """A person an entry is about or showed, by id: who looked at someone is one indexed read.
    Derived from the entry's record and detail, which the chain's hash covers."""

    __tablename__ = "audit_entry_people"
    __table_args__ = (Index("ix_audit_entry_people_returnee", "returnee_id", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entries.id"), primary_key=True)
    returnee_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class AccessReason(Base):
    """The words a member of staff gave for opening what they may open only with a reason (a
    protection referral, a record outside their scope). The entry that records the opening
    names it by id: the trail itself carries no text anyone typed. Append-only, but for one
    change: erasing the person it was given about replaces the words (services.erase_reasons)."""

    __tablename__ = "access_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    given_at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Sealed (core.encryption): a reason may say what the person went through.
    text = Sealed()
    text_sealed: Mapped[str | None] = mapped_column("text", SealedText)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
@event.listens_for(AuditEntryPerson, "before_update")
@event.listens_for(AuditEntryPerson, "before_delete")
@event.listens_for(AccessReason, "before_update")
@event.listens_for(AccessReason, "before_delete")
def _refuse_change(_mapper: object, _connection: object, row: object) -> None:
    raise PermissionError(f"audit entry {getattr(row, 'id', row)} is append-only")
