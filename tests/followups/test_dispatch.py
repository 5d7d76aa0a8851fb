"""A check-in is sent once, at a decent hour, one a day per person, and its reply moves the case:
'no' to 'are you safe?' or a danger word opens an urgent task; what is unclear goes to a person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from returnees.followups.dispatch import dispatch_check_ins
from returnees.followups.models import CheckIn, CheckInState
from returnees.followups.reading import read_replies
from returnees.messaging.models import OutboundMessage
from returnees.messaging.services import dispatch_messages
from returnees.tasks.models import Task, TaskKind
from tests.messaging.test_webhooks import message, post_signed


def run_jobs(in_app) -> None:
    with in_app() as session:
        read_replies(session)
        dispatch_check_ins(session)
        dispatch_messages(session)


def rows(in_app, returnee_id: int) -> list[CheckIn]:
    with in_app() as session:
        return list(
            session.scalars(
                select(CheckIn)
                .where(CheckIn.returnee_id == returnee_id)
                .order_by(CheckIn.due_at, CheckIn.id)
            )
        )


def sent_bodies(in_app) -> list[str]:
    with in_app() as session:
        return [
            m.body for m in session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
        ]


def test_the_day_0_check_in_is_sent_once(app, register, in_app, clock):
    arrival = register(given_names="Lucía", phones=("5555 1234",))  # 08:00 in Guatemala
    run_jobs(in_app)
    run_jobs(in_app)
    assert sent_bodies(in_app) == ["Hola Lucía, guarde este número. Responda 1 para confirmarlo."]
    assert rows(in_app, arrival.returnee_id)[0].state is CheckInState.SENDING


def test_a_childs_check_in_goes_to_the_guardian_and_names_the_child(app, register, in_app):
    from returnees.reception.intake import PhoneEntry

    register(
        given_names="Lucía",
        estimated_age=11,
        phones=(PhoneEntry("5555 2222", owner="relative", consent=True),),
    )
    run_jobs(in_app)
    with in_app() as session:
        sent = [(m.phone, m.body) for m in session.scalars(select(OutboundMessage))]
    assert sent == [("+50255552222", "Hola, guarde este número para saber de Lucía. Responda 1.")]


def test_a_check_in_due_at_2_in_the_morning_goes_out_at_8(app, register, in_app, clock):
    clock.at = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # 02:00 in Guatemala (UTC-6)
    arrival = register(phones=("5555 1234",))
    run_jobs(in_app)
    assert sent_bodies(in_app) == []
    assert rows(in_app, arrival.returnee_id)[0].due_at == datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    clock.at = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    run_jobs(in_app)
    assert len(sent_bodies(in_app)) == 1


def test_a_question_queued_before_7_pm_but_not_sent_by_then_waits_for_the_morning(
    app, register, in_app, clock
):
    """A retry, or a worker stopped in the evening, must not carry a check-in into the night;
    an urgent alert to the social worker on call goes at any hour."""
    from returnees.messaging.models import URGENT
    from returnees.messaging.services import queue_message

    clock.at = datetime(2026, 12, 3, 0, 59, tzinfo=UTC)  # 18:59 in Guatemala
    register(phones=("5555 1234",))
    with in_app() as session:
        assert dispatch_check_ins(session) == 1
    clock.at = datetime(2026, 12, 3, 1, 1, tzinfo=UTC)  # 19:01: its message still queued
    with in_app() as session:
        queue_message(
            session,
            "+50255559999",
            "Tarea 7",
            returnee_id=None,
            needs_consent=False,
            priority=URGENT,
        )
        dispatch_messages(session)
    with in_app() as session:
        by_body = {m.body: m for m in session.scalars(select(OutboundMessage))}
    question = next(m for body, m in by_body.items() if body.startswith("Hola Ana"))
    assert by_body["Tarea 7"].sent_at is not None
    assert question.sent_at is None
    assert question.next_attempt_at == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # 08:00
    clock.at = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    with in_app() as session:
        dispatch_messages(session)
    with in_app() as session:
        assert session.get(OutboundMessage, question.id).sent_at is not None


def test_at_most_one_check_in_a_day_per_person(app, register, in_app, clock):
    arrival = register(phones=("5555 1234",), arrived_at=clock.now() - timedelta(days=3))
    run_jobs(in_app)  # day 0 (missed? no: within grace) and day 3 are both due now
    assert len(sent_bodies(in_app)) == 1
    waiting = [r for r in rows(in_app, arrival.returnee_id) if r.state is CheckInState.SCHEDULED]
    assert waiting[0].due_at >= datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("answer", "state", "task"),
    [
        ("Sí, gracias", "yes", None),
        ("1", "yes", None),
        ("no", "no", TaskKind.URGENT_SAFETY),
        ("Sí pero me amenazan", "yes", TaskKind.URGENT_SAFETY),
        ("quién habla?", None, TaskKind.REVIEW_REPLY),
    ],
)
def test_a_reply_to_are_you_safe_moves_the_case(app, register, in_app, clock, answer, state, task):
    arrival = register(phones=("5555 1234",), arrived_at=clock.now() - timedelta(days=3))
    with in_app() as session:  # day 0 answered already; day 3 asks "¿llegó bien?"
        day_0 = session.scalars(select(CheckIn).where(CheckIn.template == "confirm_number")).one()
        day_0.state = CheckInState.ANSWERED
    run_jobs(in_app)
    assert sent_bodies(in_app)[-1].startswith("Hola Ana, ¿llegó bien?")
    post_signed(app, message(body=answer))
    run_jobs(in_app)
    asked = next(r for r in rows(in_app, arrival.returnee_id) if r.template == "arrived_safe")
    assert (asked.answer or None) == state
    with in_app() as session:
        tasks = [t.kind for t in session.scalars(select(Task))]
    assert tasks == ([task] if task else [])


def test_the_danger_words_are_the_ones_configured(app, register, in_app, clock, monkeypatch):
    monkeypatch.setitem(app.config, "DANGER_WORDS", ("me siguen",))
    arrival = register(phones=("5555 1234",))
    run_jobs(in_app)
    post_signed(app, message(sid="SM1", body="1, pero me siguen"))
    run_jobs(in_app)
    with in_app() as session:
        tasks = [(t.kind, t.reason) for t in session.scalars(select(Task))]
    assert tasks == [(TaskKind.URGENT_SAFETY, "danger words: 1, pero me siguen")]
    assert rows(in_app, arrival.returnee_id)[0].answer == "yes"


def test_a_reply_that_cannot_be_read_goes_to_a_person_and_holds_up_no_other(
    app, register, in_app, clock, monkeypatch
):
    from returnees.followups import reading

    ana = register(given_names="Ana", phones=("5555 1234",))
    rosa = register(given_names="Rosa", phones=("5555 2345",))
    run_jobs(in_app)
    read = reading.read_reply

    def failing_on_ana(body, *args):
        if body == "1 ana":
            raise RuntimeError("a bug in a reader")
        return read(body, *args)

    monkeypatch.setattr(reading, "read_reply", failing_on_ana)
    post_signed(app, message(sid="SM1", body="1 ana", sender="+50255551234"))
    post_signed(app, message(sid="SM2", body="auxilio", sender="+50255552345"))
    with in_app() as session:
        assert read_replies(session) == 2
    with in_app() as session:
        tasks = {(t.returnee_id, t.kind) for t in session.scalars(select(Task))}
    assert tasks == {
        (ana.returnee_id, TaskKind.REVIEW_REPLY),
        (rosa.returnee_id, TaskKind.URGENT_SAFETY),
    }
    with in_app() as session:
        assert read_replies(session) == 0, "read once, not again and again"


def all_jobs(in_app) -> None:
    from returnees.followups.dispatch import follow_sent_messages, remind_and_escalate

    with in_app() as session:
        follow_sent_messages(session)
        remind_and_escalate(session)
    run_jobs(in_app)
    with in_app() as session:
        follow_sent_messages(session)


def test_the_reply_timer_starts_when_the_message_is_confirmed_sent(app, register, in_app, clock):
    arrival = register(phones=("5555 1234",))
    all_jobs(in_app)
    day_0 = rows(in_app, arrival.returnee_id)[0]
    assert day_0.state is CheckInState.SENT and day_0.sent_at == clock.now()


class QueuedAtTwilio:
    """Twilio's usual answer to a send: queued; that it was sent comes later, by callback."""

    def send(self, message):
        from returnees.messaging.gateway import SendOutcome

        return SendOutcome(sid="SM" + "0" * 32, status="queued")


