"""Every case has a follow-up office: the one covering the person's home, set when the case
opens or the home changes, and kept in the case's history. A case whose home is unknown or
covered by no office waits, visibly, for a supervisor to route it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.models import Case, CaseOfficeChange, CaseStatus
from returnees.centres.coverage import office_covering
from returnees.centres.models import Centre, CentreKind, Country, Profile
from returnees.centres.services import find_centre
from returnees.core.clock import utcnow
from returnees.core.errors import Conflict, InvalidInput, NotFound
from returnees.people.models import Returnee
from returnees.people.scope import returnee_scope
from returnees.people.services import require_returnee
from returnees.places.catalogue import find_place

# Why a case's office changed, as the history shows it.
HOME = "home"
COVERAGE = "coverage"
BY_HAND = "routed by hand"


MOVE_WORDS = {
    HOME: _("their home"),
    COVERAGE: _("an office now covers their home"),
    BY_HAND: _("routed by hand"),
    "transfer": _("transfer"),
}


# The reason of a transfer proposed by a change of home, as stored and answered by the API.
HOME_CHANGED_TO = "home changed to "


def move_in_words(reason: str) -> str:
    """Why a case changed office, in the reader's language: "transfer: moved to ..."."""
    said, _colon, detail = reason.partition(": ")
    words = str(MOVE_WORDS.get(said, said))
    return f"{words}: {transfer_reason_in_words(detail)}" if detail else words


def transfer_reason_in_words(reason: str) -> str:
    """A transfer's reason for the reader: one a new home proposed, in their language and with
    the place's name; one a person typed, as typed."""
    if not reason.startswith(HOME_CHANGED_TO):
        return reason
    place = find_place(reason.removeprefix(HOME_CHANGED_TO))
    return str(_("home changed to %(place)s", place=place.label)) if place else reason


def profile_of(case: Case) -> Profile:
    return Profile.CHILD if case.is_child else Profile.ADULT


def route(session: Session, case: Case, home_code: str | None, why: str, by: int | None) -> bool:
    """Give the case the office covering this home, or none; in its history when it changes.
    Whether it changed."""
    office = office_covering(session, home_code, profile_of(case))
    return move_case(session, case, office, why, by)


def move_case(
    session: Session, case: Case, office: Centre | None, why: str, by: int | None
) -> bool:
    """Put the case in this office's hands (None: waiting to be routed), noted in its history;
    its worker, if any, was the old office's: the new office assigns it. The person's record
    carries the office of their current case, even when a new case keeps the old one's none."""
    if case.office_id == (office.id if office else None):
        _carry_to_record(session, case)
        return False
    case.assigned_to_id, case.assigned_at = None, None
    session.add(
        CaseOfficeChange(
            case_id=case.id,
            from_office_id=case.office_id,
            to_office_id=office.id if office else None,
            reason=why[:200],
            at=utcnow(),
            by_id=by,
        )
    )
    case.office_id = office.id if office else None
    _carry_to_record(session, case)
    session.flush()
    return True


def _carry_to_record(session: Session, case: Case) -> None:
    session.execute(
        update(Returnee)
        .where(Returnee.id == case.returnee_id)
        .where(Returnee.office_id.is_distinct_from(case.office_id))
        .values(office_id=case.office_id)
        .execution_options(synchronize_session="fetch")
    )


def route_new_cases(session: Session, cases: list[Case]) -> None:
    """A case just opened goes to the office covering the person's home."""
    homes = dict(
        session.execute(
            select(Returnee.id, Returnee.home_code).where(
                Returnee.id.in_([case.returnee_id for case in cases])
            )
        ).all()
    )
    for case in cases:
        route(session, case, homes.get(case.returnee_id), HOME, None)


def route_waiting(session: Session, country: Country) -> int:
    """After an office's coverage changed: each open case of the country still waiting for an
    office gets the one that now covers its home. How many were routed."""
    rows = session.execute(
        waiting_cases()
        .add_columns(Returnee.home_code)
        .where(Returnee.nationality == country, Returnee.home_code.is_not(None))
    ).all()
    return sum(route(session, case, home, COVERAGE, None) for case, _person, home in rows)


def waiting_cases() -> Select:
    """Open cases with no office, and their people."""
    return (
        select(Case, Returnee)
        .join(Returnee, Case.returnee_id == Returnee.id)
        .where(Case.status != CaseStatus.CLOSED, Case.office_id.is_(None))
    )


