"""Erase a person: what identifies them and every text they sent or that was written about
them goes; what statistics count stays (the record itself, its arrivals, cases, check-in
states and answers, referrals by kind and status, risk level, sex, nationality, home).

Values are changed through the ORM's attributes, never by SQL on the columns, so that a
column's type (an encrypted one) and what is derived from it (a blind index) stay right. The
one exception is the reasons given to open the person's record, which are append-only: the
audit trail erases them itself (audit.services.erase_reasons).

Messages from the person's numbers that were never attached to them (a reply before the
number was known, a danger message from it) are found by the blind index of each number,
read before the phones go, and erased with what was opened about them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from returnees.audit.services import erase_reasons, reasons_about
from returnees.casework.models import Case, CaseContact, CaseOfficeChange, Transfer
from returnees.casework.transfers import TRANSFER
from returnees.core.clock import utcnow
from returnees.followups.models import CheckIn, CheckInState
from returnees.messaging.models import ConsentChange, InboundMessage, MessageStatus, OutboundMessage
from returnees.people.models import BreakGlassGrant, Returnee
from returnees.reception.models import Arrival, Custody, ExpectedPassenger, Screening
from returnees.referrals.models import Referral, ReferralChange
from returnees.risk.models import RiskFlag, RiskLevelChange
from returnees.risk.services import SET_LEVEL
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
    numbers = [phone.number_index for phone in returnee.phones if phone.number_index]
    band = _erase_identity(session, returnee)
    _erase_arrivals(session, returnee_id)
    _erase_messages(session, returnee_id, numbers)
    _erase_casework(session, returnee_id, numbers)
    _erase_referrals(session, returnee_id)
    _erase_risk(session, returnee_id)
    session.flush()
    _erase_access_reasons(session, returnee_id)
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


def _theirs(model: Any, returnee_id: int, index: Any, numbers: list[str]) -> ColumnElement[bool]:
    """Rows of the person, and rows from or to one of their numbers that name no one."""
    unattached = model.returnee_id.is_(None) & index.in_(numbers)
    return (model.returnee_id == returnee_id) | unattached


def _erase_messages(session: Session, returnee_id: int, numbers: list[str]) -> None:
    outbound = _theirs(OutboundMessage, returnee_id, OutboundMessage.phone_index, numbers)
    for message in _rows(session, OutboundMessage, outbound):
        message.phone, message.body, message.content_variables = "", "", {}
        message.error_message = ""
        if message.status is MessageStatus.QUEUED:
            message.status = MessageStatus.FAILED
    inbound = _theirs(InboundMessage, returnee_id, InboundMessage.from_number_index, numbers)
    for message in _rows(session, InboundMessage, inbound):
        message.from_number, message.body, message.payload = "", "", {}
    changes = _theirs(ConsentChange, returnee_id, ConsentChange.phone_index, numbers)
    for change in _rows(session, ConsentChange, changes):
        change.phone = ""
    for check_in in _rows(session, CheckIn, CheckIn.returnee_id == returnee_id):
        check_in.phone = ""
        if check_in.state is CheckInState.SCHEDULED:
            check_in.state = CheckInState.CANCELLED


def _erase_casework(session: Session, returnee_id: int, numbers: list[str]) -> None:
    cases = _rows(session, Case, Case.returnee_id == returnee_id)
    for case in cases:
        case.close_note = ""
    # A move by a transfer quotes the transfer's reason; the others say what moved the case.
    moves = CaseOfficeChange.case_id.in_([case.id for case in cases])
    for move in _rows(session, CaseOfficeChange, moves):
        if move.reason.startswith(f"{TRANSFER}:"):
            move.reason = f"{TRANSFER}: {ERASED}"
    for transfer in _rows(session, Transfer, Transfer.returnee_id == returnee_id):
        transfer.reason = ERASED
        transfer.decline_reason = ERASED if transfer.decline_reason else ""
    for contact in _rows(session, CaseContact, CaseContact.returnee_id == returnee_id):
        contact.note = ""
    # A task's reason may quote a message or name a relative; its kind says what it was.
    for task in _rows(session, Task, _theirs(Task, returnee_id, Task.phone_index, numbers)):
        task.reason, task.close_note, task.phone = ERASED, "", ""


def _erase_risk(session: Session, returnee_id: int) -> None:
    """A level set by staff keeps its level and loses its reason, on the flag and in the
    history of changes."""
    flag = session.get(RiskFlag, returnee_id)
    if flag is not None:
        flag.set_reason = ""
    for change in _rows(session, RiskLevelChange, RiskLevelChange.returnee_id == returnee_id):
        if any(reason["rule"] == SET_LEVEL for reason in change.reasons):
            change.reasons = [_without_words(reason) for reason in change.reasons]


def _without_words(reason: dict) -> dict:
    if reason["rule"] != SET_LEVEL:
        return reason
    return reason | {"evidence": reason["evidence"] | {"reason": ERASED}}


def _erase_access_reasons(session: Session, returnee_id: int) -> None:
    """The reasons given to open the person's record (break-glass) or their protection
    referrals, found by the audit entries that name the person."""
    granted = select(BreakGlassGrant.reason_id).where(BreakGlassGrant.returnee_id == returnee_id)
    ids = {*reasons_about(session, returnee_id), *session.scalars(granted)}
    erase_reasons(session, ids, ERASED)


def _erase_referrals(session: Session, returnee_id: int) -> None:
    referrals = _rows(session, Referral, Referral.returnee_id == returnee_id)
    for referral in referrals:
        referral.note = referral.outcome = ""
    ids = [referral.id for referral in referrals]
    for change in _rows(session, ReferralChange, ReferralChange.referral_id.in_(ids)):
        change.note = ""
