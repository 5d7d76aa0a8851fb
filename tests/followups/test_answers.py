"""An answer is noted on the person with its time, and 'not safe' alerts whoever is on call,
discreetly and before any routine message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from returnees.auth.models import Role
from returnees.followups.models import CheckIn, CheckInState, Indicator, IndicatorReading
from returnees.messaging.models import OutboundMessage
from returnees.messaging.services import claim_due_messages
from returnees.tasks.models import Task, TaskKind
from tests.followups.test_dispatch import run_jobs
from tests.messaging.test_webhooks import message, post_signed


def ask_only(in_app, template: str) -> None:
    """Leave only this step of the plan to be asked now; the earlier ones were answered."""
    with in_app() as session:
        for check_in in session.scalars(select(CheckIn)):
            if check_in.template != template:
                check_in.state = CheckInState.ANSWERED
            else:
                check_in.state = CheckInState.SCHEDULED
                check_in.due_at = check_in.due_at - timedelta(days=400)
                break


def readings(in_app, returnee_id: int) -> list[tuple[Indicator, bool]]:
    with in_app() as session:
        found = session.scalars(
            select(IndicatorReading).where(IndicatorReading.returnee_id == returnee_id)
        )
        return [(r.indicator, r.value) for r in found]


@pytest.mark.parametrize(
    ("template", "answer", "age", "reading"),
    [
        ("arrived_safe", "Sí, gracias", 25, (Indicator.SAFE, True)),
        ("still_safe", "no", 25, (Indicator.SAFE, False)),
        ("school_or_work", "si", 25, (Indicator.WORKING, True)),
        ("guardian_in_school", "no", 15, (Indicator.IN_SCHOOL, False)),
        ("travel_again", "1", 30, (Indicator.LEAVING_AGAIN, True)),
        ("travel_again", "No, ya no", 30, (Indicator.LEAVING_AGAIN, False)),
    ],
)
def test_an_answer_updates_the_persons_indicators_with_its_time(
    app, register, in_app, clock, template, answer, age, reading
):
    arrival = register(phones=("5555 1234",), estimated_age=age)
    ask_only(in_app, template)
    run_jobs(in_app)
    post_signed(app, message(body=answer))
    replied_at = clock.now()
    clock.advance(minutes=1)  # the job reads the reply a little later
    run_jobs(in_app)
    assert readings(in_app, arrival.returnee_id) == [reading]
    with in_app() as session:
        observed = session.scalar(select(IndicatorReading.observed_at))
        answered = session.scalar(select(CheckIn.answered_at).where(CheckIn.answer != ""))
    assert observed == answered == replied_at


def test_an_unclear_answer_notes_nothing(app, register, in_app):
    arrival = register(phones=("5555 1234",))
    ask_only(in_app, "travel_again")
    run_jobs(in_app)
    post_signed(app, message(body="quién sabe"))
    run_jobs(in_app)
    assert readings(in_app, arrival.returnee_id) == []


def answer_not_safe(app, register, in_app):
    arrival = register(given_names="Marisol", phones=("5555 1234",))
    ask_only(in_app, "arrived_safe")
    run_jobs(in_app)
    post_signed(app, message(body="no"))
    with in_app() as session:  # a flight's routine messages are waiting too
        from returnees.messaging.services import queue_message

        for n in range(5):
            queue_message(session, "+50255551234", f"routine {n}")
    with in_app() as session:
        from returnees.followups.reading import read_replies

        read_replies(session)
    return arrival


def test_not_safe_alerts_the_social_worker_on_call_discreetly_and_first(
    app, register, in_app, make_user
):
    make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone="+50244441111", is_on_call=True)
    make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone="+50244442222", is_on_call=False)
    make_user(Role.SOCIAL_WORKER, "HN-SPS", phone="+50499993333", is_on_call=True)
    arrival = answer_not_safe(app, register, in_app)
    with in_app() as session:
        task = session.scalars(select(Task).where(Task.kind == TaskKind.URGENT_SAFETY)).one()
        alerts = session.scalars(
            select(OutboundMessage).where(OutboundMessage.template == "on_call_alert")
        ).all()
        assert [(a.phone, a.channel.value) for a in alerts] == [("+50244441111", "sms")]
        assert alerts[0].body == f"Tiene un caso urgente en su cola, ref. {task.id}. Revíselo ya."
        assert "Marisol" not in alerts[0].body and alerts[0].returnee_id is None
        assert claim_due_messages(session, 1) == [alerts[0].id], "the alert goes first"
    assert readings(in_app, arrival.returnee_id) == [(Indicator.SAFE, False)]


def test_without_anyone_on_call_the_fallback_number_is_alerted(app, register, in_app):
    app.config["ON_CALL_FALLBACK_PHONE"] = "+50277770000"
    try:
        answer_not_safe(app, register, in_app)
    finally:
        app.config["ON_CALL_FALLBACK_PHONE"] = ""
    with in_app() as session:
        phones = [
            message.phone
            for message in session.scalars(
                select(OutboundMessage).where(OutboundMessage.template == "on_call_alert")
            )
        ]
    assert phones == ["+50277770000"]


def test_with_nobody_to_alert_the_urgent_task_is_still_opened(app, register, in_app):
    answer_not_safe(app, register, in_app)
    with in_app() as session:
        kinds = session.scalars(select(Task.kind)).all()
        alerts = session.scalars(
            select(OutboundMessage).where(OutboundMessage.template == "on_call_alert")
        ).all()
    assert kinds == [TaskKind.URGENT_SAFETY] and alerts == []


def test_retention_erases_old_message_text_and_keeps_the_answer(app, register, in_app, clock):
    from returnees.messaging.models import InboundMessage
    from returnees.messaging.services import apply_retention

    arrival = register(phones=("5555 1234",))
    ask_only(in_app, "travel_again")
    run_jobs(in_app)
    post_signed(app, message(body="si, el mes que viene"))
    run_jobs(in_app)
    app.config["MESSAGE_RETENTION_BATCH_SIZE"] = 1
    clock.at = clock.now() + timedelta(days=app.config["MESSAGE_RETENTION_DAYS"] - 1)
    with in_app() as session:
        assert apply_retention(session) == 0, "nothing is erased before its time"
    clock.at = clock.now() + timedelta(days=2)
    with in_app() as session:
        assert apply_retention(session) == 2
        assert [m.body for m in session.scalars(select(InboundMessage))] == [""]
        assert [m.payload for m in session.scalars(select(InboundMessage))] == [{}], "Body is in it"
        assert {m.body for m in session.scalars(select(OutboundMessage))} == {""}
        answer = session.scalar(
            select(CheckIn.answer).where(
                CheckIn.template == "travel_again", CheckIn.answered_at.is_not(None)
            )
        )
    assert answer == "yes"
    assert readings(in_app, arrival.returnee_id) == [(Indicator.LEAVING_AGAIN, True)]


def test_an_admin_puts_a_social_worker_on_call_and_a_bad_phone_changes_nothing(
    app, demo, in_app, make_user, sign_in_as
):
    from returnees.auth.models import User
    from tests.conftest import csrf_token

    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA")
    client = sign_in_as(make_user(Role.ADMIN))
    token = csrf_token(client, f"/users/{worker.id}")
    refused = client.post(
        f"/users/{worker.id}/on-call", data={"csrf_token": token, "phone": "12", "is_on_call": "y"}
    )
    assert refused.status_code == 422 and 'value="12"' in refused.get_data(as_text=True)
    saved = client.post(
        f"/users/{worker.id}/on-call",
        data={"csrf_token": token, "phone": "5555 0101", "is_on_call": "y"},
    )
    assert saved.status_code == 302
    with in_app() as session:
        stored = session.get(User, worker.id)
        assert (stored.phone, stored.is_on_call) == ("+50255550101", True)
