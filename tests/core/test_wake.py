"""Urgent work wakes the worker at once: a reply stored by the webhook announces itself with a
NOTIFY when its transaction commits, and the worker's listener runs the urgent jobs for it (on
PostgreSQL; elsewhere the periodic jobs are all there is)."""

from __future__ import annotations

import threading

import psycopg
import pytest
from sqlalchemy import delete

from returnees import create_app
from returnees.core.db import EXTENSION as DB
from returnees.core.db import get_session
from returnees.core.scheduler import periodic_jobs
from returnees.core.wake import CHANNEL, listen_for_wakes
from returnees.messaging.models import InboundMessage
from returnees.messaging.services import record_inbound

WAIT = 30.0  # seconds a notification may take to arrive, at most (it takes milliseconds)


@pytest.fixture
def committed_app(database_url, app):
    """An app whose transactions commit (not the rolled-back test transaction): a NOTIFY is
    only delivered when its transaction commits."""
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    own = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": database_url})
    yield own
    with own.app_context():
        session = get_session()
        session.execute(delete(InboundMessage).where(InboundMessage.message_sid == "SMwake"))
        session.commit()
    own.extensions[DB].engine.dispose()


def listening(database_url: str) -> psycopg.Connection:
    connection = psycopg.connect(database_url, autocommit=True)
    connection.execute(f"LISTEN {CHANNEL}")
    return connection


def test_a_stored_reply_announces_itself_when_its_transaction_commits(committed_app, database_url):
    with listening(database_url) as listener:
        with committed_app.app_context():
            session = get_session()
            record_inbound(session, {"MessageSid": "SMwake", "From": "+50255550000", "Body": "x"})
            session.flush()
            assert list(listener.notifies(timeout=0.5, stop_after=1)) == [], "not before commit"
            session.commit()
        assert [n.channel for n in listener.notifies(timeout=WAIT, stop_after=1)] == [CHANNEL]


def test_the_listener_runs_the_urgent_jobs_for_each_wake(database_url, app):
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    runs = threading.Semaphore(0)
    stop = threading.Event()
    thread = listen_for_wakes(database_url, runs.release, stop)
    try:
        assert runs.acquire(timeout=WAIT), "it runs once on connecting, for what came before"
        assert not runs.acquire(timeout=0.5), "and then waits"
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("SELECT pg_notify(%s, '')", (CHANNEL,))
        assert runs.acquire(timeout=WAIT), "the NOTIFY woke it"
    finally:
        stop.set()
        thread.join(WAIT)
    assert not thread.is_alive(), "it stops when told"


def test_replies_and_sending_are_the_urgent_jobs_in_that_order(app):
    assert [job.id for job in periodic_jobs(app) if job.urgent] == [
        "read-replies",
        "send-due-messages",
    ]


@pytest.mark.parametrize("wake", [True, False])
def test_the_worker_listens_on_postgresql_unless_told_to_poll_only(
    app, cli, database_url, monkeypatch, wake
):
    from returnees.core import scheduler

    listened = []
    monkeypatch.setattr(scheduler, "listen_for_wakes", lambda *args: listened.append(args))
    monkeypatch.setattr(scheduler.BlockingScheduler, "start", lambda self: None)
    monkeypatch.setitem(app.config, "WORKER_WAKE_ON_NOTIFY", wake)
    result = cli("worker")
    assert result.exit_code == 0, result.output
    expected = wake and database_url.startswith("postgresql")
    assert bool(listened) is expected
    assert ("LISTEN/NOTIFY" in result.output) is expected
