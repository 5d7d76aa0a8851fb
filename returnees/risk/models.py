from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from returnees.core.db import Base, value_enum
from returnees.core.encryption import JSON_VALUE, Sealed, SealedText


class RiskLevel(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


LEVEL_RANK = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


class RiskRules(Base):
    """One version of the rules' weights and the levels' thresholds; the newest is in force.
    A change is a new version, so every score says which rules produced it."""

    __tablename__ = "risk_rules"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # {rule key: weight}; a weight of 0 turns a rule off.
    weights: Mapped[dict] = mapped_column(JSON)
    medium_from: Mapped[int] = mapped_column(Integer)
    high_from: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]


class RiskFlag(Base):
    """A person's current repeat-migration score: its level, and each rule that counted, with
    its reason and evidence."""

    __tablename__ = "risk_flags"

    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[RiskLevel] = mapped_column(value_enum(RiskLevel), index=True)
    # [{"rule": ..., "weight": ..., "evidence": ...}]
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    rules_version: Mapped[int] = mapped_column(Integer)
    # A level a social worker set; for a child in the child-protection process the computed
    # level never goes below it.
    set_level: Mapped[RiskLevel | None] = mapped_column(value_enum(RiskLevel))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Sealed (core.encryption), bound to the person's id: the flag is rewritten under it.
    set_reason = Sealed()
    set_reason_sealed: Mapped[str | None] = mapped_column("set_reason", SealedText)
    # Not indexed: the nightly run stamps every unchanged flag with it, and without an index
    # on it PostgreSQL can do that in place (a HOT update); the run walks the flags by person.
    computed_at: Mapped[datetime]


class RiskLevelChange(Base):
    """Every change of a person's level, with the reasons at that moment."""

    __tablename__ = "risk_level_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"), index=True)
    from_level: Mapped[RiskLevel | None] = mapped_column(value_enum(RiskLevel))
    to_level: Mapped[RiskLevel] = mapped_column(value_enum(RiskLevel))
    score: Mapped[int] = mapped_column(Integer)
    # Sealed (core.encryption): a level set by staff is among them with its reason, in words.
    reasons = Sealed(JSON_VALUE, default=list)
    reasons_sealed: Mapped[str | None] = mapped_column("reasons", SealedText)
    rules_version: Mapped[int] = mapped_column(Integer)
    # "recompute", "nightly", or the member of staff who set the level.
    changed_by: Mapped[str] = mapped_column(String(254))
    changed_at: Mapped[datetime]
