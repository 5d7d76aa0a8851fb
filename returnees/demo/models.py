"""What the demo knows of itself: when its history was placed, and which rows are its own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

from returnees.core.db import Base


class DemoSeed(Base):
    """The living demo, seeded once. `seeded_at` is the moment its history is told from (its
    flight landed days before it); `--refresh` moves the history and this moment together.
    `rows` names the demo's own rows, {table: [primary keys]}, as they stood when seeding
    finished: what people entered since is never moved."""

    __tablename__ = "demo_seeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    seeded_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    rows: Mapped[dict] = mapped_column(JSON, default=dict)
