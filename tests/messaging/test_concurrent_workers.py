"""Several workers at once, on PostgreSQL with separate connections (not the rolled-back test
transaction): every message is sent exactly once, and a worker that dies after claiming loses
nothing and causes no second send."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from returnees import create_app
from returnees.core.clock import EXTENSION as CLOCK
from returnees.core.clock import FixedClock
from returnees.core.db import EXTENSION as DB
from returnees.core.db import get_session
from returnees.messaging.gateway import TwilioGateway
from returnees.messaging.models import MessageStatus, OutboundMessage
from returnees.messaging.services import GATEWAY, claim_due_messages, dispatch_messages
from returnees.people.models import Channel
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

TEMPLATE = "concurrency-test"


@pytest.fixture
def worker_app(database_url, app, fake_twilio_server):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent workers need PostgreSQL; SQLite is the single-writer default")
    worker = create_app(
        {
            "RETURNEES_ENV": "test",
            "DATABASE_URL": database_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        }
    )
    worker.extensions[GATEWAY] = TwilioGateway(
        ACCOUNT_SID,
        AUTH_TOKEN,
        sms_from="+15005550006",
        api_base_url=fake_twilio_server.base_url,
        timeout=5,
    )
    fake_twilio_server.reset()
    yield worker
    with worker.app_context():
        session = get_session()
        session.execute(delete(OutboundMessage).where(OutboundMessage.template == TEMPLATE))
        session.commit()
    worker.extensions[DB].engine.dispose()


def queue_committed(app, count: int) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        session = get_session()
        session.add_all(
            OutboundMessage(
                phone=f"+5025555{n:04d}",
                body=f"message {n}",
                channel=Channel.SMS,
                template=TEMPLATE,
                needs_consent=False,
                status=MessageStatus.QUEUED,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            for n in range(count)
        )
        session.commit()


def run_worker(app) -> None:
    with app.app_context():
        session = get_session()
        while dispatch_messages(session):
            pass
        session.commit()


def test_four_workers_send_each_message_exactly_once(worker_app, fake_twilio_server):
    queue_committed(worker_app, 400)
    workers = [threading.Thread(target=run_worker, args=(worker_app,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    bodies = Counter(form["Body"] for form in fake_twilio_server.created())
    assert len(bodies) == 400 and set(bodies.values()) == {1}, "each message exactly once"
    with worker_app.app_context():
        statuses = (
            get_session()
            .scalars(select(OutboundMessage.status).where(OutboundMessage.template == TEMPLATE))
            .all()
        )
    assert set(statuses) == {MessageStatus.SENDING} and len(statuses) == 400


def test_a_worker_that_dies_after_claiming_loses_nothing_and_sends_nothing_twice(
    worker_app, fake_twilio_server
):
    queue_committed(worker_app, 30)
    with worker_app.app_context():
        session = get_session()
        claimed = claim_due_messages(session, 10)  # the worker claims, commits ... and dies
        session.commit()
    assert len(claimed) == 10
    run_worker(worker_app)
    assert len(fake_twilio_server.created()) == 20, "claimed messages wait for their lease"
    later = FixedClock(datetime.now(UTC) + timedelta(minutes=3))
    worker_app.extensions[CLOCK] = later
    run_worker(worker_app)
    bodies = Counter(form["Body"] for form in fake_twilio_server.created())
    assert len(bodies) == 30 and set(bodies.values()) == {1}
    with worker_app.app_context():
        left = get_session().scalar(
            select(func.count()).where(
                OutboundMessage.template == TEMPLATE, OutboundMessage.twilio_sid.is_(None)
            )
        )
    assert left == 0
