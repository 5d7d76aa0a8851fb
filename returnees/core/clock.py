"""The clock the code asks for, so that tests and `worker --once --now` can set the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from flask import current_app

EXTENSION = "returnees.clock"


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until it is moved."""

    def __init__(self, at: datetime) -> None:
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def utcnow() -> datetime:
    """Now, in UTC, by the application's clock."""
    return current_app.extensions[EXTENSION].now()
