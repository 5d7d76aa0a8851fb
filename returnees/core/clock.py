"""The clock the code asks for, so that tests and `worker --once --now` can set the time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol

from flask import Flask, current_app

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


@contextmanager
def as_of(app: Flask, moment: datetime) -> Iterator[FixedClock]:
    """Run the block as if it were `moment` (`worker --once --now`, the demo's history placed
    in the past): the app's clock stands there until the block ends. It is the whole app's
    clock, so this is for a command or a test, never inside a running server."""
    before = app.extensions[EXTENSION]
    clock = app.extensions[EXTENSION] = FixedClock(moment)
    try:
        yield clock
    finally:
        app.extensions[EXTENSION] = before
