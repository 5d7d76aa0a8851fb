"""Message templates per language, managed by admins; Spanish is the fallback."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.core.clock import utcnow
from returnees.core.db import get_required
from returnees.core.errors import InvalidInput
from returnees.messaging.models import MessageTemplate
from returnees.messaging.wording import PLACEHOLDER, find_forbidden_word, unknown_placeholders
from returnees.people.models import LANGUAGES

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
FALLBACK_LANGUAGE = "es"


@dataclass(frozen=True)
class TemplateEntry:
    key: str
    language: str
    body: str
    whatsapp_content_sid: str = ""


def save_template(session: Session, actor: Actor, entry: TemplateEntry) -> MessageTemplate:
    """Create or change a template; refused, naming the word, when it says what it must not."""
    actor.require_role(Role.ADMIN)
    _check_template(entry)
    template = session.scalar(
        select(MessageTemplate).where(
            MessageTemplate.key == entry.key, MessageTemplate.language == entry.language
        )
    )
    if template is None:
        template = MessageTemplate(key=entry.key, language=entry.language)
        session.add(template)
    template.body = entry.body.strip()
    template.whatsapp_content_sid = entry.whatsapp_content_sid.strip()
    template.updated_at, template.updated_by_id = utcnow(), actor.user_id
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
    )
    return template


def _check_template(entry: TemplateEntry) -> None:
    errors: dict[str, list[object]] = {}
    if not KEY_PATTERN.match(entry.key):
        errors["key"] = [_("Use lower-case letters, digits and _, such as arrived_safe.")]
    if entry.language not in LANGUAGES:
        errors["language"] = [_("Choose a language from the list.")]
    body = entry.body.strip()
    if not body:
        errors["body"] = [_("Write the message.")]
    elif len(body) > 1600:
        errors["body"] = [_("At most 1,600 characters.")]
    elif word := find_forbidden_word(body):
        errors["body"] = [
            _("“%(word)s” must not appear: whoever holds the phone may read it.", word=word)
        ]
    elif unknown := unknown_placeholders(body):
        errors["body"] = [
            _(
                "Unknown placeholder %(name)s: use {first_name}, {names} or {options}.",
                name="{" + unknown[0] + "}",
            )
        ]
    sid = entry.whatsapp_content_sid.strip()
    if sid and not re.fullmatch(r"HX[0-9a-fA-F]{32}", sid):
        errors["whatsapp_content_sid"] = [_("A Content SID is HX followed by 32 hex digits.")]
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the fields marked."), errors)


def list_templates(session: Session, actor: Actor) -> list[MessageTemplate]:
    actor.require_role(Role.ADMIN)
    query = select(MessageTemplate).order_by(MessageTemplate.key, MessageTemplate.language)
    return list(session.scalars(query))


def require_template(session: Session, actor: Actor, template_id: int) -> MessageTemplate:
    actor.require_role(Role.ADMIN)
    missing = _("No template has the number %(id)s.", id=template_id)
    return get_required(session, MessageTemplate, template_id, missing)


CACHE = "returnees.message_templates"


def _find_template(session: Session, key: str, language: str) -> MessageTemplate | None:
    """A template, read once per session: a batch of a hundred check-ins asks for the same few."""
    cache = session.info.setdefault(CACHE, {})
    if (key, language) not in cache:
        cache[(key, language)] = session.scalar(
            select(MessageTemplate).where(
                MessageTemplate.key == key, MessageTemplate.language == language
            )
        )
    return cache[(key, language)]


@dataclass(frozen=True)
class RenderedMessage:
    body: str
    language: str
    whatsapp_content_sid: str
    variables: dict[str, str]


def render_message(
    session: Session,
    key: str,
    language: str,
    *,
    first_name: str = "",
    options: str = "",
    names: Sequence[str] | str = (),
) -> RenderedMessage | None:
    """The template in the person's language, else in Spanish, with its placeholders filled:
    {names} is several people's first names ("Ana y Luis"), for a family asked together (a
    string is said as it is: "sus hijos", on a call)."""
    for wanted in dict.fromkeys((language, FALLBACK_LANGUAGE)):
        template = _find_template(session, key, wanted)
        if template is not None:
            values = {
                "first_name": first_name.split(" ")[0],
                "options": options,
                "names": names if isinstance(names, str) else join_names(names, wanted),
            }
            body = PLACEHOLDER.sub(lambda m, v=values: v.get(m.group(1), m.group(0)), template.body)
            return RenderedMessage(
                body,
                wanted,
                template.whatsapp_content_sid,
                {"1": values["names"] or values["first_name"], "2": options},
            )
    return None


# The word before the last of several names, by language; Spanish for any other.
AND = {"es": "y", "en": "and"}


def join_names(names: Sequence[str], language: str) -> str:
    """'Ana', 'Ana y Luis', 'Ana, Luis y Marta': first names only."""
    first = [name.split(" ")[0] for name in names]
    if len(first) < 2:
        return "".join(first)
    return f"{', '.join(first[:-1])} {AND.get(language, AND['es'])} {first[-1]}"
