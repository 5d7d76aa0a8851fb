"""The phone simulator: a message reaches the simulated phone, and an answer typed there goes
through the signed inbound webhook to the person's record."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from returnees.auth.models import Role
from returnees.messaging.models import InboundMessage
from returnees.messaging.services import dispatch_messages, has_consent, queue_message
from returnees.reception.intake import PhoneEntry
from tests.conftest import csrf_token
from tests.messaging.test_webhooks import INBOUND, PUBLIC


def test_a_sent_message_shows_on_the_phone_and_an_answer_reaches_the_record(
    app, register, make_user, sign_in_as, in_app
):
    person = register(given_names="Lucía", family_names="Xicará", phones=("5555 1234",))
    with in_app() as session:
        queue_message(
            session,
            "+50255551234",
            "Hola Lucía, ¿llegó bien? Responda 1 (sí) o 2.",
            returnee_id=person.returnee_id,
        )
        dispatch_messages(session)
    client = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    page = client.get("/simulator/").get_data(as_text=True)
    assert "Hola Lucía, ¿llegó bien?" in page and "· enviado</small>" in page.replace("\n", "")
    response = client.post(
        "/simulator/reply",
        data={
            "number": "+50255551234",
            "body": "Sí, gracias",
            "csrf_token": csrf_token(client, "/simulator/"),
        },
    )
    assert response.status_code == 302
    with in_app() as session:
        inbound = session.scalar(select(InboundMessage))
    assert inbound.returnee_id == person.returnee_id and inbound.body == "Sí, gracias"
    record = client.get(f"/returnees/{person.returnee_id}").get_data(as_text=True)
    assert "Sí, gracias" in record and "¿llegó bien?" in record


def test_the_simulator_is_absent_when_twilio_is_configured(
    app, fake_twilio, make_user, sign_in_as, demo
):
    client = sign_in_as(make_user(Role.ADMIN, "GT-AURORA"))
    assert client.get("/simulator/").status_code == 404


def test_after_hours_the_phone_and_the_record_say_when_the_next_message_goes(
    app, register, make_user, sign_in_as, clock
):
    clock.at = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)  # 19:30 in Guatemala
    person = register(given_names="Lucía", family_names="Xicará", phones=("5555 1234",))
    client = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    held = "Fuera del horario de envío: sale mañana a las 08:00."
    assert held in phone_card(client.get("/simulator/"), "50255551234")
    assert held in client.get(f"/returnees/{person.returnee_id}").get_data(as_text=True)


def test_before_the_morning_opening_the_next_message_goes_today(
    app, register, make_user, sign_in_as, clock
):
    clock.at = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)  # 06:30 in Guatemala
    register(given_names="Lucía", family_names="Xicará", phones=("5555 1234",))
    client = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    card = phone_card(client.get("/simulator/"), "50255551234")
    assert "Fuera del horario de envío: sale hoy a las 08:00." in card


def test_within_the_sending_hours_neither_page_speaks_of_them(
    app, register, make_user, sign_in_as, clock
):
    person = register(given_names="Lucía", family_names="Xicará", phones=("5555 1234",))
    client = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))  # 08:00 in Guatemala
    assert "horario de envío" not in client.get("/simulator/").get_data(as_text=True)
    record = client.get(f"/returnees/{person.returnee_id}").get_data(as_text=True)
    assert "horario de envío" not in record


def phone_card(page, number: str) -> str:
    """The simulator's card of one phone."""
    html = page.get_data(as_text=True)
    start = html.index(f'id="phone-{number}"')
    return html[start : html.index("</section>", start)]


GT_PHONE, HN_PHONE = "+50255551234", "+50495551234"


@pytest.fixture
def two_countries(register):
    """A Guatemalan registered at La Aurora and a Honduran at San Pedro Sula, each with a phone."""
    gt = register(given_names="Lucía", family_names="Xicará", phones=("5555 1234",))
    hn = register(
        centre="HN-SPS",
        nationality="HN",
        given_names="Marvin",
        family_names="Zelaya",
        phones=("9555 1234",),
    )
    return gt, hn


def answer(client, number: str, body: str):
    return client.post(
        "/simulator/reply",
        data={"number": number, "body": body, "csrf_token": csrf_token(client, "/")},
    )


