"""Dates a report is asked for, turned into UTC instants at local midnight, and the calendar
arithmetic SQL needs on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, cast, func, literal_column
from sqlalchemy.orm import Session


def local_midnight(day: date, timezone: str) -> datetime:
    """The UTC instant at which `day` begins where the report's people live."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where it is shorter)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = (date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month + 1, min(day.day, last))


def month_starts(last_month: date, count: int) -> list[date]:
    """The first days of `count` months ending with the month of `last_month`, oldest first."""
    first = last_month.replace(day=1)
    return [add_months(first, -back) for back in range(count - 1, -1, -1)]


def shifted(
    session: Session, column: ColumnElement[datetime], *, days: int = 0, months: int = 0
) -> ColumnElement[datetime]:
    """`column` moved by whole days or calendar months, in SQL (PostgreSQL's intervals,
    SQLite's date modifiers, written as SQLite stores a time)."""
    if session.get_bind().dialect.name == "postgresql":
        return column + literal_column(f"interval '{int(months)} months {int(days)} days'")
    return func.strftime(
        "%Y-%m-%d %H:%M:%f", column, f"{int(months):+d} months", f"{int(days):+d} days"
    )


def month_of(
    session: Session, column: ColumnElement[datetime], offset: timedelta
) -> ColumnElement[date]:
    """The first day of the month in which the instant `column` falls at a fixed UTC offset,
    in SQL on both databases."""
    minutes = int(offset.total_seconds() // 60)
    if session.get_bind().dialect.name == "postgresql":
        local = func.timezone("UTC", column) + literal_column(f"interval '{minutes} minutes'")
        return cast(func.date_trunc("month", local), Date)
    return func.date(column, f"{minutes:+d} minutes", "start of month")


def month_start_at(month: date, offset: timedelta) -> datetime:
    """The UTC instant at which `month` begins at a fixed UTC offset."""
    return datetime(month.year, month.month, 1, tzinfo=UTC) - offset
