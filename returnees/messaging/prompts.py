"""Recorded voice prompts: which one a call plays, uploads by admins, and the signed, expiring
URLs Twilio fetches them at.

A call plays the recording of its template key (messaging.templates) in the person's language,
else the Spanish recording; without either, Twilio <Say> reads the Spanish wording only where an
admin allowed it for that template; otherwise there is no voice prompt and the caller sends an
SMS instead. THANKS_KEY is the short "gracias" that ends a call.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.core.clock import utcnow
from returnees.core.db import get_session
from returnees.core.errors import InvalidInput
from returnees.messaging.models import MessageTemplate, VoicePrompt
from returnees.messaging.prompt_audio import check_audio
from returnees.messaging.prompt_storage import prompt_storage
from returnees.messaging.templates import CACHE, FALLBACK_LANGUAGE, _find_template
from returnees.messaging.wording import PLACEHOLDER
from returnees.people.models import LANGUAGES

THANKS_KEY = "voice_thanks"
STOP_KEY_PROMPT = "voice_stop_calls"
AUDIO_PATH = "/voice-prompts/"
# What a placeholder becomes when Twilio reads a template aloud: a call names nobody (whoever
# answers may not be the person), and speaks of "sus hijos" for a household's question.
SPOKEN_PLACEHOLDERS = {"first_name": "", "names": "sus hijos", "options": ""}


@dataclass(frozen=True)
class VoicePromptChoice:
    """What a call says: a recording to <Play> (url), or text for <Say> (say_text: the Spanish
    wording, its placeholders as SPOKEN_PLACEHOLDERS says), and the language (one of
    people.models.LANGUAGES) it is in."""

    url: str | None
    say_text: str | None
    language: str


def voice_prompt_for(template_key: str, language: str) -> VoicePromptChoice | None:
    """The recording in the person's language, else the Spanish recording, else the Spanish
    wording for <Say> where an admin allowed it for this template, else None (send an SMS)."""
    session = get_session()
    for wanted in dict.fromkeys((language, FALLBACK_LANGUAGE)):
        prompt = find_prompt(session, template_key, wanted)
        if prompt is not None:
            return VoicePromptChoice(signed_url(prompt), None, wanted)
    template = _find_template(session, template_key, FALLBACK_LANGUAGE)
    if template is not None and template.voice_say_allowed:
        return VoicePromptChoice(None, spoken_text(template.body), FALLBACK_LANGUAGE)
    return None


def can_call_with(template_key: str, language: str) -> bool:
    """Whether a call can ask this question: its prompt and the offer of the key that stops
    the calls (STOP_KEY_PROMPT) can both be played or read; a call never goes without the offer."""
    return (
        voice_prompt_for(template_key, language) is not None
        and voice_prompt_for(STOP_KEY_PROMPT, language) is not None
    )


def thanks_prompt_for(language: str) -> VoicePromptChoice | None:
    """The short recorded "gracias" that ends a call, by the same fallback."""
    return voice_prompt_for(THANKS_KEY, language)


def find_prompt(session: Session, template_key: str, language: str) -> VoicePrompt | None:
    return session.scalar(
        select(VoicePrompt).where(
            VoicePrompt.template_key == template_key, VoicePrompt.language == language
        )
    )


def spoken_text(body: str) -> str:
    """A template's wording for <Say>: placeholders as SPOKEN_PLACEHOLDERS says, spaces tidied."""
    text = PLACEHOLDER.sub(lambda m: SPOKEN_PLACEHOLDERS.get(m.group(1), ""), body)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()


# Signed URLs ----------------------------------------------------------------------------------


def _url_key() -> bytes:
    """VOICE_PROMPT_URL_KEY, or a key derived from SECRET_KEY for this use alone."""
    own = current_app.config.get("VOICE_PROMPT_URL_KEY")
    if own:
        return str(own).encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"returnees voice prompt urls", hashlib.sha256).digest()


def _signature(prompt_id: int, storage_key: str, expires: int) -> str:
    message = f"{prompt_id}:{storage_key}:{expires}".encode()
    return hmac.new(_url_key(), message, hashlib.sha256).hexdigest()


