"""The phone simulator's calls: a call rings on the simulated phone, plays its recorded prompt
in the browser and takes a key from an accessible keypad, all through the signed voice
webhooks, and the key is read as the check-in's answer."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.followups.models import CheckIn, CheckInState
from returnees.messaging.calls import queue_staff_call
from returnees.messaging.models import MessageStatus, OutboundMessage
from returnees.messaging.prompts import save_voice_prompt
from returnees.messaging.services import dispatch_messages
from returnees.people.models import Channel
from tests.conftest import csrf_token
from tests.followups.test_answers import ask_only
from tests.messaging.audio import wav_bytes
from tests.messaging.test_calls import by_phone, run_jobs


@pytest.fixture
def ringing(app, register, make_user, in_app, tmp_path):
    """Rosa asked for calls; "are you safe?" has a Spanish recording; the call rings now."""
    saved = app.config["VOICE_PROMPT_DIR"]
    app.config["VOICE_PROMPT_DIR"] = str(tmp_path)
    admin = make_user(Role.ADMIN, "GT-AURORA")
    with in_app() as session:
        actor = Actor.for_user(session.get(User, admin.id))
        save_voice_prompt(session, actor, "arrived_safe", "es", wav_bytes(2))
        save_voice_prompt(session, actor, "voice_thanks", "es", wav_bytes(1))
    person = register(given_names="Rosa", phones=(by_phone(),))
    ask_only(in_app, "arrived_safe")
    run_jobs(in_app)
    yield person
    app.config["VOICE_PROMPT_DIR"] = saved


def the_call(in_app) -> OutboundMessage:
    with in_app() as session:
        return session.scalars(
            select(OutboundMessage).where(OutboundMessage.channel == Channel.VOICE)
        ).one()


def check_in(in_app) -> CheckIn:
    with in_app() as session:
        return session.scalars(select(CheckIn).where(CheckIn.template == "arrived_safe")).one()


def press(client, call: OutboundMessage, action: str, digit: str | None = None):
    data = {"csrf_token": csrf_token(client, "/simulator/")}
    if digit is not None:
        data["digit"] = digit
    return client.post(f"/simulator/calls/{call.id}/{action}", data=data)


def test_a_call_rings_plays_its_prompt_and_the_keypad_answers_the_check_in(
    app, ringing, make_user, sign_in_as, in_app
):
    client = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    call = the_call(in_app)
    assert call.status is MessageStatus.SENDING
    page = client.get("/simulator/").get_data(as_text=True)
    assert "Llamada · sonando" in page and "Contestar la llamada" in page
    assert press(client, call, "answer").status_code == 302
    page = client.get("/simulator/").get_data(as_text=True)
    assert "Llamada · en curso" in page
    [audio] = re.findall(r'<audio controls preload="auto" src="([^"]+)"', page)
    played = client.get(audio.replace("&amp;", "&"))
    assert played.status_code == 200 and played.mimetype == "audio/wav"
    assert played.data == wav_bytes(2)
    keys = re.findall(r'name="digit" value="(\d)" aria-label="Tecla (\d)">(\d)</button>', page)
    assert sorted(k for k, _label, _shown in keys) == list("0123456789")
    assert all(k == label == shown for k, label, shown in keys)
    assert 'role="group" aria-label="Teclado"' in page
    assert press(client, call, "key", "1").status_code == 302
    page = client.get("/simulator/").get_data(as_text=True)
    assert "Llamada · terminada" in page and 'name="digit"' not in page
    assert len(re.findall(r"<audio controls", page)) == 1  # the recorded thanks
    assert the_call(in_app).status is MessageStatus.DELIVERED
    run_jobs(in_app)
    answered = check_in(in_app)
    assert (answered.state, answered.answer) == (CheckInState.ANSWERED, "yes")


def test_no_key_twice_leaves_the_call_unanswered(app, ringing, make_user, sign_in_as, in_app):
    client = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    call = the_call(in_app)
    press(client, call, "answer")
    press(client, call, "key", "")
    assert 'name="digit" value="1"' in client.get("/simulator/").get_data(as_text=True)
    press(client, call, "key", "")
    assert check_in(in_app).state is CheckInState.UNANSWERED


def test_a_call_let_ring_is_placed_again_later(app, ringing, make_user, sign_in_as, in_app):
    client = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    assert press(client, the_call(in_app), "decline").status_code == 302
    call = the_call(in_app)
    assert call.status is MessageStatus.QUEUED and call.redials == 1


def test_a_key_before_answering_or_off_the_keypad_is_refused(
    app, ringing, make_user, sign_in_as, in_app
):
    client = sign_in_as(make_user(Role.RECEPTION, "GT-AURORA"))
    call = the_call(in_app)
    assert press(client, call, "key", "1").status_code == 422
    press(client, call, "answer")
    assert press(client, call, "key", "#").status_code == 422
    assert check_in(in_app).state is CheckInState.SENDING


def test_only_those_who_follow_the_person_answer_their_calls(
    app, ringing, make_user, sign_in_as, in_app, make_centre
):
    stranger = sign_in_as(
        make_user(
            Role.RECEPTION,
            make_centre(country="HN", region="Cortés", timezone="America/Tegucigalpa"),
        )
    )
    call = the_call(in_app)
    assert press(stranger, call, "answer").status_code == 403
    assert the_call(in_app).status is MessageStatus.SENDING


def test_a_staff_call_answered_on_the_simulator_shows_whose_phone_and_hangs_up(
    app, register, make_user, sign_in_as, in_app
):
    person = register(given_names="Rosa", phones=("5555 1234",))
    with in_app() as session:
        queue_staff_call(session, "+50255551234", "+50250100009", "encuesta", person.returnee_id)
    with in_app() as session:
        dispatch_messages(session)
    client = sign_in_as(make_user(Role.SOCIAL_WORKER, "GT-AURORA"))
    call = the_call(in_app)
    assert "Llamada · sonando" in client.get("/simulator/").get_data(as_text=True)
    assert press(client, call, "answer").status_code == 302
    page = client.get("/simulator/").get_data(as_text=True)
    assert "Llamada · en curso" in page and "Teclado" not in page
    assert "Comunicada con el teléfono del personal +50250100009" in page
    assert the_call(in_app).status is MessageStatus.SENT
    assert press(client, call, "hang-up").status_code == 302
    page = client.get("/simulator/").get_data(as_text=True)
    assert "Llamada · terminada" in page and "Colgar" not in page
    assert the_call(in_app).status is MessageStatus.DELIVERED
    assert press(client, call, "hang-up").status_code == 404, "a call ended hangs up once"
