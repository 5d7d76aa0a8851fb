from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returnees.auth.models import User
from returnees.centres.models import Country
from returnees.core.db import Base, value_enum
from returnees.people.models import Returnee


class PairStatus(enum.StrEnum):
    PENDING = "pending"
    SAME = "same"
    DIFFERENT = "different"


class DuplicatePair(Base):
    """Two records of one country's registry that may be one person registered twice, found
    by the nightly search; a supervisor decides: the same person (merged) or different people
    (remembered, never proposed again)."""

    __tablename__ = "duplicate_pairs"
    __table_args__ = (
        UniqueConstraint("first_id", "second_id"),
        Index("ix_duplicate_pairs_review", "country", "status", "weight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[Country] = mapped_column(value_enum(Country, length=2))
    # The lower id first: a pair is found once, whichever record the search started from.
    first_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"))
    second_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"), index=True)
    weight: Mapped[int] = mapped_column(Integer)
    # Codes of what agrees and what differs ("document", "day_month_swapped"): the page and
    # the API say them in the reader's language.
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[PairStatus] = mapped_column(
        value_enum(PairStatus, length=10), default=PairStatus.PENDING
    )
    found_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    # The merge a "same person" made.
    merge_id: Mapped[int | None] = mapped_column(ForeignKey("merges.id"))

    first: Mapped[Returnee] = relationship(foreign_keys=[first_id])
    second: Mapped[Returnee] = relationship(foreign_keys=[second_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def ids(self) -> tuple[int, int]:
        return self.first_id, self.second_id


class Merge(Base):
    """One record merged into another: what it held moved to the kept record. A supervisor
    may undo it within MERGE_UNDO_DAYS; the values it changed are its MergeMoves."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"), index=True)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    merged_at: Mapped[datetime]
    # Per table, the highest id when the merge was done: a row of the kept record above it
    # was added since, and stays on the kept record when the merge is undone.
    high_water: Mapped[dict] = mapped_column(JSON, default=dict)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    undone_at: Mapped[datetime | None]
    # What an undo left on the kept record because it was added after the merge: table ->
    # row ids.
    stayed: Mapped[dict] = mapped_column(JSON, default=dict)

    kept: Mapped[Returnee] = relationship(foreign_keys=[kept_id])
    merged: Mapped[Returnee] = relationship(foreign_keys=[merged_id])
    merged_by: Mapped[User | None] = relationship(foreign_keys=[merged_by_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])


class MergeMove(Base):
    """One value a merge changed, and what it was: undo writes `from_value` back."""

    __tablename__ = "merge_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    merge_id: Mapped[int] = mapped_column(ForeignKey("merges.id"), index=True)
    table_name: Mapped[str] = mapped_column(String(63))
    row_id: Mapped[int] = mapped_column(Integer)
    column_name: Mapped[str] = mapped_column(String(63))
    # As JSON: a number, a text, null, or a time in ISO 8601.
    from_value: Mapped[object | None] = mapped_column(JSON)