def test_a_reply_forged_with_a_key_derived_from_the_secret_key_is_refused(
    app, two_countries, in_app
):
    derived = hashlib.sha256(f"simulator:{app.config['SECRET_KEY']}".encode()).hexdigest()
    form = {"MessageSid": "SMforged", "From": GT_PHONE, "To": "simulator", "Body": "STOP"}
    signature = RequestValidator(derived).compute_signature(PUBLIC + INBOUND, form)
    response = app.test_client().post(INBOUND, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    with in_app() as session:
        assert has_consent(session, GT_PHONE), "a forged STOP withdrew consent"
        assert session.scalar(select(InboundMessage)) is None


def test_the_simulator_shows_only_the_phones_of_people_in_the_users_scope(
    app, two_countries, make_user, sign_in_as
):
    hn_desk = sign_in_as(make_user(Role.RECEPTION, "HN-SPS"))
    page = hn_desk.get("/simulator/").get_data(as_text=True)
    assert HN_PHONE in page and "Marvin Zelaya" in page
    assert GT_PHONE not in page and "Lucía" not in page
    gt_supervisor = sign_in_as(make_user(Role.SUPERVISOR, "GT-AURORA"))
    page = gt_supervisor.get("/simulator/").get_data(as_text=True)
    assert GT_PHONE in page and HN_PHONE not in page


def test_a_desk_cannot_answer_as_a_phone_of_another_countrys_person(
    app, two_countries, make_user, sign_in_as, in_app
):
    hn_desk = sign_in_as(make_user(Role.RECEPTION, "HN-SPS"))
    assert answer(hn_desk, GT_PHONE, "ALTO").status_code == 403
    assert answer(hn_desk, HN_PHONE, "1").status_code == 302
    with in_app() as session:
        assert has_consent(session, GT_PHONE), "an HN desk withdrew a GT person's consent"
        senders = [message.from_number for message in session.scalars(select(InboundMessage))]
    assert senders == [HN_PHONE]


def test_on_a_shared_phone_only_the_messages_of_people_in_scope_show(
    app, register, make_user, sign_in_as, in_app
):
    gt = register(given_names="Lucía", family_names="Xicará", phones=("5555 1234",))
    hn = register(
        centre="HN-SPS",
        nationality="HN",
        given_names="Marvin",
        family_names="Zelaya",
        phones=(PhoneEntry(GT_PHONE, owner="shared", consent=True),),
    )
    with in_app() as session:
        queue_message(session, GT_PHONE, "Mensaje para Lucía", returnee_id=gt.returnee_id)
        queue_message(session, GT_PHONE, "Mensaje para Marvin", returnee_id=hn.returnee_id)
        dispatch_messages(session)
    gt_desk = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    card = phone_card(gt_desk.get("/simulator/"), GT_PHONE.lstrip("+"))
    assert "Lucía" in card and "Mensaje para Lucía" in card
    assert "Marvin" not in card and "Mensaje para Marvin" not in card


def test_a_number_held_by_nobody_is_answered_only_by_a_supervisor_of_its_country(
    app, demo, make_user, sign_in_as, in_app
):
    stranger = "+50497771234"
    for role, centre in ((Role.RECEPTION, "HN-SPS"), (Role.SUPERVISOR, "GT-AURORA")):
        refused = answer(sign_in_as(make_user(role, centre)), stranger, "hola")
        assert refused.status_code == 403, f"{role} at {centre} answered as a stranger"
    hn_supervisor = sign_in_as(make_user(Role.SUPERVISOR, "HN-SPS"))
    assert answer(hn_supervisor, stranger, "hola").status_code == 302
    with in_app() as session:
        inbound = session.scalars(select(InboundMessage)).all()
    assert [(m.from_number, m.returnee_id) for m in inbound] == [(stranger, None)]


def test_admins_have_no_simulator(app, two_countries, make_user, sign_in_as):
    admin = sign_in_as(make_user(Role.ADMIN, "GT-AURORA"))
    assert admin.get("/simulator/").status_code == 403
    assert answer(admin, GT_PHONE, "ALTO").status_code == 403
