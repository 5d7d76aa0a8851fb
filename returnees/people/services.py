"""Find, show and change returnee records, and recognise people who came back before."""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction, AuditEntry
from returnees.audit.queries import entries_about_person
from returnees.audit.services import record_event, record_list_shown, record_view
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.centres.models import Centre, Country
from returnees.core.db import among, get_required
from returnees.core.encryption import (
    document_index,
    normalise_document,
    one_digit_variants,
    phone_index,
)
from returnees.core.errors import OutOfScope
from returnees.people.identity import InvalidValue, compare_names, fold, normalise_phone
from returnees.people.models import Phone, Returnee
from returnees.people.scope import grant_on, in_ordinary_scope, returnee_scope

PEOPLE_ROLES = (Role.RECEPTION, Role.SOCIAL_WORKER, Role.SUPERVISOR)
# The spaces and dashes between groups of digits ("5555 1234", "2345 67890 0101"): a number
# is searched whole.
DIGIT_GROUPS = re.compile(r"(?<=\d)[\s-]+(?=\d)")
MAX_CANDIDATES = 10
# People sharing one birth date compared by name; placeholder dates (01/01) can have many.
BIRTH_DATE_SCAN = 2000


@dataclass(frozen=True)
class IdentityProbe:
    """What is known about someone at the desk, to look for an earlier record."""

    given_names: str
    family_names: str
    birth_date: date | None = None
    document_type: str | None = None
    document_number: str | None = None
    phones: tuple[str, ...] = ()
    sex: str | None = None


@dataclass
class Candidate:
    returnee: Returnee
    reasons: list[str] = field(default_factory=list)


def find_candidates(
    session: Session, probe: IdentityProbe, country: Country | None = None
) -> list[Candidate]:
    """Earlier records that may be this person (see `find_candidates_for_many`)."""
    return find_candidates_for_many(session, [probe], country)[0]


def find_candidates_for_many(
    session: Session, probes: list[IdentityProbe], country: Country | None = None
) -> list[list[Candidate]]:
    """For each probe, earlier records that may be the same person: the same document, the same
    phone, or the same birth date, the same sex and a matching name; limited to records held in
    `country` when given. Ranked by the strength of the evidence (document, then name and birth
    date or a document one digit apart, then a phone alone).

    Three indexed queries serve a whole passenger list, so the time grows with the list and
    with the people who share a birth date, not with the registry. Documents are sealed: a
    document typed with one wrong digit is found by looking up the blind index of each of its
    one-digit variants (117 for a 13-digit DPI).
    """
    keys = [DocumentKeys.of(p) for p in probes]
    documents = {index for key in keys for index in key.every()}
    kinds = {p.document_type for p in probes if p.document_type and p.document_number}
    numbers = {phone_index(number) for p in probes for number in p.phones}
    dates = {p.birth_date for p in probes if p.birth_date}
    identity = select(*IDENTITY_COLUMNS)
    by_document = (
        _group(
            session,
            identity.where(
                Returnee.document_type.in_(kinds),
                among(session, Returnee.document_number_index, documents),
            ),
            "document_number_index",
            country,
        )
        if documents
        else {}
    )
    by_date = (
        _group(session, identity.where(Returnee.birth_date.in_(dates)), "birth_date", country)
        if dates
        else {}
    )
    by_phone = (
        _group(
            session,
            select(Phone.number_index, *IDENTITY_COLUMNS)
            .join(Returnee, Phone.returnee_id == Returnee.id)
            .where(Phone.number_index.in_(numbers)),
            "number_index",
            country,
        )
        if numbers
        else {}
    )
    reasons = [
        _reasons_for(p, k, by_document, by_date, by_phone)
        for p, k in zip(probes, keys, strict=True)
    ]
    wanted = {returnee_id for found in reasons for returnee_id in found}
    records = {r.id: r for r in session.scalars(select(Returnee).where(Returnee.id.in_(wanted)))}
    return [[Candidate(records[i], why) for i, why in found.items()] for found in reasons]


# Only what matching compares: whole records are loaded for the few candidates alone.
IDENTITY_COLUMNS = (
    Returnee.id,
    Returnee.given_names,
    Returnee.family_names,
    Returnee.sex,
    Returnee.birth_date,
    Returnee.document_type,
    Returnee.document_number_index,
)


def _in_country(query, country: Country | None):
    if country is None:
        return query
    return query.join(Centre, Returnee.centre_id == Centre.id).where(Centre.country == country)


def _group(session: Session, query, key: str, country: Country | None) -> dict:
    grouped: dict = {}
    # No ORDER BY: with one, PostgreSQL may walk the primary key instead of the index.
    for row in session.execute(_in_country(query, country).limit(BIRTH_DATE_SCAN * 50)):
        grouped.setdefault(getattr(row, key), []).append(row)
    return grouped


@dataclass(frozen=True)
class DocumentKeys:
    """The blind index of a probe's document, and those of its one-digit variants."""

    exact: str | None = None
    variants: frozenset[str] = frozenset()

    @classmethod
    def of(cls, probe: IdentityProbe) -> DocumentKeys:
        if not (probe.document_type and probe.document_number):
            return cls()
        number = normalise_document(probe.document_number)
        variants = frozenset(map(document_index, one_digit_variants(number)))
        return cls(document_index(number), variants)

    def every(self) -> set[str]:
        return {self.exact, *self.variants} - {None}


def _reasons_for(
    probe: IdentityProbe,
    keys: DocumentKeys,
    by_document: dict,
    by_date: dict,
    by_phone: dict,
) -> dict[int, list[str]]:
    """Candidate ids with the reasons each may be this person, strongest evidence first."""
    found: dict[int, list[str]] = {}

    def add(returnee_id: int, reason: str) -> None:
        reasons = found.setdefault(returnee_id, [])
        if reason not in reasons:
            reasons.append(reason)

    for row in by_document.get(keys.exact, []):
        if row.document_type == probe.document_type:
            add(row.id, "document")
    for variant in keys.variants:
        for row in by_document.get(variant, []):
            if row.document_type == probe.document_type:
                add(row.id, "document_one_digit")
    for row in by_date.get(probe.birth_date, [])[:BIRTH_DATE_SCAN]:
        if probe.sex and row.sex != probe.sex:
            continue
        if compare_names(
            probe.given_names, probe.family_names, row.given_names, row.family_names
        ).is_match:
            add(row.id, "name_and_birth_date")
    for number in probe.phones:
        for row in by_phone.get(phone_index(number), []):
            add(row.id, "phone")
    strength = {"document": 3, "name_and_birth_date": 2, "document_one_digit": 2, "phone": 1}
    ranked = sorted(found.items(), key=lambda item: -sum(strength[r] for r in item[1]))
    return dict(ranked[:MAX_CANDIDATES])


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
