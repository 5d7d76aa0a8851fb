from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returnees.core.db import Base, value_enum
from returnees.core.encryption import INDEX_LENGTH, Sealed, SealedText
from returnees.messaging.models import InboundMessage, OutboundMessage
from returnees.people.models import Channel


class PlanProfile(enum.StrEnum):
    UNACCOMPANIED_CHILD = "unaccompanied_child"
    CHILD_WITH_FAMILY = "child_with_family"
    ADULT = "adult"


class AnswerType(enum.StrEnum):
    YES_NO = "yes_no"
    CHOICE = "choice"
    FREE_TEXT = "free_text"
    CONFIRM = "confirm"


class Asked(enum.StrEnum):
    RETURNEE = "returnee"
    GUARDIAN = "guardian"


class Indicator(enum.StrEnum):
    """What an answer tells about the person; a yes or no reading of it, with its time."""

    SAFE = "safe"
    IN_SCHOOL = "in_school"
    WORKING = "working"
    REFERRAL_ATTENDED = "referral_attended"
    LEAVING_AGAIN = "leaving_again"


class VoiceRule(enum.StrEnum):
    """Whom a plan asks by phone call rather than in writing (on a number whose calls are
    welcome, and when the question has a recorded prompt in their language)."""

    ASKED_FOR_CALLS = "asked_for_calls"  # only who chose calls at the desk (channel voice)
    MAYAN_LANGUAGE = "mayan_language"  # and whoever speaks a Mayan language
    CALLS_WELCOME = "calls_welcome"  # everyone whose calls are welcome


class FollowUpPlan(Base):
    """The check-ins of one profile; its version goes on every check-in it creates."""

    __tablename__ = "follow_up_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile: Mapped[PlanProfile] = mapped_column(value_enum(PlanProfile, length=30), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    voice_rule: Mapped[VoiceRule] = mapped_column(
        value_enum(VoiceRule), default=VoiceRule.ASKED_FOR_CALLS, server_default="asked_for_calls"
    )
    updated_at: Mapped[datetime]

    # The steps in force; a removed step is kept (retired) for the check-ins that used it.
    steps: Mapped[list[PlanStep]] = relationship(
        primaryjoin="and_(FollowUpPlan.id == PlanStep.plan_id, PlanStep.retired_at.is_(None))",
        order_by="PlanStep.day_offset",
        lazy="selectin",
        viewonly=True,
    )


class PlanStep(Base):
    __tablename__ = "plan_steps"
    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("follow_up_plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    day_offset: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(60))
    answer_type: Mapped[AnswerType] = mapped_column(value_enum(AnswerType))
    asked: Mapped[Asked] = mapped_column(value_enum(Asked), default=Asked.RETURNEE)
    indicator: Mapped[Indicator | None] = mapped_column(value_enum(Indicator))
    retired_at: Mapped[datetime | None]


class CheckInState(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    MISSED = "missed"


PENDING = (CheckInState.SCHEDULED,)


class CheckIn(Base):
    """One question to one person at one time: a row the dispatch job claims when it is due."""

    __tablename__ = "check_ins"
    __table_args__ = (
        Index("ix_check_ins_due", "state", "due_at"),
        # Opting out cancels a number's pending check-ins: found without reading the table.
        Index("ix_check_ins_phone_index", "phone_index"),
        # One check-in per step of an arrival (the arrival fixes the person); leading with the
        # person, it is also the index that finds a person's check-ins.
        UniqueConstraint("returnee_id", "arrival_id", "step_id"),
        # One key for both: a check-in's person is its arrival's person (one trigger a row);
        # an arrival moved to another record (a merge) takes its check-ins with it.
        ForeignKeyConstraint(
            ["arrival_id", "returnee_id"],
            ["arrivals.id", "arrivals.returnee_id"],
            onupdate="CASCADE",
        ),
        Index(
            "ix_check_ins_queued_at",
            "queued_at",
            postgresql_where=text("queued_at IS NOT NULL"),
            sqlite_where=text("queued_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int]
    arrival_id: Mapped[int]
    # None for a check-in outside the plan: the question about an open referral.
    step_id: Mapped[int | None] = mapped_column(ForeignKey("plan_steps.id"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    plan_version: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    # Sealed (core.encryption); a number's check-ins are found by its index.
    phone = Sealed(index="phone")
    phone_sealed: Mapped[str | None] = mapped_column("phone", SealedText)
    phone_index: Mapped[str | None] = mapped_column(String(INDEX_LENGTH))
    channel: Mapped[Channel] = mapped_column(value_enum(Channel))
    template: Mapped[str] = mapped_column(String(60))
    answer_type: Mapped[AnswerType] = mapped_column(value_enum(AnswerType))
    indicator: Mapped[Indicator | None] = mapped_column(value_enum(Indicator))
    state: Mapped[CheckInState] = mapped_column(value_enum(CheckInState))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id"))
    message: Mapped[OutboundMessage | None] = relationship()
    queued_at: Mapped[datetime | None]
    # When the message was confirmed sent: the reply timer starts here, not at queueing.
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    answer: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # The reply that answered it: which number answered (a guardian's, a shared phone's).
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    reply: Mapped[InboundMessage | None] = relationship()
    created_at: Mapped[datetime]


class IndicatorReading(Base):
    """One reading of an indicator (safe, in school, ...) at a time: the history a record and the
    risk rules read; the latest reading of each indicator is the person's current state."""

    __tablename__ = "indicator_readings"
    __table_args__ = (
        Index("ix_indicator_readings_latest", "returnee_id", "indicator", "observed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"))
    indicator: Mapped[Indicator] = mapped_column(value_enum(Indicator))
    value: Mapped[bool]
    observed_at: Mapped[datetime]
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_ins.id"))
    # "check-in" for an answer, or the member of staff who recorded it.
    source: Mapped[str] = mapped_column(String(80), default="check-in")
