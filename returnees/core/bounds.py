"""What the database and the calendar can hold: a value beyond is the caller's 404 or 422, never
a 500 from the driver (an id past PostgreSQL's integer, a date whose next day is year 10000)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL's integer, the type of every id column
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


class IdConverter(IntegerConverter):
    """`<int:...>` in a route: a number past MAX_ID matches no route, so it answers 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def record_id(*, strict: bool = True, **kwargs: Any) -> fields.Integer:
    """A field holding the id of a row: a whole number a table can hold, or a 422 naming it.
    Strict (a JSON number, not "12") but in a query string, where every value is text."""
    return fields.Integer(strict=strict, validate=validate.Range(1, MAX_ID), **kwargs)


def in_calendar(value: date | datetime) -> bool:
    """Whether a date or time lies in the years the app reads and computes with."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DATE <= day <= LATEST_DATE


def dates_out_of_calendar(values: Any, prefix: str = "") -> list[str]:
    """The names ("arrival.arrived_at", "phones.0.since") of the dates and times in loaded
    values that lie outside the calendar."""
    if isinstance(values, date):
        return [] if in_calendar(values) else [prefix or "_body"]
    if isinstance(values, dict):
        items = values.items()
    elif isinstance(values, list | tuple):
        items = enumerate(values)
    else:
        return []
    return [
        name
        for key, inner in items
        for name in dates_out_of_calendar(inner, f"{prefix}.{key}" if prefix else str(key))
    ]
