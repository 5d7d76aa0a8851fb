from __future__ import annotations

from sqlalchemy import select

from returnees.auth.models import Role
from returnees.core.encryption import phone_index
from returnees.messaging.models import InboundMessage
from returnees.people.models import Phone
from tests.conftest import csrf_token
from tests.messaging.test_webhooks import message, post_signed


def attach(client, inbound_id: int, returnee_id: int):
    """The inbox's form: attach this message's number to the person with this record number."""
    return client.post(
        f"/inbox/unmatched/{inbound_id}/attach",
        data={
            "returnee_id": str(returnee_id),
            "csrf_token": csrf_token(client, "/inbox/unmatched"),
        },
    )


def test_a_message_from_an_unknown_number_is_attached_to_a_person(
    app, register, make_user, sign_in_as, in_app
):
    person = register(given_names="Nuevo", family_names="Número")
    post_signed(app, message(sid="SM1", sender="+50244445555", body="Soy Nuevo, cambié de número"))
    post_signed(app, message(sid="SM2", sender="+50244445555", body="¿Me recibieron?"))
    worker = sign_in_as(make_user(Role.SOCIAL_WORKER, "GT-AURORA"))
    inbox = worker.get("/inbox/unmatched").get_data(as_text=True)
    assert "cambié de número" in inbox
    with in_app() as session:
        first = session.scalar(select(InboundMessage).where(InboundMessage.message_sid == "SM1"))
    assert attach(worker, first.id, person.returnee_id).status_code == 302
    with in_app() as session:
        assert {m.returnee_id for m in session.scalars(select(InboundMessage))} == {
            person.returnee_id
        }
        phone = session.scalar(
            select(Phone).where(Phone.number_index == phone_index("+50244445555"))
        )
        assert phone.returnee_id == person.returnee_id and not phone.has_consent
    assert "¿Me recibieron?" in worker.get(f"/returnees/{person.returnee_id}").get_data(
        as_text=True
    )


def test_an_unknown_number_is_seen_only_by_staff_of_the_country_it_calls_from(
    app, register, make_user, sign_in_as, in_app
):
    """An unknown number has no person to scope it by: its calling code does (+504 Honduras)."""
    person = register(given_names="Ana")  # at GT-AURORA
    post_signed(app, message(sid="SM9", sender="+50499998888", body="Hola, soy de San Pedro"))
    guatemala = sign_in_as(make_user(Role.SOCIAL_WORKER, "GT-AURORA"))
    assert "soy de San Pedro" not in guatemala.get("/inbox/unmatched").get_data(as_text=True)
    with in_app() as session:
        sent = session.scalar(select(InboundMessage).where(InboundMessage.message_sid == "SM9"))
    assert attach(guatemala, sent.id, person.returnee_id).status_code == 302
    with in_app() as session:
        assert session.get(InboundMessage, sent.id).returnee_id is None, "nothing attached"
        other = phone_index("+50499998888")
        assert session.scalar(select(Phone).where(Phone.number_index == other)) is None
    honduras = sign_in_as(make_user(Role.SUPERVISOR, "HN-SPS"))
    assert "soy de San Pedro" in honduras.get("/inbox/unmatched").get_data(as_text=True)