def test_the_reply_timer_starts_at_twilios_callback_not_at_the_send(
    app, register, in_app, clock, monkeypatch
):
    from returnees.followups.dispatch import follow_sent_messages
    from returnees.messaging.services import GATEWAY
    from tests.messaging.test_webhooks import PUBLIC

    monkeypatch.setitem(app.extensions, GATEWAY, QueuedAtTwilio())
    arrival = register(phones=("5555 1234",))
    run_jobs(in_app)
    sent_to_twilio = clock.now()
    clock.advance(minutes=5)
    day_0 = rows(in_app, arrival.returnee_id)[0]
    path = f"/webhooks/twilio/status?message={day_0.message_id}"
    form = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "sent"}
    assert post_signed(app, form, url=PUBLIC + path, path=path).status_code in (200, 204)
    clock.advance(minutes=5)
    with in_app() as session:
        follow_sent_messages(session)
    day_0 = rows(in_app, arrival.returnee_id)[0]
    assert day_0.state is CheckInState.SENT
    assert day_0.sent_at == sent_to_twilio + timedelta(minutes=5)


def test_no_reply_gets_one_reminder_then_a_call_task(app, register, in_app, clock):
    arrival = register(given_names="Lucía", phones=("5555 1234",))
    all_jobs(in_app)
    clock.advance(hours=47)
    all_jobs(in_app)
    assert len(sent_bodies(in_app)) == 1, "no reminder before 48 hours"
    clock.advance(hours=1)
    all_jobs(in_app)
    assert len(sent_bodies(in_app)) == 2, "one reminder"
    clock.advance(hours=48)
    all_jobs(in_app)
    assert rows(in_app, arrival.returnee_id)[0].state is CheckInState.UNANSWERED
    with in_app() as session:
        assert [t.kind for t in session.scalars(select(Task))] == [TaskKind.CALL]