def cases_to_route(session: Session, actor: Actor, limit: int = 200) -> list[tuple[Case, Returnee]]:
    """The open cases of the supervisor's country no office has: an unknown home, or one no
    office covers. Oldest first."""
    query = _to_route(actor).order_by(Case.opened_at).limit(limit)
    return [(case, person) for case, person in session.execute(query).all()]


def count_cases_to_route(session: Session, actor: Actor) -> int:
    """How many cases wait to be routed in the supervisor's country, beyond those listed."""
    return session.scalar(select(func.count()).select_from(_to_route(actor).subquery()))


def _to_route(actor: Actor) -> Select:
    actor.require_role(Role.SUPERVISOR, Role.ADMIN)
    query = waiting_cases().join(Centre, Returnee.centre_id == Centre.id)
    return query.where(actor.centre_clause())


def route_by_hand(
    session: Session, actor: Actor, returnee_id: int, office_code: str, why: str = ""
) -> Case:
    """A supervisor gives a case waiting for an office to one; a case an office follows moves
    only by a transfer that the other office accepts."""
    actor.require_role(Role.SUPERVISOR, Role.ADMIN)
    person = require_returnee(session, actor, returnee_id)
    case = open_case_of(session, person.id)
    if case.office_id is not None:
        raise Conflict(
            _(
                "%(office)s follows this case up: propose a transfer instead.",
                office=case.office.code,
            )
        )
    office = find_centre(session, office_code) if office_code else None
    if office is None or office.kind is not CentreKind.OFFICE:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"office": [_("Choose an office of the person's country.")]},
        )
    if office.country != person.nationality:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"office": [_("%(office)s is in another country.", office=office.code)]},
        )
    if move_case(session, case, office, f"{BY_HAND}: {why.strip()}".rstrip(": "), actor.user_id):
        record_event(
            session, actor, AuditAction.UPDATE, "case", case.id, office=office.code, by_hand=True
        )
    return case


def open_case_of(session: Session, returnee_id: int) -> Case:
    case = current_case(session, returnee_id)
    if case is None:
        raise Conflict(_("This person has no open case."))
    return case


def current_case(session: Session, returnee_id: int) -> Case | None:
    """The person's latest case not closed, if any."""
    return session.scalar(
        select(Case)
        .where(Case.returnee_id == returnee_id, Case.status != CaseStatus.CLOSED)
        .order_by(Case.opened_at.desc())
        .limit(1)
    )


def cases_of_office(
    session: Session, actor: Actor, office_code: str, limit: int = 200, after: int | None = None
) -> list[tuple[Case, Returnee]]:
    """Open cases by office ("none": those waiting to be routed), within the actor's scope, by
    case id from the one after `after`."""
    actor.require_role(Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.ADMIN)
    query = (
        select(Case, Returnee)
        .join(Returnee, Case.returnee_id == Returnee.id)
        .where(Case.status != CaseStatus.CLOSED, returnee_scope(actor))
    )
    if office_code.lower() == "none":
        query = query.where(Case.office_id.is_(None))
    else:
        office = find_centre(session, office_code)
        if office is None or office.kind is not CentreKind.OFFICE:
            raise NotFound(_("No office has the code %(code)s.", code=office_code))
        query = query.where(Case.office_id == office.id)
    if after is not None:
        query = query.where(Case.id > after)
    rows = session.execute(query.order_by(Case.id).limit(limit)).all()
    return [(case, person) for case, person in rows]


def history_of(session: Session, case_id: int) -> list[CaseOfficeChange]:
    query = select(CaseOfficeChange).where(CaseOfficeChange.case_id == case_id)
    return list(session.scalars(query.order_by(CaseOfficeChange.at, CaseOfficeChange.id)))


def offices_of(session: Session, country: Country) -> list[Centre]:
    """The offices of a country, to route a case to or propose it to."""
    query = select(Centre).where(Centre.kind == CentreKind.OFFICE, Centre.country == country)
    return list(session.scalars(query.order_by(Centre.name)))


def office_of_current_case(session: Session, returnee_id: int) -> int | None:
    """The office a person's record carries: their current case's (None: waiting, or no case)."""
    return session.scalar(
        select(Case.office_id)
        .where(Case.returnee_id == returnee_id)
        .order_by((Case.status == CaseStatus.CLOSED), Case.opened_at.desc(), Case.id.desc())
        .limit(1)
    )
