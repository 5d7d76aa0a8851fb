"""One run of the sending job works through everything due, batch after batch, within its time
budget; a batch that runs long hands back what it has not sent; and a status callback that
beats the recording of the send keeps what it said."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import returnees.messaging.services as messaging
from returnees.core.db import get_session
from returnees.messaging.gateway import OutgoingMessage, SendOutcome
from returnees.messaging.models import MessageStatus, OutboundMessage
from returnees.messaging.services import (
    GATEWAY,
    LEASE,
    apply_status_callback,
    dispatch_messages,
    queue_message,
)


@pytest.fixture
def person(register):
    return register(given_names="Lucía", phones=("5555 1234",))


def queue_five(in_app) -> list[int]:
    with in_app() as session:
        return [
            queue_message(session, "+50255551234", f"Mensaje {n}, responda 1.").id
            for n in range(1, 6)
        ]


def statuses(in_app) -> list[MessageStatus]:
    with in_app() as session:
        return list(session.scalars(select(OutboundMessage.status).order_by(OutboundMessage.id)))


def dispatch(in_app) -> int:
    with in_app() as session:
        return dispatch_messages(session)


def test_one_run_sends_every_due_message_batch_after_batch(
    app, fake_twilio, person, in_app, monkeypatch
):
    monkeypatch.setitem(app.config, "SEND_BATCH_SIZE", 2)
    queue_five(in_app)
    assert dispatch(in_app) == 5
    assert len(fake_twilio.created()) == 5
    assert statuses(in_app) == [MessageStatus.SENDING] * 5  # at Twilio, not yet delivered


def test_with_its_budget_spent_a_run_stops_after_one_batch(
    app, fake_twilio, person, in_app, monkeypatch
):
    monkeypatch.setitem(app.config, "SEND_BATCH_SIZE", 2)
    monkeypatch.setitem(app.config, "JOB_BUDGET_SECONDS", 0)
    queue_five(in_app)
    assert [dispatch(in_app), dispatch(in_app), dispatch(in_app)] == [2, 2, 1]
    assert sorted(form["Body"] for form in fake_twilio.created()) == [
        f"Mensaje {n}, responda 1." for n in range(1, 6)
    ]


def test_a_batch_past_half_its_lease_hands_back_what_it_has_not_sent(
    app, fake_twilio, person, in_app, monkeypatch
):
    """A slow provider: once the first two sends (in flight together) are answered, half the
    lease has gone by. The other three were never sent, so they go back to the queue as they
    were, and the next run sends each once."""
    monkeypatch.setitem(app.config, "SEND_CONCURRENCY", 2)
    fake_twilio.hold_until(lambda fake: fake.in_flight == 2)
    clock = SlowClock()
    monkeypatch.setattr(messaging, "time", clock)
    monkeypatch.setitem(app.extensions, GATEWAY, clock.slowed(app.extensions[GATEWAY]))
    ids = queue_five(in_app)
    assert dispatch(in_app) == 2
    assert statuses(in_app) == [MessageStatus.SENDING] * 2 + [MessageStatus.QUEUED] * 3
    with in_app() as session:
        handed_back = [session.get(OutboundMessage, message_id) for message_id in ids[2:]]
        assert {(m.attempts, m.is_ambiguous, m.next_attempt_at) for m in handed_back} == {
            (0, False, None)
        }
    monkeypatch.undo()
    assert dispatch(in_app) == 3
    bodies = [form["Body"] for form in fake_twilio.created()]
    assert sorted(bodies) == [f"Mensaje {n}, responda 1." for n in range(1, 6)]


class SlowClock:
    """The worker's monotonic clock, which a slowed gateway moves past half the lease."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def slowed(self, gateway):
        clock = self

        class Slowed:
            def send(self, message: OutgoingMessage) -> SendOutcome:
                outcome = gateway.send(message)
                clock.now = LEASE.total_seconds()
                return outcome

        return Slowed()


class CallbackFirst:
    """Twilio's delivery callback reaching us before its answer to the send is recorded."""

    def __init__(self, app, gateway) -> None:
        self.app, self.gateway = app, gateway

    def send(self, message: OutgoingMessage) -> SendOutcome:
        outcome = self.gateway.send(message)
        message_id = int(message.status_callback.rsplit("=", 1)[1])
        with self.app.app_context():
            session = get_session()
            form = {"MessageSid": outcome.sid, "MessageStatus": "delivered"}
            assert apply_status_callback(session, message_id, form)
            session.commit()
        return outcome


def test_a_callback_that_beats_the_recording_of_the_send_keeps_its_status(
    app, fake_twilio, person, in_app, monkeypatch
):
    # One send at a time: each callback writes through the test's one database connection.
    monkeypatch.setitem(app.config, "SEND_CONCURRENCY", 1)
    monkeypatch.setitem(app.extensions, GATEWAY, CallbackFirst(app, app.extensions[GATEWAY]))
    [message_id, *_] = queue_five(in_app)
    assert dispatch(in_app) == 5
    with in_app() as session:
        message = session.get(OutboundMessage, message_id)
        assert message.status is MessageStatus.DELIVERED
        assert message.twilio_sid in fake_twilio.messages
        assert message.confirmed_at is not None and message.sent_at is not None
        assert not message.is_ambiguous and message.next_attempt_at is None