def test_a_reminder_due_at_night_waits_for_the_morning(app, register, in_app, clock):
    register(given_names="Lucía", phones=("5555 1234",))  # asked at 08:00 in Guatemala
    all_jobs(in_app)
    clock.advance(hours=48 + 12)  # 20:00: the wait is over, the window closed
    all_jobs(in_app)
    assert len(sent_bodies(in_app)) == 1, "no reminder at night"
    clock.advance(hours=12)  # 08:00 the next morning
    all_jobs(in_app)
    assert len(sent_bodies(in_app)) == 2


def test_a_reminder_is_the_days_one_message_and_the_question_a_reply_answers(
    app, register, in_app, clock
):
    # Registered 3 days late: day 0 goes out today, day 3 tomorrow, day 0's reminder 48 hours
    # after it was sent, after day 3's question.
    arrival = register(phones=("5555 1234",), arrived_at=clock.now() - timedelta(days=3))
    all_jobs(in_app)
    clock.advance(days=1)
    all_jobs(in_app)
    assert len(sent_bodies(in_app)) == 2
    clock.advance(days=1)
    all_jobs(in_app)
    assert len(sent_bodies(in_app)) == 3, "day 0's reminder, and nothing else that day"
    post_signed(app, message(body="1"))
    run_jobs(in_app)
    day_0, day_3 = sorted(rows(in_app, arrival.returnee_id), key=lambda r: r.id)[:2]
    assert (day_0.template, day_0.state) == ("confirm_number", CheckInState.ANSWERED)
    assert (day_3.template, day_3.state) == ("arrived_safe", CheckInState.SENT)


def test_a_reply_before_the_reminder_goes_out_answers_and_stops_it(app, register, in_app, clock):
    arrival = register(phones=("5555 1234",))
    all_jobs(in_app)
    clock.advance(hours=48 + 12)  # the reminder waits for the morning
    all_jobs(in_app)
    post_signed(app, message(body="1"))
    run_jobs(in_app)
    clock.advance(hours=12)  # 08:00, when day 3's question is due too
    all_jobs(in_app)
    day_0 = min(rows(in_app, arrival.returnee_id), key=lambda r: r.id)
    assert (day_0.state, day_0.answer) == (CheckInState.ANSWERED, "yes")
    asked = [body for body in sent_bodies(in_app) if "guarde este número" in body]
    assert len(asked) == 1, "no reminder of a question answered"