def signed_url(prompt: VoicePrompt) -> str:
    """The prompt's absolute URL, valid VOICE_PROMPT_URL_SECONDS; a new recording under the same
    key and language changes the storage key, so older URLs stop working."""
    expires = int(utcnow().timestamp()) + current_app.config["VOICE_PROMPT_URL_SECONDS"]
    query = urlencode(
        {"expires": expires, "signature": _signature(prompt.id, prompt.storage_key, expires)}
    )
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}{AUDIO_PATH}{prompt.id}?{query}"


def prompt_if_signed(
    session: Session, prompt_id: int, expires: str, signature: str
) -> VoicePrompt | None:
    """The prompt when the URL's signature is right and it has not expired; None otherwise."""
    if not expires.isdigit() or int(expires) < utcnow().timestamp():
        return None
    prompt = session.get(VoicePrompt, prompt_id)
    if prompt is None:
        return None
    wanted = _signature(prompt.id, prompt.storage_key, int(expires))
    return prompt if hmac.compare_digest(wanted.encode(), signature.encode()) else None


# Admins' uploads ------------------------------------------------------------------------------


def prompt_keys(session: Session) -> list[str]:
    """The keys a recording can be uploaded for: every template's, and the call's "gracias"."""
    keys = session.scalars(select(MessageTemplate.key).distinct())
    return sorted({*keys, THANKS_KEY})


def save_voice_prompt(
    session: Session, actor: Actor, template_key: str, language: str, data: bytes
) -> VoicePrompt:
    """Store a recording for a template key and language, replacing the one before. A file that
    is not WAV or MP3 by its content, too large or too long is refused and nothing is stored."""
    actor.require_role(Role.ADMIN)
    errors: dict[str, list[object]] = {}
    if template_key not in prompt_keys(session):
        errors["template_key"] = [_("Choose a template from the list.")]
    if language not in LANGUAGES:
        errors["language"] = [_("Choose a language from the list.")]
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the fields marked."), errors)
    config = current_app.config
    audio = check_audio(data, config["VOICE_PROMPT_MAX_BYTES"], config["VOICE_PROMPT_MAX_SECONDS"])
    digest = hashlib.sha256(data).hexdigest()[:32]
    storage_key = f"{template_key}/{language}/{digest}.{audio.extension}"
    prompt_storage().put(storage_key, data, audio.content_type)
    prompt = find_prompt(session, template_key, language)
    action = AuditAction.UPDATE if prompt else AuditAction.CREATE
    if prompt is None:
        prompt = VoicePrompt(template_key=template_key, language=language)
        session.add(prompt)
    prompt.storage_key, prompt.content_type = storage_key, audio.content_type
    prompt.byte_size, prompt.duration_seconds = audio.byte_size, audio.duration_seconds
    prompt.uploaded_by_id, prompt.uploaded_at = actor.user_id, utcnow()
    session.flush()
    record_event(
        session,
        actor,
        action,
        "voice_prompt",
        prompt.id,
        key=template_key,
        language=language,
        content_type=audio.content_type,
        byte_size=audio.byte_size,
        duration_seconds=audio.duration_seconds,
    )
    return prompt


def allow_spanish_say(
    session: Session, actor: Actor, template_key: str, allowed: bool
) -> MessageTemplate:
    """Let calls have Twilio <Say> the Spanish wording of a template that has no recording."""
    actor.require_role(Role.ADMIN)
    template = session.scalar(
        select(MessageTemplate).where(
            MessageTemplate.key == template_key, MessageTemplate.language == FALLBACK_LANGUAGE
        )
    )
    if template is None:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"template_key": [_("This template has no Spanish wording to read aloud.")]},
        )
    template.voice_say_allowed = allowed
    session.info.pop(CACHE, None)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "message_template",
        template.id,
        key=template.key,
        language=template.language,
        voice_say_allowed=allowed,
    )
    return template


def list_voice_prompts(session: Session, actor: Actor) -> list[VoicePrompt]:
    actor.require_role(Role.ADMIN)
    query = select(VoicePrompt).order_by(VoicePrompt.template_key, VoicePrompt.language)
    return list(session.scalars(query))
