"""A worker sends a batch with SEND_CONCURRENCY sends in flight at once, to the fake Twilio over
HTTP, and keeps every guarantee of sending one at a time: each message goes out once and is
recorded with its own sid, a 429 past the account's limit waits for its backoff and goes out
after, and a worker that dies mid-batch causes no second send of what Twilio took."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from returnees import create_app
from returnees.core.settings import SettingsError
from returnees.messaging.gateway import OutgoingMessage, SendOutcome
from returnees.messaging.models import MessageStatus, OutboundMessage
from returnees.messaging.services import GATEWAY, LEASE, dispatch_messages, queue_message

NUMBER = "+50255551234"


@pytest.fixture
def person(register):
    return register(given_names="Lucía", phones=("5555 1234",))


def queue(in_app, count: int) -> list[int]:
    with in_app() as session:
        return [
            queue_message(session, NUMBER, f"Mensaje {n}, responda 1.").id for n in range(count)
        ]


def dispatch(in_app) -> int:
    with in_app() as session:
        return dispatch_messages(session)


def messages(in_app, ids: list[int]) -> list[OutboundMessage]:
    with in_app() as session:
        query = select(OutboundMessage).where(OutboundMessage.id.in_(ids))
        return list(session.scalars(query.order_by(OutboundMessage.id)))


def assert_each_sent_once_under_its_own_sid(fake, in_app, ids: list[int]) -> None:
    """Twilio holds each message once, and each of ours holds the sid of its own words."""
    at_twilio = {sid: message["body"] for sid, message in fake.messages.items()}
    twice = [body for body, n in Counter(at_twilio.values()).items() if n > 1]
    assert not twice, f"sent more than once: {twice}"
    stored = messages(in_app, ids)
    assert len(at_twilio) == len(stored) == len(ids)
    for message in stored:
        assert message.status is MessageStatus.SENDING and not message.is_ambiguous, message.id
        assert at_twilio.get(message.twilio_sid) == message.body, "another message's sid"


def test_a_batch_is_sent_with_send_concurrency_in_flight_and_no_more(
    app, fake_twilio, person, in_app, monkeypatch
):
    monkeypatch.setitem(app.config, "SEND_CONCURRENCY", 4)
    fake_twilio.latency, fake_twilio.concurrency_limit = 0.01, 4
    fake_twilio.hold_until(lambda fake: fake.in_flight == 4)
    ids = queue(in_app, 20)
    assert dispatch(in_app) == 20
    assert fake_twilio.peak_in_flight == 4, "four sends in flight at once, never more"
    assert fake_twilio.refused == 0, "never past the account's limit"
    assert_each_sent_once_under_its_own_sid(fake_twilio, in_app, ids)


def test_a_429_past_the_accounts_limit_is_backed_off_then_sent(
    app, fake_twilio, person, in_app, clock, monkeypatch
):
    """Another worker on the account holds one of its two places: of this worker's three
    sends at once, Twilio refuses what is past its limit."""
    monkeypatch.setitem(app.config, "SEND_CONCURRENCY", 3)
    fake_twilio.concurrency_limit = 2
    fake_twilio.hold_until(lambda fake: fake.refused >= 1)
    ids = queue(in_app, 6)
    sent = dispatch(in_app)
    refused = [m for m in messages(in_app, ids) if m.twilio_sid is None]
    assert fake_twilio.refused >= 1 and sent == 6 - len(refused) and fake_twilio.peak_in_flight == 2
    for message in refused:
        assert message.status is MessageStatus.QUEUED and message.error_code == 20429
        assert message.next_attempt_at > clock.now() and not message.is_ambiguous
    assert dispatch(in_app) == 0, "not before its backoff"
    fake_twilio.concurrency_limit = None  # the other worker is done
    clock.advance(seconds=31)
    assert dispatch(in_app) == len(refused)
    assert_each_sent_once_under_its_own_sid(fake_twilio, in_app, ids)


class WorkerDied(BaseException):
    """The worker's process ending mid-batch: nothing after it runs, nothing catches it."""


class DiesAfter:
    """The real gateway for the first `sends` sends; at the next one the worker dies."""

    def __init__(self, gateway, sends: int) -> None:
        self.gateway, self.left, self.lock = gateway, sends, threading.Lock()

    def send(self, message: OutgoingMessage) -> SendOutcome:
        with self.lock:
            if not self.left:
                raise WorkerDied
            self.left -= 1
        return self.gateway.send(message)


def test_a_worker_that_dies_mid_batch_sends_nothing_twice(
    app, fake_twilio, person, in_app, clock, monkeypatch
):
    """Four sends in flight when the worker dies, none of their answers recorded: after the
    lease, what Twilio took is found there, and only the rest is sent."""
    monkeypatch.setitem(app.config, "SEND_CONCURRENCY", 4)
    gateway = app.extensions[GATEWAY]
    monkeypatch.setitem(app.extensions, GATEWAY, DiesAfter(gateway, 6))
    fake_twilio.hold_until(lambda fake: fake.in_flight == 4)
    ids = queue(in_app, 12)
    with pytest.raises(WorkerDied):
        dispatch(in_app)
    assert fake_twilio.peak_in_flight == 4
    assert len(fake_twilio.messages) == 6
    assert all(m.twilio_sid is None and m.is_ambiguous for m in messages(in_app, ids))
    monkeypatch.setitem(app.extensions, GATEWAY, gateway)
    assert dispatch(in_app) == 0, "claimed messages wait for their lease"
    clock.advance(seconds=LEASE.total_seconds() + 1)
    dispatch(in_app)
    assert_each_sent_once_under_its_own_sid(fake_twilio, in_app, ids)


def test_the_sends_in_flight_come_from_the_environment_and_are_at_least_one(monkeypatch):
    monkeypatch.delenv("SEND_CONCURRENCY", raising=False)
    assert create_app({"RETURNEES_ENV": "development"}).config["SEND_CONCURRENCY"] == 8
    monkeypatch.setenv("SEND_CONCURRENCY", "3")
    assert create_app({"RETURNEES_ENV": "development"}).config["SEND_CONCURRENCY"] == 3
    monkeypatch.setenv("SEND_CONCURRENCY", "0")
    with pytest.raises(SettingsError, match="SEND_CONCURRENCY must be 1 or more"):
        create_app({"RETURNEES_ENV": "development"})
