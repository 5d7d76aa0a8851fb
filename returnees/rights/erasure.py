"""Erase a person: what identifies them and every text they sent or that was written about
them goes; what statistics count stays (the record itself, its arrivals, cases, check-in
states and answers, referrals by kind and status, risk level, sex, nationality, home).

Values are changed through the ORM's attributes, never by SQL on the columns, so that a
column's type (an encrypted one) and what is derived from it stay right."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.casework.models import Case, CaseContact
from returnees.core.clock import utcnow
from returnees.followups.models import CheckIn, CheckInState
from returnees.messaging.models import ConsentChange, InboundMessage, MessageStatus, OutboundMessage
from returnees.people.models import Returnee
from returnees.reception.models import Arrival, Custody, ExpectedPassenger, Screening
from returnees.referrals.models import Referral, ReferralChange
from returnees.risk.models import RiskFlag
from returnees.tasks.models import Task

# What an erased name reads: a dash, the same in every language.
ERASED = "—"
# Lower bounds of the age bands kept for statistics: 0-5, 6-11, 12-17, 18-24, ... 60+.
AGE_BANDS = (0, 6, 12, 18, 25, 35, 45, 60)
SCREENING_TEXTS = ("health_needs", "psychosocial_needs", "occupation", "skills", "notes")


def age_band(age: int | None) -> tuple[int, str]:
    """The band an age falls in, as its lower bound and its label ("12-17", "60+")."""
    if age is None:
        return -1, ""
    lower = max(bound for bound in AGE_BANDS if bound <= max(age, 0))
    following = [bound for bound in AGE_BANDS if bound > lower]
    return lower, f"{lower}-{following[0] - 1}" if following else f"{lower}+"


def erase_person(session: Session, returnee_id: int) -> str:
    """Erase what identifies one person and every text about them; returns the age band kept."""
    returnee = session.get(Returnee, returnee_id)
    if returnee is None:
        return ""
    band = _erase_identity(session, returnee)
    _erase_arrivals(session, returnee_id)
    _erase_messages(session, returnee_id)
    _erase_casework(session, returnee_id)
    _erase_referrals(session, returnee_id)
    session.flush()
    return band


def _erase_identity(session: Session, returnee: Returnee) -> str:
    latest = session.scalar(
        select(Arrival.arrived_at)
        .where(Arrival.returnee_id == returnee.id)
        .order_by(Arrival.arrived_at.desc())
        .limit(1)
    )
    day: date = (latest or utcnow()).date()
    lower, band = age_band(returnee.age_on(day))
    returnee.given_names = returnee.family_names = ERASED
    returnee.folded_name = ""
    returnee.birth_date = None
    returnee.estimated_age = lower if lower >= 0 else None
    returnee.age_estimated_on = day if lower >= 0 else None
    returnee.document_number = None
    returnee.municipality = ""
    returnee.updated_at = utcnow()
    returnee.phones.clear()  # delete-orphan: the rows go
    return band


def _rows(session: Session, model, *where):
    return session.scalars(select(model).where(*where)).all()


def _erase_arrivals(session: Session, returnee_id: int) -> None:
    arrivals = select(Arrival.id).where(Arrival.returnee_id == returnee_id)
    for screening in _rows(session, Screening, Screening.arrival_id.in_(arrivals)):
        for name in SCREENING_TEXTS:
            setattr(screening, name, "")
    for custody in _rows(session, Custody, Custody.arrival_id.in_(arrivals)):
        custody.guardian_name = custody.guardian_document = custody.guardian_phone = ""
    for row in _rows(session, ExpectedPassenger, ExpectedPassenger.arrival_id.in_(arrivals)):
        row.values, row.problems = {}, {}
        row.row_key = row.source_key = f"erased:{row.id}"


def _erase_messages(session: Session, returnee_id: int) -> None:
    for outbound in _rows(session, OutboundMessage, OutboundMessage.returnee_id == returnee_id):
        outbound.phone, outbound.body, outbound.content_variables = "", "", {}
        outbound.error_message = ""
        if outbound.status is MessageStatus.QUEUED:
            outbound.status = MessageStatus.FAILED
    for inbound in _rows(session, InboundMessage, InboundMessage.returnee_id == returnee_id):
        inbound.from_number, inbound.body, inbound.payload = "", "", {}
    for change in _rows(session, ConsentChange, ConsentChange.returnee_id == returnee_id):
        change.phone = ""
    for check_in in _rows(session, CheckIn, CheckIn.returnee_id == returnee_id):
        check_in.phone = ""
        if check_in.state is CheckInState.SCHEDULED:
            check_in.state = CheckInState.CANCELLED


def _erase_casework(session: Session, returnee_id: int) -> None:
    for case in _rows(session, Case, Case.returnee_id == returnee_id):
        case.close_note = ""
    for contact in _rows(session, CaseContact, CaseContact.returnee_id == returnee_id):
        contact.note = ""
    # A task's reason may quote a message or name a relative; its kind says what it was.
    for task in _rows(session, Task, Task.returnee_id == returnee_id):
        task.reason, task.close_note, task.phone = ERASED, "", ""
    flag = session.get(RiskFlag, returnee_id)
    if flag is not None:
        flag.set_reason = ""


def _erase_referrals(session: Session, returnee_id: int) -> None:
    referrals = _rows(session, Referral, Referral.returnee_id == returnee_id)
    for referral in referrals:
        referral.note = referral.outcome = ""
    ids = [referral.id for referral in referrals]
    for change in _rows(session, ReferralChange, ReferralChange.referral_id.in_(ids)):
        change.note = ""
