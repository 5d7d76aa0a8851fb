"""Find, show and change returnee records, and recognise people who came back before."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.centres.models import Centre, Country
from returnees.core.db import get_required
from returnees.core.errors import Forbidden
from returnees.people.identity import compare_names, fold
from returnees.people.models import Phone, Returnee

PEOPLE_ROLES = (Role.RECEPTION, Role.SOCIAL_WORKER, Role.SUPERVISOR)
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
    """Earlier records that may be this person: same document, same phone, or same birth date,
    same sex and a matching name; limited to records held in `country` when given.

    Each lookup uses an index, so the time does not grow with the registry. Ranked by the
    strength of the evidence: a document first, then name and birth date, then a phone alone.
    """
    found: dict[int, Candidate] = {}

    def add(returnee: Returnee, reason: str) -> None:
        found.setdefault(returnee.id, Candidate(returnee)).reasons.append(reason)

    def scoped(query):
        if country is None:
            return query
        return query.join(Centre, Returnee.centre_id == Centre.id).where(Centre.country == country)

    if probe.document_type and probe.document_number:
        query = select(Returnee).where(
            Returnee.document_type == probe.document_type,
            Returnee.document_number == probe.document_number,
        )
        for returnee in session.scalars(scoped(query).limit(MAX_CANDIDATES)):
            add(returnee, "document")
    if probe.birth_date:
        query = select(Returnee).where(Returnee.birth_date == probe.birth_date)
        if probe.sex:
            query = query.where(Returnee.sex == probe.sex)
        for returnee in session.scalars(scoped(query).order_by(Returnee.id).limit(BIRTH_DATE_SCAN)):
            names = compare_names(
                probe.given_names, probe.family_names, returnee.given_names, returnee.family_names
            )
            if names.is_match:
                add(returnee, "name_and_birth_date")
    if probe.phones:
        query = select(Returnee).join(Phone).where(Phone.number.in_(probe.phones)).distinct()
        for returnee in session.scalars(scoped(query).limit(MAX_CANDIDATES)):
            add(returnee, "phone")
    strength = {"document": 3, "name_and_birth_date": 2, "phone": 1}
    ranked = sorted(found.values(), key=lambda c: -sum(strength[r] for r in c.reasons))
    return ranked[:MAX_CANDIDATES]


def require_returnee(session: Session, actor: Actor, returnee_id: int) -> Returnee:
    """A returnee inside the actor's scope, without writing a view to the audit trail."""
    actor.require_role(*PEOPLE_ROLES)
    missing = _("No returnee has the number %(id)s.", id=returnee_id)
    returnee = get_required(session, Returnee, returnee_id, missing)
    if not actor.covers_centre(returnee.centre):
        raise Forbidden(_("This person's record is outside your scope."))
    return returnee


def view_returnee(session: Session, actor: Actor, returnee_id: int) -> Returnee:
    """A returnee's record, inside the actor's scope; every view is written to the audit trail."""
    returnee = require_returnee(session, actor, returnee_id)
    record_event(session, actor, AuditAction.VIEW, "returnee", returnee.id)
    return returnee


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
        select(Returnee).join(Centre, Returnee.centre_id == Centre.id).where(actor.centre_clause())
    )
    if search.centre:
        query = query.where(Centre.code == search.centre.strip().upper())
    for word in fold(search.text).split():
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
    record_event(
        session,
        actor,
        AuditAction.VIEW,
        "returnee_search",
        "",
        query=search.text,
        shown=[returnee.id for returnee in found],
    )
    return found


def _matches_word(word: str):
    pattern = f"%{word}%"
    digits = "".join(char for char in word if char.isdigit())
    conditions = [Returnee.folded_name.like(pattern)]
    if digits and len(digits) >= 4:
        conditions.append(Returnee.document_number == digits)
        conditions.append(
            Returnee.id.in_(select(Phone.returnee_id).where(Phone.number.like(f"%{digits}")))
        )
    return or_(*conditions)


def shared_numbers(session: Session, returnee: Returnee) -> dict[str, int]:
    """For each of this person's numbers, how many other people have it too."""
    numbers = [phone.number for phone in returnee.phones]
    if not numbers:
        return {}
    rows = session.execute(
        select(Phone.number, func.count(func.distinct(Phone.returnee_id)))
        .where(and_(Phone.number.in_(numbers), Phone.returnee_id != returnee.id))
        .group_by(Phone.number)
    ).all()
    return dict(rows)
