"""Find, show and change returnee records (people who came back are recognised by
people.matching)."""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction, AuditEntry
from returnees.audit.queries import entries_about_person
from returnees.audit.services import record_event, record_list_shown, record_view
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.centres.models import Centre, Country
from returnees.core.db import get_required
from returnees.core.encryption import document_index, phone_index
from returnees.core.errors import OutOfScope
from returnees.people.identity import InvalidValue, fold, normalise_phone
from returnees.people.models import Phone, Returnee
from returnees.people.scope import grant_on, in_ordinary_scope, returnee_scope

PEOPLE_ROLES = (Role.RECEPTION, Role.SOCIAL_WORKER, Role.SUPERVISOR)
# The spaces and dashes between groups of digits ("5555 1234", "2345 67890 0101"): a number
# is searched whole.
DIGIT_GROUPS = re.compile(r"(?<=\d)[\s-]+(?=\d)")


# A chain of merges is short (A into B, then B into C); a longer one is a loop, left alone.
LONGEST_CHAIN = 20


def kept_record(session: Session, returnee_id: int) -> int | None:
    """The record a merged one's history is on now (following merges of merges); None when
    `returnee_id` was never merged."""
    kept = None
    for _link in range(LONGEST_CHAIN):
        pointer = session.scalar(
            select(Returnee.merged_into_id).where(Returnee.id == (kept or returnee_id))
        )
        if pointer is None:
            return kept
        kept = pointer
    return None


def require_returnee(session: Session, actor: Actor, returnee_id: int) -> Returnee:
    """A returnee inside the actor's scope, without writing a view to the audit trail."""
    return _reached(session, actor, returnee_id)[0]


def view_returnee(session: Session, actor: Actor, returnee_id: int) -> Returnee:
    """A returnee's record, inside the actor's scope; every view is written to the audit trail,
    naming the break-glass grant it was opened through, if any."""
    returnee, grant = _reached(session, actor, returnee_id)
    detail = {"grant_id": grant} if grant else {}
    record_event(session, actor, AuditAction.VIEW, "returnee", returnee.id, **detail)
    return returnee


MAX_PAGE = 1_000_000  # of the entries about a person: past it, the last page asked for


def looks_at(
    session: Session, actor: Actor, returnee_id: int, page: int = 1
) -> tuple[Returnee, list[AuditEntry]]:
    """A person in the supervisor's scope and the entries that name them (a page); the
    reading is itself written to the audit trail."""
    returnee = require_returnee(session, actor, returnee_id)
    entries = entries_about_person(session, actor, returnee.id, page)
    record_view(session, actor, "returnee_audit", returnee.id, page=page)
    return returnee, entries


def _reached(session: Session, actor: Actor, returnee_id: int) -> tuple[Returnee, int | None]:
    """The person, and the break-glass grant that reaches them when the scope does not."""
    actor.require_role(*PEOPLE_ROLES)
    missing = _("No returnee has the number %(id)s.", id=returnee_id)
    returnee = get_required(session, Returnee, returnee_id, missing)
    if in_ordinary_scope(session, actor, returnee):
        return returnee, None
    grant = grant_on(session, actor, returnee_id)
    if grant is None:
        raise OutOfScope(_("This person's record is outside your scope."), "returnee", returnee_id)
    return returnee, grant


@dataclass(frozen=True)
class ReturneeSearch:
    text: str = ""
    centre: str = ""
    arrived_from: datetime | None = None
    arrived_to: datetime | None = None
    limit: int = 50


def search_returnees(session: Session, actor: Actor, search: ReturneeSearch) -> list[Returnee]:
    """Returnees inside the actor's scope, by name, document or phone, centre and arrival time."""
    from returnees.reception.models import Arrival

    actor.require_role(*PEOPLE_ROLES)
    query = (
        select(Returnee)
        .join(Centre, Returnee.centre_id == Centre.id)
        .where(returnee_scope(actor), Returnee.merged_into_id.is_(None))
    )
    if search.centre:
        query = query.where(Centre.code == search.centre.strip().upper())
    for word in fold(DIGIT_GROUPS.sub("", search.text)).split():
        query = query.where(_matches_word(word))
    if search.arrived_from or search.arrived_to:
        arrivals = select(Arrival.returnee_id)
        if search.arrived_from:
            arrivals = arrivals.where(Arrival.arrived_at >= search.arrived_from)
        if search.arrived_to:
            arrivals = arrivals.where(Arrival.arrived_at < search.arrived_to)
        query = query.where(Returnee.id.in_(arrivals))
    query = query.order_by(Returnee.updated_at.desc(), Returnee.id.desc()).limit(search.limit)
    found = list(session.scalars(query))
    # What was searched for (a name, a number) stays out of the trail: only who was shown.
    record_list_shown(session, actor, "returnee_search", [returnee.id for returnee in found])
    return found


def _matches_word(word: str):
    """A word of a search: part of a name, or a whole document or phone number (they are
    sealed: only a whole number's index can be looked up, not its last digits)."""
    conditions = [Returnee.folded_name.like(f"%{word}%")]
    digits = "".join(char for char in word if char.isdigit())
    if digits and len(digits) >= 4:
        conditions.append(Returnee.document_number_index == document_index(word))
        phones = {phone_index(number) for number in _readings_as_phone(word)}
        if phones:
            conditions.append(
                Returnee.id.in_(select(Phone.returnee_id).where(Phone.number_index.in_(phones)))
            )
    return or_(*conditions)


def _readings_as_phone(word: str) -> set[str]:
    """A searched number in E.164, read as a number of each country served (8 digits) or as
    given with its country code."""
    readings = set()
    for country in Country:
        for written in (word, f"+{word}"):  # folding took the + away
            with suppress(InvalidValue):
                readings.add(normalise_phone(written, country.value))
    return readings


def shared_numbers(session: Session, returnee: Returnee) -> dict[str, int]:
    """For each of this person's numbers, how many other people have it too."""
    numbers = {phone_index(phone.number): phone.number for phone in returnee.phones}
    if not numbers:
        return {}
    rows = session.execute(
        select(Phone.number_index, func.count(func.distinct(Phone.returnee_id)))
        .where(and_(Phone.number_index.in_(numbers), Phone.returnee_id != returnee.id))
        .group_by(Phone.number_index)
    ).all()
    return {numbers[index]: count for index, count in rows}
