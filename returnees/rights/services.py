"""Erasure of a person: a supervisor asks, with a reason; another supervisor of the country
approves (the person is erased then) or refuses. Closed cases are erased the same way, by the
system, CASE_RETENTION_YEARS after closing."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.models import Case, CaseStatus
from returnees.centres.models import Centre
from returnees.core.clock import utcnow
from returnees.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from returnees.people.models import Returnee
from returnees.people.scope import covers_returnee
from returnees.people.services import require_returnee
from returnees.reception.models import Arrival
from returnees.rights.erasure import erase_person
from returnees.rights.models import Erasure, ErasureStatus

REASON_LIMIT = 1000
RETENTION = Actor.system("case-retention")


def request_erasure(session: Session, actor: Actor, returnee_id: int, reason: str) -> Erasure:
    """A supervisor asks for a person to be erased; nothing is erased until another approves."""
    actor.require_role(Role.SUPERVISOR)
    person = require_returnee(session, actor, returnee_id)
    cleaned = _reason(reason)
    _refuse_if_erased_or_asked(session, person.id)
    erasure = Erasure(
        returnee_id=person.id,
        reason=cleaned,
        requested_by_id=actor.user_id,
        requested_at=utcnow(),
        status=ErasureStatus.PENDING,
    )
    session.add(erasure)
    session.flush()
    record_event(session, actor, AuditAction.CREATE, "erasure", erasure.id, returnee_id=person.id)
    return erasure


def approve_erasure(session: Session, actor: Actor, erasure_id: int) -> Erasure:
    """A second supervisor approves: the person is erased at once."""
    erasure = _pending(session, actor, erasure_id)
    if erasure.requested_by_id == actor.user_id:
        raise Forbidden(_("You asked for this erasure: another supervisor must approve it."))
    _erase(session, actor, erasure)
    return erasure


def refuse_erasure(session: Session, actor: Actor, erasure_id: int) -> Erasure:
    """A supervisor refuses the request (the one who asked may withdraw it so); nothing is
    erased."""
    erasure = _pending(session, actor, erasure_id)
    _decide(session, actor, erasure, ErasureStatus.REFUSED)
    return erasure


def erasures_waiting(session: Session, actor: Actor, limit: int = 100) -> list[Erasure]:
    """Requests waiting for a decision about people of the actor's country, oldest first."""
    if actor.role is not Role.SUPERVISOR:
        return []
    query = (
        select(Erasure)
        .join(Returnee, Erasure.returnee_id == Returnee.id)
        .join(Centre, Returnee.centre_id == Centre.id)
        .where(Erasure.status == ErasureStatus.PENDING, actor.centre_clause())
        .order_by(Erasure.requested_at, Erasure.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def erasures_of(session: Session, returnee_id: int) -> list[Erasure]:
    """A person's erasure requests, newest first."""
    query = select(Erasure).where(Erasure.returnee_id == returnee_id)
    return list(session.scalars(query.order_by(Erasure.requested_at.desc(), Erasure.id.desc())))


def is_erased(session: Session, returnee_id: int) -> bool:
    done = select(Erasure.id).where(
        Erasure.returnee_id == returnee_id, Erasure.status == ErasureStatus.DONE
    )
    return session.scalar(done.limit(1)) is not None


def erase_closed_cases(session: Session, limit: int | None = None) -> tuple[int, bool]:
    """Erase, as the system, people whose last case closed CASE_RETENTION_YEARS ago, with no
    case open and no arrival since; one batch. Returns how many, and whether more may wait."""
    size = limit or current_app.config["CASE_RETENTION_BATCH_SIZE"]
    due = list(session.scalars(retention_due(retention_cutoff()).limit(size)))
    now = utcnow()
    for returnee_id in due:
        erasure = Erasure(returnee_id=returnee_id, requested_at=now, status=ErasureStatus.PENDING)
        session.add(erasure)
        _erase(session, RETENTION, erasure)
    return len(due), len(due) == size


def retention_cutoff(now: datetime | None = None) -> datetime:
    """The moment CASE_RETENTION_YEARS before now (29 February goes to the 28th)."""
    now = now or utcnow()
    years = current_app.config["CASE_RETENTION_YEARS"]
    day = 28 if (now.month, now.day) == (2, 29) else now.day
    return now.replace(year=now.year - years, day=day)


def retention_due(cutoff: datetime):
    """People whose every case is closed, the last before `cutoff`, who arrived no more since
    and are not erased yet, by id."""
    closings = (
        select(Case.returnee_id.label("returnee_id"), func.max(Case.closed_at).label("closed_at"))
        .where(Case.status == CaseStatus.CLOSED)
        .group_by(Case.returnee_id)
        .subquery()
    )
    person = closings.c.returnee_id
    return (
        select(person)
        .where(
            closings.c.closed_at < cutoff,
            ~exists().where(Case.returnee_id == person, Case.status != CaseStatus.CLOSED),
            ~exists().where(
                Arrival.returnee_id == person, Arrival.arrived_at > closings.c.closed_at
            ),
            ~exists().where(Erasure.returnee_id == person, Erasure.status == ErasureStatus.DONE),
        )
        .order_by(person)
    )


def _erase(session: Session, actor: Actor, erasure: Erasure) -> None:
    erasure.age_band = erase_person(session, erasure.returnee_id)
    _decide(session, actor, erasure, ErasureStatus.DONE)


def _decide(session: Session, actor: Actor, erasure: Erasure, status: ErasureStatus) -> None:
    erasure.status = status
    erasure.decided_by_id, erasure.decided_at = actor.user_id, utcnow()
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "erasure",
        erasure.id,
        returnee_id=erasure.returnee_id,
        outcome=erasure.status.value,
    )


def _pending(session: Session, actor: Actor, erasure_id: int) -> Erasure:
    """A pending request about a person in the actor's scope; 404 for one outside it."""
    actor.require_role(Role.SUPERVISOR)
    erasure = session.get(Erasure, erasure_id)
    person = session.get(Returnee, erasure.returnee_id) if erasure else None
    if person is None or not covers_returnee(session, actor, person):
        raise NotFound(_("No erasure request has the number %(id)s.", id=erasure_id))
    if erasure.status is not ErasureStatus.PENDING:
        raise Conflict(_("This erasure request was already decided."))
    return erasure


def _refuse_if_erased_or_asked(session: Session, returnee_id: int) -> None:
    if is_erased(session, returnee_id):
        raise Conflict(_("This person's record is already erased."))
    waiting = select(Erasure.id).where(
        Erasure.returnee_id == returnee_id, Erasure.status == ErasureStatus.PENDING
    )
    if session.scalar(waiting.limit(1)) is not None:
        raise Conflict(_("An erasure of this person already waits for a second supervisor."))


def _reason(text: str) -> str:
    cleaned = " ".join((text or "").split())
    if not cleaned or len(cleaned) > REASON_LIMIT or "\x00" in cleaned:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"reason": [_("Say why, in at most 1,000 characters.")]},
        )
    return cleaned
