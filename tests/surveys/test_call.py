"""A wave's call placed from the survey form: the person's phone is called through the voice
gateway, to be put through to the social worker's own phone; the call is on the audit trail,
and is never placed without a phone to put it through to, to a phone not the person's, nor for
a completed wave."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from returnees.audit.models import AuditAction, AuditEntry, AuditEntryPerson
from returnees.auth.models import Role
from returnees.messaging.calls import CONNECT_TO, STAFF_CALL
from returnees.messaging.models import REPLY, MessageStatus, OutboundMessage
from returnees.people.models import Channel, Phone
from returnees.reception.intake import PhoneEntry
from returnees.surveys.models import SurveyWave
from returnees.surveys.services import complete_wave
from tests.conftest import csrf_token
from tests.surveys.conftest import BEST, actor_of

WORKER_PHONE = "+50250100009"
PERSON_PHONE = "+50255554321"


def calls(in_app) -> list[OutboundMessage]:
    with in_app() as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def phone_id(in_app, returnee_id: int) -> int:
    with in_app() as session:
        return session.scalar(select(Phone.id).where(Phone.returnee_id == returnee_id))


def place(client, world, wave_id: int, phone: int):
    path = f"/returnees/{world.returnee_id}/surveys/{wave_id}"
    data = {"csrf_token": csrf_token(client, path), "phone": phone}
    return client.post(f"{path}/call", data=data, follow_redirects=True)


def test_the_form_calls_the_persons_phone_to_put_them_through_to_the_workers(
    app, in_app, world, wave_id, make_user, sign_in_as
):
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone=WORKER_PHONE)
    client = sign_in_as(worker)
    form = client.get(f"/returnees/{world.returnee_id}/surveys/{wave_id}").get_data(as_text=True)
    assert "Llamar al +502 5555 4321" in form
    answered = place(client, world, wave_id, phone_id(in_app, world.returnee_id))
    assert answered.status_code == 200
    assert "Llamando al +502 5555 4321" in answered.get_data(as_text=True)
    assert re.search(r"Última llamada, a las \d\d:\d\d: a punto de hacerse\.", answered.text)
    [call] = calls(in_app)
    assert (call.channel, call.template, call.phone) == (Channel.VOICE, STAFF_CALL, PERSON_PHONE)
    assert call.content_variables == {CONNECT_TO: WORKER_PHONE}
    assert (call.status, call.priority, call.returnee_id) == (
        MessageStatus.QUEUED,
        REPLY,
        world.returnee_id,
    )
    with in_app() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.record_type == "outbound_message")
        ).one()
        assert (entry.action, entry.record_id, entry.user_id) == (
            AuditAction.CREATE,
            str(call.id),
            worker.id,
        )
        assert entry.detail["survey_wave"] == wave_id
        named = select(AuditEntryPerson.returnee_id).where(AuditEntryPerson.entry_id == entry.id)
        assert session.scalars(named).all() == [world.returnee_id]


def test_without_a_phone_on_the_workers_account_no_call_is_placed(
    app, in_app, world, wave_id, sign_in_as
):
    client = sign_in_as(world.worker)
    form = client.get(f"/returnees/{world.returnee_id}/surveys/{wave_id}").get_data(as_text=True)
    assert "Llamar al" not in form
    assert "Su cuenta no tiene un teléfono" in form
    answered = place(client, world, wave_id, phone_id(in_app, world.returnee_id))
    assert "Su cuenta no tiene un teléfono" in answered.get_data(as_text=True)
    assert calls(in_app) == []


def test_another_persons_phone_is_not_called(
    app, in_app, world, wave_id, register, make_user, sign_in_as
):
    other = register(given_names="Otra", phones=("5555 9999",))
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone=WORKER_PHONE)
    answered = place(sign_in_as(worker), world, wave_id, phone_id(in_app, other.returnee_id))
    assert "no tiene ningún teléfono" in answered.get_data(as_text=True)
    assert calls(in_app) == []


def test_a_completed_wave_places_no_call(
    app, in_app, world, wave_id, answer, make_user, sign_in_as
):
    answer(wave_id, **BEST)
    with in_app() as session:
        complete_wave(session, actor_of(session, world.worker), world.returnee_id, wave_id)
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone=WORKER_PHONE)
    client = sign_in_as(worker)
    form = client.get(f"/returnees/{world.returnee_id}/surveys/{wave_id}").get_data(as_text=True)
    assert "Llamar al" not in form
    place(client, world, wave_id, phone_id(in_app, world.returnee_id))
    assert calls(in_app) == []


def test_a_phone_marked_do_not_contact_is_not_offered(
    app, in_app, world, register, clock, open_waves, make_user, sign_in_as
):
    quiet = PhoneEntry("5555 8888", channel="none", consent=True)
    person = register(
        given_names="Callada", phones=(quiet,), arrived_at=clock.at - timedelta(days=30, hours=1)
    )
    assert open_waves() == 2
    with in_app() as session:
        wave = session.scalar(
            select(SurveyWave.id).where(SurveyWave.returnee_id == person.returnee_id)
        )
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone=WORKER_PHONE)
    form = sign_in_as(worker).get(f"/returnees/{person.returnee_id}/surveys/{wave}")
    assert "Llamar al" not in form.get_data(as_text=True)
    assert "Ningún teléfono de esta persona acepta llamadas" in form.get_data(as_text=True)


def test_a_second_tap_while_the_call_rings_places_no_second_call(
    app, in_app, world, wave_id, make_user, sign_in_as
):
    client = sign_in_as(make_user(Role.SOCIAL_WORKER, "GT-AURORA", phone=WORKER_PHONE))
    place(client, world, wave_id, phone_id(in_app, world.returnee_id))
    again = place(client, world, wave_id, phone_id(in_app, world.returnee_id))
    assert "La llamada ya está sonando" in again.text
    assert len(calls(in_app)) == 1
