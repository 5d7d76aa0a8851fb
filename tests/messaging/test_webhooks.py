"""Inbound webhooks: signatures checked before anything is stored, one row per MessageSid,
odd payloads stored, keywords honoured at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from returnees.messaging.models import ConsentChange, InboundMessage, OutboundMessage
from returnees.messaging.services import queue_message
from returnees.people.models import Phone

INBOUND = "/webhooks/twilio/inbound"
PUBLIC = "http://returnees.test"


def token(app) -> str:
    with app.app_context():
        from returnees.messaging.webhooks import signing_token

        return signing_token()


def post_signed(app, form: dict, url: str = PUBLIC + INBOUND, path: str = INBOUND):
    signature = RequestValidator(token(app)).compute_signature(url, form)
    return app.test_client().post(path, data=form, headers={"X-Twilio-Signature": signature})


def message(sid: str = "SM1", body: str = "1", sender: str = "+50255551234", **extra) -> dict:
    return {
        "MessageSid": sid,
        "From": sender,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
    } | extra


def count(in_app, model) -> int:
    with in_app() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def person(register):
    return register(given_names="Lucía", family_names="Xicará", phones=("5555 1234",))


def test_a_signed_message_is_stored_and_matched_to_the_person(app, person, in_app):
    response = post_signed(app, message(sender="whatsapp:+50255551234"))
    assert response.status_code == 200 and "<Response>" in response.get_data(as_text=True)
    with in_app() as session:
        inbound = session.scalar(select(InboundMessage))
    assert inbound.returnee_id == person.returnee_id and inbound.channel.value == "whatsapp"


@pytest.mark.parametrize("case", ["missing", "forged", "wrong-url", "tampered"])
def test_an_unproven_webhook_is_refused_and_stores_nothing(app, person, in_app, case):
    form = message()
    signature = RequestValidator(token(app)).compute_signature(PUBLIC + INBOUND, form)
    headers = {
        "missing": {},
        "forged": {
            "X-Twilio-Signature": RequestValidator("not-the-token").compute_signature(
                PUBLIC + INBOUND, form
            )
        },
        "wrong-url": {
            "X-Twilio-Signature": RequestValidator(token(app)).compute_signature(
                "http://elsewhere.example" + INBOUND, form
            )
        },
        "tampered": {"X-Twilio-Signature": signature},
    }[case]
    sent = form | {"Body": "STOP"} if case == "tampered" else form
    response = app.test_client().post(INBOUND, data=sent, headers=headers)
    assert response.status_code == 403
    assert count(in_app, InboundMessage) == 0


def test_a_replayed_message_is_stored_once(app, person, in_app):
    assert post_signed(app, message(body="STOP")).status_code == 200
    assert post_signed(app, message(body="STOP")).status_code == 200
    assert count(in_app, InboundMessage) == 1
    assert count(in_app, OutboundMessage) == 1, "one confirmation, not two"


@pytest.mark.parametrize(
    "form",
    [
        message(body=""),
        message(body="á" * 1600),
        message(body="👍🏽 sí 🙏"),
        message(body="", NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1"),
        message(sender="+14155550100"),
        {"MessageSid": "SM9"},
    ],
    ids=["empty", "1600-chars", "emoji", "media-only", "unknown-sender", "bare"],
)
def test_odd_payloads_are_stored_and_answered_200(app, person, in_app, form):
    assert post_signed(app, form).status_code == 200
    assert count(in_app, InboundMessage) == 1


def test_an_unknown_number_waits_in_the_unmatched_inbox(app, person, in_app):
    post_signed(app, message(sender="+50377778888"))
    with in_app() as session:
        assert session.scalar(select(InboundMessage)).returnee_id is None


@pytest.mark.parametrize(
    "body", ["STOP", "stop", "Alto!", "baja", "CANCELAR", "parar.", "Detener", "SALIR", " alto "]
)
def test_stop_words_opt_out_at_once_with_one_confirmation(app, person, in_app, body):
    post_signed(app, message(body=body))
    with in_app() as session:
        assert not session.scalar(select(Phone)).has_consent
        change = session.scalar(select(ConsentChange).order_by(ConsentChange.id.desc()))
        assert (change.has_consent, change.source) == (False, "keyword:stop")
        [reply] = session.scalars(select(OutboundMessage)).all()
        assert "INICIO" in reply.body
        from returnees.core.errors import Conflict

        with pytest.raises(Conflict):
            queue_message(session, "+50255551234", "Hola")


@pytest.mark.parametrize("body", ["alto ahí", "no quiero parar", "Hola", "1"])
def test_other_messages_are_not_keywords(app, person, in_app, body):
    post_signed(app, message(body=body))
    with in_app() as session:
        assert session.scalar(select(Phone)).has_consent
        assert session.scalar(select(InboundMessage)).keyword == ""


def test_only_start_words_opt_back_in(app, person, in_app):
    post_signed(app, message(sid="SM1", body="BAJA"))
    post_signed(app, message(sid="SM2", body="Hola, ¿siguen ahí?"))
    with in_app() as session:
        assert not session.scalar(select(Phone)).has_consent, "no other message opts back in"
    post_signed(app, message(sid="SM3", body="Inicio"))
    with in_app() as session:
        assert session.scalar(select(Phone)).has_consent
        sources = [
            c.source for c in session.scalars(select(ConsentChange).order_by(ConsentChange.id))
        ]
    assert sources == ["desk", "keyword:stop", "keyword:start"]


@pytest.mark.parametrize("body", ["AYUDA", "help", "Info"])
def test_help_is_answered_with_the_programme_number(app, person, in_app, body):
    post_signed(app, message(body=body))
    with in_app() as session:
        [reply] = session.scalars(select(OutboundMessage)).all()
    assert app.config["PROGRAMME_PHONE"] in reply.body


def test_help_from_an_unknown_or_opted_out_number_is_answered(app, person, in_app):
    post_signed(app, message(sid="SM1", sender="+50377778888", body="AYUDA"))
    post_signed(app, message(sid="SM2", body="ALTO"))
    post_signed(app, message(sid="SM3", body="AYUDA"))
    with in_app() as session:
        replies = [
            m.phone for m in session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
        ]
    assert replies == ["+50377778888", "+50255551234", "+50255551234"]


def test_a_second_stop_is_not_confirmed_again(app, person, in_app):
    post_signed(app, message(sid="SM1", body="STOP"))
    post_signed(app, message(sid="SM2", body="Alto"))
    assert count(in_app, OutboundMessage) == 1
    assert count(in_app, ConsentChange) == 2, "the desk's consent, then one STOP"


def test_twilios_own_opt_out_is_recorded_without_a_second_confirmation(app, person, in_app):
    post_signed(app, message(body="UNSUBSCRIBE", OptOutType="STOP"))
    with in_app() as session:
        assert not session.scalar(select(Phone)).has_consent
    assert count(in_app, OutboundMessage) == 0, "Twilio's Advanced Opt-Out already replied"


def test_a_reply_from_a_shared_phone_waits_for_a_person(app, register, in_app):
    register(given_names="Rosa", phones=("5555 1234",))
    register(given_names="Luis", family_names="Otro", phones=("5555 1234",))
    post_signed(app, message(body="1"))
    with in_app() as session:
        assert session.scalar(select(InboundMessage)).returnee_id is None
