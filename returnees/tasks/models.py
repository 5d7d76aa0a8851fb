from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from returnees.centres.models import Country
from returnees.core.db import Base, value_enum
from returnees.core.encryption import INDEX_LENGTH, Sealed, SealedText


class TaskKind(enum.StrEnum):
    FIND_NEW_NUMBER = "find_new_number"
    URGENT_SAFETY = "urgent_safety"
    REVIEW_REPLY = "review_reply"
    CALL = "call"
    VISIT = "visit"
    HIGH_RISK = "high_risk"
    REFERRAL_FOLLOW_UP = "referral_follow_up"
    APPROVE_CLOSING = "approve_closing"
    SURVEY = "survey"


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Task(Base):
    """Something a member of staff must do about a person, and why."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_open", "status", "priority", "due_at"),
        # The queue's buckets: open urgent tasks oldest first; every other open task by due time.
        Index(
            "ix_tasks_open_urgent",
            "created_at",
            "id",
            postgresql_where=text("status = 'open' AND kind = 'urgent_safety'"),
            sqlite_where=text("status = 'open' AND kind = 'urgent_safety'"),
        ),
        Index(
            "ix_tasks_open_due",
            "due_at",
            "id",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int | None] = mapped_column(ForeignKey("returnees.id"), index=True)
    kind: Mapped[TaskKind] = mapped_column(value_enum(TaskKind, length=30))
    status: Mapped[TaskStatus] = mapped_column(value_enum(TaskStatus), default=TaskStatus.OPEN)
    # Lower sorts first: 0 urgent safety, 10 overdue, 20 high risk, 50 routine.
    priority: Mapped[int] = mapped_column(Integer, default=50)
    # Sealed (core.encryption): a reason may quote a message or name people.
    reason = Sealed()
    reason_sealed: Mapped[str | None] = mapped_column("reason", SealedText)
    # What the task is about, so the same cause opens one task, not one per event; indexed for
    # message retention, which finds the tasks about the replies it erases (`reply:<id>`).
    subject: Mapped[str] = mapped_column(String(80), default="", index=True)
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Sealed: a note may say what the person said or where they are.
    close_note = Sealed()
    close_note_sealed: Mapped[str | None] = mapped_column("close_note", SealedText)
    # The number a danger signal came from: where the sender's acknowledgement goes.
    phone = Sealed(index="phone")
    phone_sealed: Mapped[str | None] = mapped_column("phone", SealedText)
    phone_index: Mapped[str | None] = mapped_column(String(INDEX_LENGTH))
    # A task about no known person (a number nobody holds): the country whose staff see it,
    # read from the number's prefix; None: every country's.
    country: Mapped[Country | None] = mapped_column(value_enum(Country, length=2))
    # An urgent task's alert moves down the on-call chain until someone acknowledges it.
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class UrgentAlert(Base):
    """One discreet SMS about an urgent task to one member of staff, at one step of the on-call
    chain (1 the first on the rota, ...); a reply with the task's number from this phone
    acknowledges the task."""

    __tablename__ = "urgent_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id"))
    created_at: Mapped[datetime]
