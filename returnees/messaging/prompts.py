"""STAND-IN until helper B's prompts module is merged: the interface only. A question is
spoken with <Say> in Spanish from its template's text."""

from __future__ import annotations

from dataclasses import dataclass

from returnees.core.db import get_session


@dataclass(frozen=True)
class VoicePromptChoice:
    url: str | None
    say_text: str | None
    language: str


def voice_prompt_for(template_key: str, language: str) -> VoicePromptChoice | None:
    from returnees.messaging.templates import render_message

    rendered = render_message(get_session(), template_key, "es")
    if rendered is None:
        return None
    return VoicePromptChoice(url=None, say_text=rendered.body, language="es")


def thanks_prompt_for(language: str) -> VoicePromptChoice | None:
    return VoicePromptChoice(url=None, say_text="Gracias.", language="es")
