"""The outcome figures of each arrival, kept so that a cohort's report is one GROUP BY.

`arrival_figures` holds one row per arrival: its groups (sex, age group, ...: DIMENSIONS) and
each figure of the README's "Outcomes by cohort" for that one arrival (a 0 or 1 for the people
figures, a count for referrals and closed cases by kind). `arrival_figures_stale` lists the
people whose rows must be worked out again: written in the same transaction as what changed
them (reports.figures), emptied by the refresh job and before a report is read.

`monthly_figures` adds up `arrival_figures` by month of arrival and by what a trend may be
filtered on (the arrival's centre, the person's centre, the home department), kept in step with
it in the same statements (reports.facts): a year month by month is then a few thousand rows
instead of hundreds of thousands. `wave_figures` holds each completed survey wave's scores
beside the same copies of its arrival's time, centre, person's centre and home, so that a
year's survey medians month by month read the year's waves alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, Date, Float, ForeignKey, Integer, SmallInteger, String, Table
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


# The UTC offset at which monthly_figures counts months: the offset all three countries have
# kept since 2007, none of them keeping summer time (tests/reports hold the timezones to it). A
# report read in another offset adds up arrival_figures itself.
MONTH_OFFSET = timedelta(hours=-6)

monthly_figures = Table(
    "monthly_figures",
    Base.metadata,
    Column("month", Date, primary_key=True),  # its first day, at MONTH_OFFSET
    Column("centre_id", Integer, primary_key=True),
    Column("returnee_centre_id", Integer, primary_key=True),
    Column("home_department", String(12), primary_key=True),
    Column("arrivals", Integer, nullable=False),
    *(Column(name, Integer, nullable=False) for name in STORED_FIGURES),
)

wave_figures = Table(
    "wave_figures",
    Base.metadata,
    Column(
        "wave_id",
        Integer,
        ForeignKey("survey_waves.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("arrival_id", Integer, nullable=False, index=True),
    Column("returnee_id", Integer, nullable=False),
    Column("arrived_at", UTCDateTime(), nullable=False, index=True),
    Column("centre_id", Integer, nullable=False),
    Column("returnee_centre_id", Integer, nullable=False),
    Column("home_department", String(12)),
    Column("day", Integer, nullable=False),
    *(
        Column(f"{name}_score", Float)
        for name in ("economic", "social", "psychosocial", "composite")
    ),
)
