"""The instrument (a version of items, each with its dimension, weight and answer scores), and
the waves of it taken with a person, with their answers and scores.

Read by reports and exports: `survey_waves` holds one row per wave (the person, the arrival it
follows, its day after arrival, the instrument version, the three dimension scores and the
composite, each between 0 and 1 or empty); `survey_answers` one row per item answered in a wave
(the option's value, its score or empty when not scored, and where the answer came from).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returnees.core.db import Base, value_enum
from returnees.followups.models import Indicator


class Dimension(enum.StrEnum):
    ECONOMIC = "economic"
    SOCIAL = "social"
    PSYCHOSOCIAL = "psychosocial"


class ItemKind(enum.StrEnum):
    """How an item is asked: a yes or no, a scale (never ... always), or a choice."""

    YES_NO = "yes_no"
    SCALE = "scale"
    CHOICE = "choice"


# Answers every item allows besides its options; neither is scored.
DECLINED = "declined"
DONT_KNOW = "dont_know"
UNSCORED_ANSWERS = (DECLINED, DONT_KNOW)


class Instrument(Base):
    """One version of the survey; the active one is asked in new waves. A change of items or
    weights makes a new version: a wave keeps the version it was opened with."""

    __tablename__ = "survey_instruments"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    is_active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    items: Mapped[list[SurveyItem]] = relationship(
        order_by="SurveyItem.position", lazy="selectin", viewonly=True
    )


class SurveyItem(Base):
    """One question of one version. `options` is a list of {"value", "label_es", "label_en",
    "score"}: the score between 0 and 1, or null for an answer that says nothing to score (no
    children of school age). An item safe to ask by SMS may name the check-in indicator whose
    recent reading answers it."""

    __tablename__ = "survey_items"
    __table_args__ = (
        UniqueConstraint("instrument_id", "code"),
        UniqueConstraint("instrument_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("survey_instruments.id"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    dimension: Mapped[Dimension] = mapped_column(value_enum(Dimension))
    weight: Mapped[float] = mapped_column(Float)
    question_es: Mapped[str] = mapped_column(Text)
    question_en: Mapped[str] = mapped_column(Text)
    kind: Mapped[ItemKind] = mapped_column(value_enum(ItemKind))
    options: Mapped[list] = mapped_column(JSON)
    is_safe_by_sms: Mapped[bool] = mapped_column(default=False)
    indicator: Mapped[Indicator | None] = mapped_column(value_enum(Indicator))

    def option(self, value: str) -> dict | None:
        return next((option for option in self.options if option["value"] == value), None)


class WaveStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    # Closed unanswered; `not_taken_reason` says why.
    NOT_TAKEN = "not_taken"


# Why a wave was not taken: the person's case closed while it was open.
CASE_CLOSED = "case_closed"


class SurveyWave(Base):
    """The survey taken with a person at a day after an arrival (30, 180: SURVEY_WAVE_DAYS);
    its scores are written when it is completed."""

    __tablename__ = "survey_waves"
    __table_args__ = (
        UniqueConstraint("arrival_id", "day"),
        Index("ix_survey_waves_returnee", "returnee_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"))
    arrival_id: Mapped[int] = mapped_column(ForeignKey("arrivals.id"))
    day: Mapped[int] = mapped_column(Integer)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("survey_instruments.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    status: Mapped[WaveStatus] = mapped_column(value_enum(WaveStatus), default=WaveStatus.OPEN)
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    not_taken_reason: Mapped[str | None] = mapped_column(String(40))
    economic_score: Mapped[float | None] = mapped_column(Float)
    social_score: Mapped[float | None] = mapped_column(Float)
    psychosocial_score: Mapped[float | None] = mapped_column(Float)
    composite_score: Mapped[float | None] = mapped_column(Float)

    instrument: Mapped[Instrument] = relationship()
    answers: Mapped[list[SurveyAnswer]] = relationship(lazy="selectin", viewonly=True)


class AnswerSource(enum.StrEnum):
    CALL = "call"
    CHECK_IN = "check-in"


class SurveyAnswer(Base):
    """One item's answer in a wave, saved as it is given; given again, it replaces the first."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("wave_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("survey_items.id"))
    value: Mapped[str] = mapped_column(String(40))
    # None: not scored (declined, don't know, or an option without a score).
    score: Mapped[float | None] = mapped_column(Float)
    source: Mapped[AnswerSource] = mapped_column(value_enum(AnswerSource))
    answered_at: Mapped[datetime]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A prefilled answer: the check-in reading it came from, and when that was given.
    reading_id: Mapped[int | None] = mapped_column(ForeignKey("indicator_readings.id"))

    item: Mapped[SurveyItem] = relationship(lazy="joined")
