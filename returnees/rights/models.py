from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from returnees.auth.models import User
from returnees.core.db import Base, value_enum
from returnees.core.encryption import Sealed, SealedText
from returnees.people.models import Returnee


class ErasureStatus(enum.StrEnum):
    PENDING = "pending"
    REFUSED = "refused"
    DONE = "done"


class Erasure(Base):
    """A request to erase a person: who asked and why, and who decided, when and how. The
    case-retention job records its own erasures, asked and decided by nobody."""

    __tablename__ = "erasures"
    __table_args__ = (Index("ix_erasures_returnee_status", "returnee_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(ForeignKey("returnees.id"))
    status: Mapped[ErasureStatus] = mapped_column(
        value_enum(ErasureStatus), default=ErasureStatus.PENDING, index=True
    )
    # Why the person is to be erased, in staff's words; empty for the retention job's.
    # Sealed (core.encryption). Kept when the person is erased: it is why they were.
    reason = Sealed()
    reason_sealed: Mapped[str | None] = mapped_column("reason", SealedText)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    # The age band the birth date was reduced to ("12-17"), for statistics.
    age_band: Mapped[str] = mapped_column(String(10), default="")

    returnee: Mapped[Returnee] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_retention(self) -> bool:
        return self.requested_by_id is None
