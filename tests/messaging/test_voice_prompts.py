"""Recorded voice prompts: the fallback a call follows (the person's language, Spanish, <Say>
where allowed, nothing), and the signed, expiring URLs Twilio fetches the audio at."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.messaging.prompts import (
    VoicePromptChoice,
    allow_spanish_say,
    save_voice_prompt,
    thanks_prompt_for,
    voice_prompt_for,
)
from returnees.messaging.templates import TemplateEntry, save_template
from tests.messaging.audio import mp3_bytes, wav_bytes


@pytest.fixture
def prompt_dir(app, tmp_path):
    """Prompts stored on disk in a folder of the test's own."""
    saved = app.config["VOICE_PROMPT_DIR"]
    app.config["VOICE_PROMPT_DIR"] = str(tmp_path / "prompts")
    yield tmp_path / "prompts"
    app.config["VOICE_PROMPT_DIR"] = saved


@pytest.fixture
def admin(make_user, demo):
    return make_user(Role.ADMIN, "GT-AURORA")


@pytest.fixture
def as_admin(in_app, admin):
    """`with as_admin() as (session, actor):` services run as the admin, then commit."""

    def context():
        return _AdminContext(in_app, admin)

    return context


class _AdminContext:
    def __init__(self, in_app, admin: User) -> None:
        self.context, self.admin = in_app(), admin

    def __enter__(self):
        session = self.context.__enter__()
        return session, Actor.for_user(session.get(User, self.admin.id))

    def __exit__(self, *exc):
        return self.context.__exit__(*exc)


def arrived_safe(as_admin, *, say: bool = False) -> None:
    with as_admin() as (session, actor):
        body = "Hola {first_name}, ¿llegó bien? Marque 1 si sí, 2 si no."
        save_template(session, actor, TemplateEntry("arrived_safe", "es", body))
        if say:
            allow_spanish_say(session, actor, "arrived_safe", True)


def choose(app, key: str, language: str) -> VoicePromptChoice | None:
    with app.test_request_context():
        return voice_prompt_for(key, language)


def test_the_persons_language_then_spanish_then_say_where_allowed_then_nothing(
    app, as_admin, prompt_dir
):
    arrived_safe(as_admin)
    assert choose(app, "arrived_safe", "mam") is None  # no recording, <Say> not allowed: SMS
    with as_admin() as (session, actor):
        allow_spanish_say(session, actor, "arrived_safe", True)
    said = choose(app, "arrived_safe", "mam")
    assert said == VoicePromptChoice(None, "Hola, ¿llegó bien? Marque 1 si sí, 2 si no.", "es")
    with as_admin() as (session, actor):
        save_voice_prompt(session, actor, "arrived_safe", "es", mp3_bytes(3))
    spanish = choose(app, "arrived_safe", "mam")
    assert spanish.language == "es" and spanish.say_text is None and spanish.url
    with as_admin() as (session, actor):
        save_voice_prompt(session, actor, "arrived_safe", "mam", wav_bytes(2))
    mam = choose(app, "arrived_safe", "mam")
    assert mam.language == "mam" and mam.url and mam.url != spanish.url
    assert choose(app, "arrived_safe", "quc").language == "es"
    assert choose(app, "no_such_template", "mam") is None


def test_the_thanks_is_its_own_recording(app, as_admin, prompt_dir):
    with app.test_request_context():
        assert thanks_prompt_for("quc") is None
    with as_admin() as (session, actor):
        save_voice_prompt(session, actor, "voice_thanks", "quc", wav_bytes(1))
    with app.test_request_context():
        thanks = thanks_prompt_for("quc")
    assert thanks.language == "quc" and thanks.url


def test_a_signed_url_serves_the_audio_until_it_expires(app, as_admin, prompt_dir, clock):
    arrived_safe(as_admin)
    audio = wav_bytes(2)
    with as_admin() as (session, actor):
        save_voice_prompt(session, actor, "arrived_safe", "es", audio)
    url = choose(app, "arrived_safe", "es").url
    assert url.startswith("http://returnees.test/voice-prompts/")
    path = url.removeprefix("http://returnees.test")
    client = app.test_client()  # Twilio signs in to nothing
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "audio/wav" and response.data == audio
    clock.advance(seconds=app.config["VOICE_PROMPT_URL_SECONDS"] + 1)
    assert client.get(path).status_code == 403


def test_a_forged_or_altered_url_is_refused(app, as_admin, prompt_dir):
    arrived_safe(as_admin)
    with as_admin() as (session, actor):
        save_voice_prompt(session, actor, "arrived_safe", "es", mp3_bytes(2))
        save_voice_prompt(session, actor, "arrived_safe", "en", wav_bytes(2))
    url = urlsplit(choose(app, "arrived_safe", "es").url)
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    client = app.test_client()
    assert client.get(url.path, query_string=query).mimetype == "audio/mpeg"
    forged = query | {"signature": "0" * 64}
    later = query | {"expires": str(int(query["expires"]) + 3600)}
    other = urlsplit(choose(app, "arrived_safe", "en").url).path  # the same signature, elsewhere
    for path, args in ((url.path, forged), (url.path, later), (other, query), (url.path, {})):
        assert client.get(path, query_string=args).status_code == 403
    assert client.get("/voice-prompts/999999", query_string=query).status_code == 403


def test_a_new_recording_retires_the_urls_of_the_one_before(app, as_admin, prompt_dir):
    arrived_safe(as_admin)
    with as_admin() as (session, actor):
        save_voice_prompt(session, actor, "arrived_safe", "es", wav_bytes(2))
    first = choose(app, "arrived_safe", "es").url.removeprefix("http://returnees.test")
    with as_admin() as (session, actor):
        save_voice_prompt(session, actor, "arrived_safe", "es", wav_bytes(3))
    client = app.test_client()
    assert client.get(first).status_code == 403
    second = choose(app, "arrived_safe", "es").url.removeprefix("http://returnees.test")
    assert len(client.get(second).data) == len(wav_bytes(3))