def test_a_reply_answers_the_question_before_it_not_one_queued_since(app, register, in_app, clock):
    arrival = register(phones=("5555 1234",), arrived_at=clock.now() - timedelta(days=3))
    all_jobs(in_app)  # day 0 goes out today, day 3 waits for tomorrow
    clock.advance(days=1)
    post_signed(app, message(body="1"))  # 08:00: day 0 answered...
    clock.advance(seconds=5)
    with in_app() as session:
        dispatch_check_ins(session)  # ...and day 3 queued before the reply is read
    with in_app() as session:
        read_replies(session)
    day_0, day_3 = sorted(rows(in_app, arrival.returnee_id), key=lambda r: r.id)[:2]
    assert (day_0.state, day_3.state) == (CheckInState.ANSWERED, CheckInState.SENDING)


class RefusingNumber:
    """Twilio refusing the number (21211): the message fails for good."""

    def send(self, message):
        from returnees.messaging.gateway import SendOutcome

        return SendOutcome(error_code=21211, error_message="invalid 'To' number")


def test_a_reminder_that_cannot_be_sent_leaves_a_call_task(
    app, register, in_app, clock, monkeypatch
):
    from returnees.messaging.services import GATEWAY

    arrival = register(phones=("5555 1234",))
    all_jobs(in_app)
    clock.advance(hours=48)
    monkeypatch.setitem(app.extensions, GATEWAY, RefusingNumber())
    all_jobs(in_app)
    assert rows(in_app, arrival.returnee_id)[0].state is CheckInState.UNANSWERED
    with in_app() as session:
        kinds = {t.kind for t in session.scalars(select(Task))}
    assert TaskKind.CALL in kinds


def test_a_reply_at_night_answers_the_question_sent_not_one_held_for_the_morning(
    app, register, in_app, clock
):
    arrival = register(phones=("5555 1234",), arrived_at=clock.now() - timedelta(days=3))
    all_jobs(in_app)  # day 0 out at 08:00; day 3 waits for tomorrow
    clock.at = datetime(2026, 12, 4, 0, 59, tzinfo=UTC)  # 18:59 the next day: day 3 queued...
    with in_app() as session:
        dispatch_check_ins(session)
    clock.at = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)  # ...and held at 19:30, unsent
    with in_app() as session:
        dispatch_messages(session)
    post_signed(app, message(body="1"))
    with in_app() as session:
        read_replies(session)
    day_0, day_3 = sorted(rows(in_app, arrival.returnee_id), key=lambda r: r.id)[:2]
    assert (day_0.state, day_3.state) == (CheckInState.ANSWERED, CheckInState.SENDING)


def test_three_unanswered_in_a_row_open_a_visit_task(app, register, in_app, clock):
    from returnees.followups.dispatch import _give_up

    arrival = register(phones=("5555 1234",))
    with in_app() as session:
        check_ins = session.scalars(
            select(CheckIn)
            .where(CheckIn.returnee_id == arrival.returnee_id)
            .order_by(CheckIn.due_at)
        ).all()[:4]
        # Answered before its message was confirmed sent: no sent_at, an earlier queued_at.
        answered, check_ins = check_ins[0], check_ins[1:]
        answered.state, answered.queued_at = CheckInState.ANSWERED, clock.now()
        for n, check_in in enumerate(check_ins, start=1):
            check_in.state, check_in.sent_at = CheckInState.SENT, clock.now() + timedelta(days=n)
            _give_up(session, check_in)
        kinds = [t.kind for t in session.scalars(select(Task).order_by(Task.id))]
    assert kinds == [TaskKind.CALL, TaskKind.CALL, TaskKind.VISIT]


def test_one_run_queues_every_due_check_in_batch_after_batch(
    app, register, in_app, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "CHECK_IN_BATCH_SIZE", 1)
    for number in ("5555 1234", "5555 2345", "5555 3456"):
        register(phones=(number,))
    with in_app() as session:
        assert dispatch_check_ins(session) == 3
    with in_app() as session:
        dispatch_messages(session)
    assert len(sent_bodies(in_app)) == 3


def test_a_check_in_whose_template_is_gone_is_cancelled_not_left_sending(
    app, register, in_app, clock
):
    arrival = register(phones=("5555 1234",))
    with in_app() as session:
        first = session.get(CheckIn, rows(in_app, arrival.returnee_id)[0].id)
        first.template = "withdrawn_template"
    run_jobs(in_app)
    assert rows(in_app, arrival.returnee_id)[0].state is CheckInState.CANCELLED
    assert sent_bodies(in_app) == []
