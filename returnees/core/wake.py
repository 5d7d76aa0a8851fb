"""Urgent work wakes the worker at once instead of waiting for the next poll: a reply that may
say a danger word, an alert to someone on call. On PostgreSQL it is a NOTIFY, delivered when
the transaction that stored the work commits, which the worker LISTENs for on a connection of
its own; the periodic jobs stay as the safety net (and are all there is on SQLite)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

CHANNEL = "returnees_urgent"
# How long the listener waits for a NOTIFY before looking whether it should stop; and how long
# it waits before connecting again when its connection fails.
LISTEN_TIMEOUT = 1.0
RECONNECT_AFTER = 5.0
log = logging.getLogger(__name__)


def wake_worker(session: Session) -> None:
    """Ask the worker to run its urgent jobs as soon as this transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def listen_for_wakes(
    database_url: str,
    run_urgent_jobs: Callable[[], object],
    stop: threading.Event,
    connect_args: Mapping[str, Any] | None = None,
) -> threading.Thread:
    """A daemon thread that runs `run_urgent_jobs` each time work is announced, once for all
    the announcements that came in while it last ran, until `stop` is set. It connects with
    `connect_args` (db.postgres_connect_args): its connection sits idle for hours, and without
    keepalives a server gone under it would leave it listening to nothing for good."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    thread = threading.Thread(
        target=_listen,
        args=(url, dict(connect_args or {}), run_urgent_jobs, stop),
        name="wake-listener",
        daemon=True,
    )
    thread.start()
    return thread


def _listen(
    url: str,
    connect_args: dict[str, Any],
    run_urgent_jobs: Callable[[], object],
    stop: threading.Event,
) -> None:
    while not stop.is_set():
        try:
            with psycopg.connect(url, autocommit=True, **connect_args) as connection:
                connection.execute(f"LISTEN {CHANNEL}")
                run_urgent_jobs()  # whatever was announced before this connection listened
                while not stop.is_set():
                    if list(connection.notifies(timeout=LISTEN_TIMEOUT, stop_after=1)):
                        run_urgent_jobs()
        except Exception:
            log.exception("wake listener: connection lost; polling alone until it is back")
            stop.wait(RECONNECT_AFTER)
