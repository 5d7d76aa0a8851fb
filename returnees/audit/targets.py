"""What an audit entry names, in words, with a link where the reader may open it.

Each blueprint names its own records (`names_in_audit`), so the audit trail reads "Marta Tzoc"
rather than "returnee 13" without importing the packages above it. A record the reader may not
see is not named: it stays its type and number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Blueprint, current_app, url_for
from flask.blueprints import BlueprintSetupState
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditEntry
from returnees.auth.access import Actor
from returnees.auth.models import User

EXTENSION = "returnees.audit.namers"


@dataclass(frozen=True)
class Target:
    """A record in words, and where to open it (None: the reader may not)."""

    label: str
    url: str | None = None


# Given the reader and some record ids of one type, the targets of those the reader may see.
Namer = Callable[[Session, Actor, set[str]], dict[str, Target]]


def names_in_audit(blueprint: Blueprint, *record_types: str) -> Callable[[Namer], Namer]:
    """Register the decorated function as what names these record types in the audit trail,
    once the blueprint is registered on an app."""

    def decorate(namer: Namer) -> Namer:
        def register(state: BlueprintSetupState) -> None:
            namers = state.app.extensions.setdefault(EXTENSION, {})
            namers.update(dict.fromkeys(record_types, namer))

        blueprint.record_once(register)
        return namer

    return decorate


def link_for(reader: Actor, endpoint: str, **values: object) -> str | None:
    """The page's address if the reader's role may open it."""
    view = current_app.view_functions.get(endpoint)
    if reader.role not in getattr(view, "allowed_roles", ()):
        return None
    return url_for(endpoint, **values)


def number_ids(ids: Iterable[str]) -> dict[str, int]:
    """The ids that are record numbers, as numbers."""
    return {record_id: int(record_id) for record_id in ids if record_id.isdigit()}


def name_targets(
    session: Session, reader: Actor, entries: Iterable[AuditEntry]
) -> dict[tuple[str, str], Target]:
    """The targets of these entries the reader may see, by (record type, record id): one
    query per record type."""
    namers: dict[str, Namer] = current_app.extensions.get(EXTENSION, {})
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.record_type in namers and entry.record_id:
            wanted[entry.record_type].add(entry.record_id)
    return {
        (record_type, record_id): target
        for record_type, ids in wanted.items()
        for record_id, target in namers[record_type](session, reader, ids).items()
    }


def name_staff(session: Session, reader: Actor, entries: Iterable[AuditEntry]) -> dict[int, Target]:
    """Who acted, by user id: their name, linking to their account for those who manage them."""
    ids = {entry.user_id for entry in entries if entry.user_id is not None}
    if not ids:
        return {}
    users = session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {
        user.id: Target(
            user.name or user.email, link_for(reader, "auth.user_detail", user_id=user.id)
        )
        for user in users
    }


def audit_names(session: Session, reader: Actor, entries: list[AuditEntry]) -> dict[str, dict]:
    """What a list of entries needs to name who acted, what they acted on, and the reasons
    given for openings."""
    from returnees.audit.services import reasons_given

    return {
        "audit_staff": name_staff(session, reader, entries),
        "audit_targets": name_targets(session, reader, entries),
        "audit_reasons": reasons_given(session, entries),
    }


def people_shown(entries: Iterable[AuditEntry], targets: dict[tuple[str, str], Target]) -> set[int]:
    """The people a list of entries names in words for its reader (an entry whose record the
    reader may not see stays a number, and shows no one)."""
    from returnees.audit.services import people_named

    return {
        person
        for entry in entries
        if (entry.record_type, entry.record_id) in targets
        for person in people_named(entry.record_type, entry.record_id, entry.detail)
    }
