"""Recorded voice prompts: the fallback a call follows (the person's language, Spanish, <Say>
where allowed, nothing), and the signed, expiring URLs Twilio fetches the audio at."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from returnees.audit.models import AuditEntry
from returnees.auth.models import Role
from returnees.messaging.models import VoicePrompt
from returnees.messaging.prompts import (
    VoicePromptChoice,
    allow_spanish_say,
    save_voice_prompt,
    thanks_prompt_for,
    voice_prompt_for,
)
from returnees.messaging.templates import TemplateEntry, save_template
from tests.conftest import csrf_token
from tests.messaging.audio import mp3_bytes, wav_bytes


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
    garbled = query | {"signature": "ñ" * 64}  # not even hex
    later = query | {"expires": str(int(query["expires"]) + 3600)}
    other = urlsplit(choose(app, "arrived_safe", "en").url).path  # the same signature, elsewhere
    tried = ((url.path, forged), (url.path, garbled), (url.path, later), (other, query))
    for path, args in (*tried, (url.path, {})):
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


# Admins' uploads through the page ------------------------------------------------------------


def upload(client, data: bytes, filename: str, **fields: str):
    form = {"template_key": "arrived_safe", "language": "mam"} | fields
    form["csrf_token"] = csrf_token(client, "/templates/voice")
    form["audio"] = (io.BytesIO(data), filename)
    return client.post("/templates/voice", data=form, content_type="multipart/form-data")


def stored(in_app, prompt_dir) -> tuple[list[VoicePrompt], list[Path]]:
    with in_app() as session:
        prompts = list(session.scalars(select(VoicePrompt)))
    files = sorted(p for p in prompt_dir.rglob("*") if p.is_file()) if prompt_dir.exists() else []
    return prompts, files


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [(wav_bytes(4), "saludo.wav", "audio/wav"), (mp3_bytes(4), "saludo.mp3", "audio/mpeg")],
)
def test_an_admin_uploads_a_wav_or_an_mp3_and_the_trail_records_it(
    app, as_admin, admin, sign_in_as, in_app, prompt_dir, data, filename, content_type
):
    arrived_safe(as_admin)
    client = sign_in_as(admin)
    response = upload(client, data, filename)
    assert response.status_code == 302
    (prompt,), (file,) = stored(in_app, prompt_dir)
    assert (prompt.template_key, prompt.language, prompt.content_type) == (
        "arrived_safe",
        "mam",
        content_type,
    )
    assert prompt.byte_size == len(data) and 3.9 < prompt.duration_seconds < 4.1
    assert prompt.uploaded_by_id == admin.id and file.read_bytes() == data
    page = client.get("/templates/voice").get_data(as_text=True)
    assert "arrived_safe" in page and "Mam" in page and "<audio controls" in page
    with in_app() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.record_type == "voice_prompt"))
    assert entry.action == "create" and entry.record_id == str(prompt.id)


def test_the_trail_names_the_recording(app, as_admin, admin, sign_in_as, prompt_dir):
    arrived_safe(as_admin)
    client = sign_in_as(admin)
    upload(client, wav_bytes(1), "a.wav")
    trail = client.get("/audit/").get_data(as_text=True)
    assert "arrived_safe (mam)" in trail


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"Hola, esto es texto" * 50, "saludo.mp3", "no es un archivo WAV ni MP3"),
        (b"\x89PNG\r\n\x1a\n" + bytes(2000), "saludo.wav", "no es un archivo WAV ni MP3"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(100), "saludo.wav", "no se puede leer"),
        (wav_bytes(11), "largo.wav", "dura 11.0 segundos: como máximo 10"),
        (mp3_bytes(12), "largo.mp3", "segundos: como máximo 10"),
        (b"", "vacio.wav", "Elija un archivo WAV o MP3"),
    ],
)
def test_a_file_that_is_not_a_short_wav_or_mp3_is_refused_and_nothing_is_stored(
    app, as_admin, admin, sign_in_as, in_app, prompt_dir, data, filename, message
):
    arrived_safe(as_admin)
    saved = app.config["VOICE_PROMPT_MAX_SECONDS"]
    app.config["VOICE_PROMPT_MAX_SECONDS"] = 10
    try:
        response = upload(sign_in_as(admin), data, filename)
    finally:
        app.config["VOICE_PROMPT_MAX_SECONDS"] = saved
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(in_app, prompt_dir) == ([], [])


def test_a_file_past_the_size_limit_is_refused(
    app, as_admin, admin, sign_in_as, in_app, prompt_dir
):
    arrived_safe(as_admin)
    saved = app.config["VOICE_PROMPT_MAX_BYTES"]
    app.config["VOICE_PROMPT_MAX_BYTES"] = 20 * 1024
    try:
        response = upload(sign_in_as(admin), wav_bytes(2), "saludo.wav")  # 32 KB
        accepted = upload(sign_in_as(admin), wav_bytes(1), "saludo.wav")  # 16 KB
    finally:
        app.config["VOICE_PROMPT_MAX_BYTES"] = saved
    assert response.status_code == 422
    assert "más grande que los 20 KB permitidos" in response.get_data(as_text=True)
    assert accepted.status_code == 302
    assert len(stored(in_app, prompt_dir)[1]) == 1


def test_a_recording_for_no_template_is_refused(app, as_admin, admin, sign_in_as, prompt_dir):
    arrived_safe(as_admin)
    response = upload(sign_in_as(admin), wav_bytes(1), "a.wav", template_key="nothing_here")
    assert response.status_code == 422


def test_only_admins_upload(app, make_user, sign_in_as, demo, as_admin, prompt_dir, in_app):
    arrived_safe(as_admin)
    client = sign_in_as(make_user(Role.SUPERVISOR, "GT-AURORA"))
    assert client.get("/templates/voice").status_code == 403
    response = client.post(
        "/templates/voice",
        data={
            "template_key": "arrived_safe",
            "language": "es",
            "audio": (io.BytesIO(wav_bytes(1)), "a.wav"),
            "csrf_token": csrf_token(client, "/"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert stored(in_app, prompt_dir) == ([], [])


def test_an_admin_allows_and_stops_spanish_say_per_template(
    app, as_admin, admin, sign_in_as, in_app, prompt_dir
):
    arrived_safe(as_admin)
    with as_admin() as (session, actor):
        save_template(session, actor, TemplateEntry("still_there", "es", "¿Sigue bien?"))
    client = sign_in_as(admin)
    token = csrf_token(client, "/templates/voice")
    offer = "voice_stop_calls"  # read aloud as installed, and kept so by the form
    assert choose(app, offer, "kek").say_text == "Para no recibir más llamadas, marque 9."
    response = client.post(
        "/templates/voice/say", data={"say": ["still_there", offer], "csrf_token": token}
    )
    assert response.status_code == 302
    assert choose(app, "still_there", "kek") == VoicePromptChoice(None, "¿Sigue bien?", "es")
    assert choose(app, "arrived_safe", "kek") is None
    client.post("/templates/voice/say", data={"say": offer, "csrf_token": token})
    assert choose(app, "still_there", "kek") is None
    assert choose(app, offer, "kek") is not None
    with in_app() as session:
        changes = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.record_type == "message_template")
        ).all()
    assert [c.get("voice_say_allowed") for c in changes if "voice_say_allowed" in c] == [
        True,
        False,
    ]


def test_production_refuses_a_short_url_key_for_the_prompts():
    from returnees import create_app
    from returnees.core.settings import SettingsError
    from tests.core.test_health_and_settings import PRODUCTION

    with pytest.raises(SettingsError, match="VOICE_PROMPT_URL_KEY is shorter than 32 bytes"):
        create_app(PRODUCTION | {"SECRET_KEY": "s" * 40, "VOICE_PROMPT_URL_KEY": "short"})


def test_the_url_key_signs_the_prompts_urls(app, as_admin, prompt_dir):
    """URLs signed under one VOICE_PROMPT_URL_KEY are refused under another."""
    arrived_safe(as_admin)
    with as_admin() as (session, actor):
        save_voice_prompt(session, actor, "arrived_safe", "es", wav_bytes(1))
    path = choose(app, "arrived_safe", "es").url.removeprefix("http://returnees.test")
    client = app.test_client()
    assert client.get(path).status_code == 200
    app.config["VOICE_PROMPT_URL_KEY"] = "another-key-of-at-least-32-bytes-long"
    try:
        assert client.get(path).status_code == 403
        signed = choose(app, "arrived_safe", "es").url.removeprefix("http://returnees.test")
        assert client.get(signed).status_code == 200
    finally:
        app.config["VOICE_PROMPT_URL_KEY"] = None
