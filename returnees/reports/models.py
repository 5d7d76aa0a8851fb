"""The outcome figures of each arrival, kept so that a cohort's report is one GROUP BY.

`arrival_figures` holds one row per arrival: its groups (sex, age group, ...: DIMENSIONS) and
each figure of the README's "Outcomes by cohort" for that one arrival (a 0 or 1 for the people
figures, a count for referrals and closed cases by kind). `arrival_figures_stale` lists the
people whose rows must be worked out again: written in the same transaction as what changed
them (reports.figures), emptied by the refresh job and before a report is read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, SmallInteger, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from returnees.core.db import Base, UTCDateTime
from returnees.reports.definitions import DIMENSIONS, FIGURES

# What the table holds besides its groups: every figure but "arrivals" (1 for every row).
STORED_FIGURES = tuple(name for name in FIGURES if name != "arrivals")

arrival_figures = Table(
    "arrival_figures",
    Base.metadata,
    Column(
        "arrival_id",
        Integer,
        ForeignKey("arrivals.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("returnee_id", Integer, nullable=False, index=True),
    # The arrival's time and centre, copied: a cohort is read from this table alone by time.
    Column("arrived_at", UTCDateTime(), nullable=False, index=True),
    Column("centre_id", Integer, nullable=False),
    # The person's centre (returnees.centre_id), copied: the scope rule of a supervisor reads it.
    Column("returnee_centre_id", Integer, nullable=False),
    *(Column(name, String(12)) for name in DIMENSIONS),
    *(Column(name, SmallInteger, nullable=False) for name in STORED_FIGURES),
    Column("refreshed_at", UTCDateTime(), nullable=False),
)


class StaleFigures(Base):
    """A person whose arrivals' figures changed since they were last worked out; a person may
    be listed more than once (each change adds a row: no lock, no conflict)."""

    __tablename__ = "arrival_figures_stale"

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(Integer)
    marked_at: Mapped[datetime]
