"""The Twilio gateway, over real HTTP against the fake Twilio API, with every failure mode."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from returnees.messaging.models import ConsentChange, MessageStatus, OutboundMessage
from returnees.messaging.services import dispatch_messages, queue_message
from returnees.people.models import Channel, Phone
from tests.messaging.fake_twilio import Scripted


@pytest.fixture
def person(register):
    return register(given_names="Lucía", family_names="Xicará", phones=("5555 1234",))


def queue(in_app, channel: Channel = Channel.SMS, body: str = "Hola Lucía, responda 1.") -> int:
    with in_app() as session:
        return queue_message(session, "+50255551234", body, channel=channel).id


def dispatch(in_app) -> int:
    with in_app() as session:
        return dispatch_messages(session)


def stored(in_app, message_id: int) -> OutboundMessage:
    with in_app() as session:
        return session.get(OutboundMessage, message_id)


def test_a_message_is_stored_then_sent_once_with_its_callback_and_validity(
    app, fake_twilio, person, in_app
):
    message_id = queue(in_app)
    assert dispatch(in_app) == 1
    assert dispatch(in_app) == 0, "a sent message is not sent again"
    [sent] = fake_twilio.created()
    assert sent["To"] == "+50255551234" and sent["From"] == "+15005550006"
    assert sent["ValidityPeriod"] == "14400"
    assert (
        sent["StatusCallback"]
        == f"http://returnees.test/webhooks/twilio/status?message={message_id}"
    )
    message = stored(in_app, message_id)
    assert message.status is MessageStatus.SENDING, "Twilio's 'queued': accepted, not yet sent"
    assert message.twilio_sid in fake_twilio.messages and message.attempts == 1


def test_signed_status_callbacks_only_move_a_message_forward(app, fake_twilio, person, in_app):
    message_id = queue(in_app)
    dispatch(in_app)
    sid = stored(in_app, message_id).twilio_sid
    client = app.test_client()
    for status in ("sent", "delivered", "sent"):
        path, form, headers = fake_twilio.signed_callback(sid, status, "http://returnees.test")
        assert client.post(path, data=form, headers=headers).status_code == 204
    assert stored(in_app, message_id).status is MessageStatus.DELIVERED


def test_a_whatsapp_message_goes_to_the_whatsapp_address(app, fake_twilio, person, in_app):
    queue(in_app, Channel.WHATSAPP)
    dispatch(in_app)
    [sent] = fake_twilio.created()
    assert sent["To"] == "whatsapp:+50255551234" and sent["From"] == "whatsapp:+15005550007"


@pytest.mark.parametrize("code", [21211, 21614])
def test_an_invalid_number_is_marked_unusable(app, fake_twilio, person, in_app, code):
    fake_twilio.answer_next(Scripted(status=400, code=code, message="invalid 'To'"))
    message_id = queue(in_app)
    dispatch(in_app)
    message = stored(in_app, message_id)
    assert message.status is MessageStatus.FAILED and message.error_code == code
    with in_app() as session:
        assert not session.scalar(select(Phone)).is_usable


@pytest.mark.parametrize("code", [21610, 63014])
def test_twilio_saying_the_person_opted_out_withdraws_consent(
    app, fake_twilio, person, in_app, code
):
    fake_twilio.answer_next(Scripted(status=400, code=code, message="unsubscribed"))
    queue(in_app)
    dispatch(in_app)
    with in_app() as session:
        assert not session.scalar(select(Phone)).has_consent
        change = session.scalar(select(ConsentChange).order_by(ConsentChange.id.desc()))
        assert (change.has_consent, change.source) == (False, f"twilio:{code}")


def test_a_429_is_retried_after_a_backoff(app, fake_twilio, person, in_app, clock):
    fake_twilio.answer_next(Scripted(status=429, code=20429, message="Too Many Requests"))
    message_id = queue(in_app)
    dispatch(in_app)
    assert stored(in_app, message_id).status is MessageStatus.QUEUED
    assert dispatch(in_app) == 0, "not before its backoff"
    clock.advance(seconds=31)
    assert dispatch(in_app) == 1
    assert len(fake_twilio.created()) == 2 and stored(in_app, message_id).attempts == 2


@pytest.mark.parametrize(
    "answer",
    [Scripted(status=500, code=20500, message="Internal"), Scripted(delay=1.0)],
    ids=["500", "timeout"],
)
def test_a_send_that_may_have_gone_out_is_resolved_before_any_resend(
    app, fake_twilio, person, in_app, clock, answer
):
    short_timeout(app, fake_twilio)
    fake_twilio.answer_next(answer)
    message_id = queue(in_app)
    dispatch(in_app)
    message = stored(in_app, message_id)
    assert message.is_ambiguous and message.status is MessageStatus.SENDING
    dispatch(in_app)
    assert len(fake_twilio.created()) == 1, "not resent while it may have gone out"
    clock.advance(minutes=6)
    dispatch(in_app)
    message = stored(in_app, message_id)
    if answer.delay:
        assert len(fake_twilio.created()) == 1, "it went out: taken over, never sent twice"
    else:
        assert len(fake_twilio.created()) == 2, "it never went out: sent again"
    assert message.twilio_sid in fake_twilio.messages and not message.is_ambiguous


@pytest.mark.parametrize(
    ("answer", "creates"),
    [(Scripted(status=500, code=20500, message="Internal"), 3), (Scripted(delay=1.0), 2)],
    ids=["never-went-out", "went-out"],
)
def test_the_same_words_sent_before_do_not_confuse_an_ambiguous_send(
    app, fake_twilio, person, in_app, clock, answer, creates
):
    """A reminder repeats a question word for word: the earlier message at Twilio neither
    passes for the second (which never went out) nor hides it (when it did go out)."""
    short_timeout(app, fake_twilio)
    first = queue(in_app)
    dispatch(in_app)
    fake_twilio.answer_next(answer)
    second = queue(in_app)
    dispatch(in_app)
    assert stored(in_app, second).is_ambiguous
    clock.advance(minutes=6)
    dispatch(in_app)
    assert len(fake_twilio.created()) == creates, "sent once more only if it never went out"
    sids = {stored(in_app, first).twilio_sid, stored(in_app, second).twilio_sid}
    assert len(sids) == 2 and None not in sids


def test_a_status_callback_settles_an_ambiguous_send(app, fake_twilio, person, in_app, clock):
    short_timeout(app, fake_twilio)
    fake_twilio.answer_next(Scripted(delay=1.0))
    message_id = queue(in_app)
    dispatch(in_app)
    [sid] = fake_twilio.messages
    path, form, headers = fake_twilio.signed_callback(sid, "delivered", "http://returnees.test")
    assert app.test_client().post(path, data=form, headers=headers).status_code == 204
    clock.advance(minutes=6)
    dispatch(in_app)
    message = stored(in_app, message_id)
    assert message.twilio_sid == sid and message.status is MessageStatus.DELIVERED
    assert len(fake_twilio.created()) == 1


def test_whatsapp_outside_the_24_hour_window_falls_back_to_sms(app, fake_twilio, person, in_app):
    fake_twilio.answer_next(Scripted(status=400, code=63016, message="outside window"))
    queue(in_app, Channel.WHATSAPP)
    dispatch(in_app)
    dispatch(in_app)
    first, second = fake_twilio.created()
    assert first["To"].startswith("whatsapp:") and second["To"] == "+50255551234"


def test_a_refused_connection_is_retried(app, fake_twilio, person, in_app, clock):
    from returnees.messaging.gateway import TwilioGateway
    from returnees.messaging.services import GATEWAY

    app.extensions[GATEWAY] = TwilioGateway(
        "AC" + "0" * 32,
        "x",
        sms_from="+15005550006",
        api_base_url="http://127.0.0.1:9",
        timeout=0.5,
    )
    message_id = queue(in_app)
    dispatch(in_app)
    message = stored(in_app, message_id)
    assert message.status is MessageStatus.QUEUED and message.next_attempt_at is not None


def test_a_number_without_consent_gets_nothing(app, register, in_app):
    from returnees.core.errors import Conflict

    register(given_names="Sin", family_names="Permiso")
    with pytest.raises(Conflict), in_app() as session:
        queue_message(session, "+50255559999", "Hola")


def short_timeout(app, fake) -> None:
    """A client that gives up after 0.3 s, against a fake that answers after 1 s."""
    from returnees.messaging.gateway import TwilioGateway
    from returnees.messaging.services import GATEWAY

    app.extensions[GATEWAY] = TwilioGateway(
        "AC" + "0" * 32,
        "fake-twilio-auth-token",
        sms_from="+15005550006",
        api_base_url=fake.base_url,
        timeout=0.3,
    )


def test_a_stop_after_queueing_wins(app, fake_twilio, person, in_app):
    from returnees.messaging.services import change_consent

    message_id = queue(in_app)
    with in_app() as session:
        change_consent(session, "+50255551234", False, "keyword:stop")
    dispatch(in_app)
    assert fake_twilio.created() == []
    message = stored(in_app, message_id)
    assert message.status is MessageStatus.FAILED and "opted out" in message.error_message


def test_a_failure_reported_by_callback_is_acted_on(app, fake_twilio, person, in_app):
    queue(in_app, Channel.WHATSAPP)
    dispatch(in_app)
    [sid] = fake_twilio.messages
    path, form, headers = fake_twilio.signed_callback(
        sid, "undelivered", "http://returnees.test", error_code="63016"
    )
    assert app.test_client().post(path, data=form, headers=headers).status_code == 204
    dispatch(in_app)
    assert [m["To"] for m in fake_twilio.created()] == ["whatsapp:+50255551234", "+50255551234"]


def test_an_invalid_number_gives_staff_a_task_to_find_a_new_one(
    app, fake_twilio, person, in_app, make_user, sign_in_as
):
    from returnees.auth.models import Role

    fake_twilio.answer_next(
        Scripted(status=400, code=21211, message="The 'To' number is not valid")
    )
    queue(in_app)
    dispatch(in_app)
    page = (
        sign_in_as(make_user(Role.SOCIAL_WORKER, "GT-AURORA"))
        .get(f"/returnees/{person.returnee_id}")
        .get_data(as_text=True)
    )
    assert "Buscar un nuevo número de teléfono" in page and "not valid" in page


def whatsapp_template(in_app, content_sid: str = "HX" + "b" * 32) -> None:
    from returnees.auth.access import Actor
    from returnees.messaging.templates import TemplateEntry, save_template

    with in_app() as session:
        save_template(
            session,
            Actor.system("t"),
            TemplateEntry(
                "arrived_safe",
                "es",
                "Hola {first_name}, ¿llegó bien? Responda {options}.",
                content_sid,
            ),
        )


def queue_check_in(in_app, person) -> None:
    from returnees.messaging.services import queue_template_message

    with in_app() as session:
        queue_template_message(
            session,
            "+50255551234",
            "arrived_safe",
            channel=Channel.WHATSAPP,
            returnee_id=person.returnee_id,
            language="es",
            first_name="Lucía",
            options="1 o 2",
        )


def test_a_whatsapp_conversation_we_start_goes_as_the_approved_template(
    app, fake_twilio, person, in_app
):
    whatsapp_template(in_app)
    queue_check_in(in_app, person)
    dispatch(in_app)
    [sent] = fake_twilio.created()
    assert sent["ContentSid"] == "HX" + "b" * 32 and "Body" not in sent
    assert json.loads(sent["ContentVariables"]) == {"1": "Lucía", "2": "1 o 2"}


def test_inside_the_24_hour_window_whatsapp_is_free_text(app, fake_twilio, person, in_app):
    from tests.messaging.test_webhooks import message, post_signed

    whatsapp_template(in_app)
    post_signed(app, message(sender="whatsapp:+50255551234", body="Hola"))
    queue_check_in(in_app, person)
    dispatch(in_app)
    [sent] = fake_twilio.created()
    assert sent["Body"].startswith("Hola Lucía") and "ContentSid" not in sent


def test_without_an_approved_template_whatsapp_goes_by_sms(app, fake_twilio, person, in_app):
    whatsapp_template(in_app, content_sid="")
    queue_check_in(in_app, person)
    dispatch(in_app)
    [sent] = fake_twilio.created()
    assert sent["To"] == "+50255551234"


def test_outside_the_window_free_text_is_sent_again_as_the_template(
    app, fake_twilio, person, in_app
):
    from tests.messaging.test_webhooks import message, post_signed

    whatsapp_template(in_app)
    post_signed(app, message(sender="whatsapp:+50255551234", body="Hola"))
    queue_check_in(in_app, person)
    fake_twilio.answer_next(Scripted(status=400, code=63016, message="outside the window"))
    dispatch(in_app)
    dispatch(in_app)
    first, second = fake_twilio.created()
    assert "Body" in first and second["ContentSid"] == "HX" + "b" * 32
    assert second["To"] == "whatsapp:+50255551234"
