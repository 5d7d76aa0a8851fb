"""The phone simulator: a message reaches the simulated phone, and an answer typed there goes
through the signed inbound webhook to the person's record."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from returnees.auth.models import Role
from returnees.messaging.models import InboundMessage
from returnees.messaging.services import dispatch_messages, queue_message
from tests.conftest import csrf_token


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
