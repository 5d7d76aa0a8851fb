from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returnees.auth.models import User
from returnees.centres.models import Centre
from returnees.core.db import Base, value_enum
from returnees.core.encryption import Sealed, SealedText


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    # A child's case: a social worker asked to close it; a supervisor must approve.
    CLOSING = "closing"
    CLOSED = "closed"


class CloseReason(enum.StrEnum):
    REINTEGRATED = "reintegrated"
    MOVED = "moved"
    MIGRATED_AGAIN = "migrated_again"
    DIED = "died"
    CONTACT_LOST = "contact_lost"
    DECLINED = "declined"
    # The person was registered twice and this case's record merged into the other, whose
    # case goes on: only a merge closes a case so, never a member of staff.
    MERGED = "merged"


class Case(Base):
    """One period of follow-up of a person, from an arrival until it is closed; a new return
    opens a new case. Who works it, and how it ended."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_returnee_status", "returnee_id", "status"),
        Index("ix_cases_assigned", "assigned_to_id", "status"),
        Index(
            "ix_cases_open_assigned",
            "assigned_to_id",
            "returnee_id",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"))
    status: Mapped[CaseStatus] = mapped_column(value_enum(CaseStatus), default=CaseStatus.OPEN)
    # A child's case (under 18 or unaccompanied at arrival): closing it needs a supervisor.
    is_child: Mapped[bool] = mapped_column(default=False)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None]
    opened_at: Mapped[datetime]
    close_reason: Mapped[CloseReason | None] = mapped_column(value_enum(CloseReason))
    # Sealed (core.encryption), as are the other notes staff write about a person here.
    close_note = Sealed()
    close_note_sealed: Mapped[str | None] = mapped_column("close_note", SealedText)
    close_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    close_requested_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    # The office that follows the person up where they live; None: waiting to be routed.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)

    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    office: Mapped[Centre | None] = relationship(foreign_keys=[office_id])


class CaseOfficeChange(Base):
    """A case went from one office to another (None: waiting to be routed): when, why, who."""

    __tablename__ = "case_office_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_office_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    to_office_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    # Sealed: a transfer's move quotes the transfer's reason.
    reason = Sealed()
    reason_sealed: Mapped[str | None] = mapped_column("reason", SealedText)
    at: Mapped[datetime]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    from_office: Mapped[Centre | None] = relationship(foreign_keys=[from_office_id])
    to_office: Mapped[Centre | None] = relationship(foreign_keys=[to_office_id])
    by: Mapped[User | None] = relationship(foreign_keys=[by_id])


class ContactKind(enum.StrEnum):
    CALL = "call"
    VISIT = "visit"


class ContactOutcome(enum.StrEnum):
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    WRONG_NUMBER = "wrong_number"
    MET = "met"
    NOT_HOME = "not_home"
    MOVED = "moved"


CALL_OUTCOMES = (ContactOutcome.REACHED, ContactOutcome.NOT_REACHED, ContactOutcome.WRONG_NUMBER)
VISIT_OUTCOMES = (ContactOutcome.MET, ContactOutcome.NOT_HOME, ContactOutcome.MOVED)


class CaseContact(Base):
    """A call or a visit a social worker made, and how it went."""

    __tablename__ = "case_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    kind: Mapped[ContactKind] = mapped_column(value_enum(ContactKind))
    outcome: Mapped[ContactOutcome] = mapped_column(value_enum(ContactOutcome))
    note = Sealed()
    note_sealed: Mapped[str | None] = mapped_column("note", SealedText)
    made_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime]

    made_by: Mapped[User] = relationship(foreign_keys=[made_by_id])


class SavedFilter(Base):
    """A queue filter a user named and keeps: e.g. "my children, overdue"."""

    __tablename__ = "saved_filters"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    criteria: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class TransferStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Transfer(Base):
    """A case proposed to another office of the same country (the person moved); it moves only
    when the receiving office accepts it."""

    __tablename__ = "transfers"
    __table_args__ = (Index("ix_transfers_to_office_status", "to_office_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"), index=True)
    from_office_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    to_office_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    # Sealed: why the person moved, and why the office declined, say where they live now.
    reason = Sealed()
    reason_sealed: Mapped[str | None] = mapped_column("reason", SealedText)
    status: Mapped[TransferStatus] = mapped_column(
        value_enum(TransferStatus), default=TransferStatus.PENDING
    )
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decline_reason = Sealed()
    decline_reason_sealed: Mapped[str | None] = mapped_column("decline_reason", SealedText)

    from_office: Mapped[Centre] = relationship(foreign_keys=[from_office_id])
    to_office: Mapped[Centre] = relationship(foreign_keys=[to_office_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
