from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from returnees.core.db import Base, value_enum


class TaskKind(enum.StrEnum):
    FIND_NEW_NUMBER = "find_new_number"
    URGENT_SAFETY = "urgent_safety"
    REVIEW_REPLY = "review_reply"
    CALL = "call"
    VISIT = "visit"
    HIGH_RISK = "high_risk"
    REFERRAL_FOLLOW_UP = "referral_follow_up"
    APPROVE_CLOSING = "approve_closing"


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
    reason: Mapped[str] = mapped_column(String(300))
    # What the task is about, so the same cause opens one task, not one per event.
    subject: Mapped[str] = mapped_column(String(80), default="")
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    close_note: Mapped[str] = mapped_column(Text, default="", server_default="")
