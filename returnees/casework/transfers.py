"""A case moves when the person does: a transfer proposed to another office of the same
country, with a reason, that the receiving office accepts or declines. While it waits the case
stays where it is; the receiving office sees the proposal (the person's name, age and risk
level, and why), nothing more, until it accepts."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.models import Case, CaseStatus, Transfer, TransferStatus
from returnees.casework.routing import (
    HOME,
    HOME_CHANGED_TO,
    current_case,
    move_case,
    open_case_of,
    profile_of,
    route,
)
from returnees.centres.coverage import office_covering
from returnees.centres.models import Centre, CentreKind
from returnees.centres.services import find_centre
from returnees.core.clock import utcnow
from returnees.core.db import get_required
from returnees.core.errors import Conflict, Forbidden, HiddenOutOfScope, InvalidInput
from returnees.people.models import Returnee
from returnees.people.services import require_returnee
from returnees.risk.models import RiskFlag, RiskLevel

REASON_LIMIT = 1000
TRANSFER = "transfer"


def propose_transfer(
    session: Session, actor: Actor, returnee_id: int, to_office: str, reason: str
) -> Transfer:
    """A social worker of the case's office, or a supervisor of its country, proposes moving
    the case to another office of the same country."""
    actor.require_role(Role.SOCIAL_WORKER, Role.SUPERVISOR)
    person = require_returnee(session, actor, returnee_id)
    case = open_case_of(session, person.id)
    _may_act_for(actor, case.office_id, person)
    office = _receiving_office(session, case, person, to_office)
    transfer = _propose(session, case, office, _reason(reason, "reason"), actor.user_id)
    record_event(session, actor, AuditAction.CREATE, "transfer", transfer.id, to_office=office.code)
    return transfer


def follow_the_home(session: Session, returnee_id: int, by: int | None) -> None:
    """The home changed: a case waiting for an office gets the one covering the new home; a
    case another office follows is proposed to it (a transfer, for that office to accept)."""
    case = current_case(session, returnee_id)
    if case is None:
        return
    home = session.scalar(select(Returnee.home_code).where(Returnee.id == returnee_id))
    if case.office_id is None:
        route(session, case, home, HOME, by)
        return
    office = office_covering(session, home, profile_of(case))
    if office is not None and office.id != case.office_id and _pending(session, case.id) is None:
        transfer = _propose(session, case, office, f"{HOME_CHANGED_TO}{home}", by)
        proposer = Actor(None, "home change", None, None, "", None)
        record_event(
            session,
            proposer,
            AuditAction.CREATE,
            "transfer",
            transfer.id,
            to_office=office.code,
            by=by,
        )


def _propose(session: Session, case: Case, office: Centre, reason: str, by: int | None):
    if _pending(session, case.id) is not None:
        raise Conflict(_("A transfer of this case waits for an answer already."))
    transfer = Transfer(
        case_id=case.id,
        returnee_id=case.returnee_id,
        from_office_id=case.office_id,
        to_office_id=office.id,
        reason=reason,
        status=TransferStatus.PENDING,
        proposed_by_id=by,
        proposed_at=utcnow(),
    )
    session.add(transfer)
    session.flush()
    return transfer


def _receiving_office(session: Session, case: Case, person: Returnee, code: str) -> Centre:
    office = find_centre(session, code) if code else None
    if office is None or office.kind is not CentreKind.OFFICE:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"to_office": [_("No office has the code %(code)s.", code=code)]},
        )
    if office.country != person.nationality:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"to_office": [_("Transfers between countries are not possible yet.")]},
        )
    if case.office_id is None:
        raise Conflict(_("This case waits to be routed: give it an office instead."))
    if office.id == case.office_id:
        raise Conflict(_("The case is with %(office)s already.", office=office.code))
    return office


def accept_transfer(session: Session, actor: Actor, transfer_id: int) -> Transfer:
    """The receiving office takes the case: it moves, with its open tasks; its assignment is
    cleared for the new office to give; pending check-ins stay as they are."""
    transfer = _decidable(session, actor, transfer_id)
    case = session.get(Case, transfer.case_id)
    transfer.status, transfer.decided_by_id, transfer.decided_at = (
        TransferStatus.ACCEPTED,
        actor.user_id,
        utcnow(),
    )
    move_case(session, case, transfer.to_office, f"{TRANSFER}: {transfer.reason}", actor.user_id)
    record_event(session, actor, AuditAction.UPDATE, "transfer", transfer.id, status="accepted")
    return transfer


def decline_transfer(session: Session, actor: Actor, transfer_id: int, reason: str) -> Transfer:
    """The receiving office declines, saying why; the case stays where it was."""
    transfer = _decidable(session, actor, transfer_id)
    cleaned = _reason(reason, "reason")
    transfer.status, transfer.decided_by_id, transfer.decided_at = (
        TransferStatus.DECLINED,
        actor.user_id,
        utcnow(),
    )
    transfer.decline_reason = cleaned
    record_event(
        session,
        actor,
        AuditAction.UPDATE,
        "transfer",
        transfer.id,
        status="declined",  # the reason stays on the transfer
    )
    return transfer


def _decidable(session: Session, actor: Actor, transfer_id: int) -> Transfer:
    actor.require_role(Role.SOCIAL_WORKER, Role.SUPERVISOR)
    missing = _("No transfer has the number %(id)s.", id=transfer_id)
    transfer = get_required(session, Transfer, transfer_id, missing)
    if not _receives(actor, transfer):
        raise HiddenOutOfScope(missing, "transfer", transfer_id)
    if transfer.status is not TransferStatus.PENDING:
        raise Conflict(_("This transfer was decided already."))
    case = session.get(Case, transfer.case_id)
    if case.status is CaseStatus.CLOSED or case.office_id != transfer.from_office_id:
        raise Conflict(_("The case changed since the transfer was proposed."))
    return transfer


def _receives(actor: Actor, transfer: Transfer) -> bool:
    """A social worker of the receiving office, or a supervisor of its country."""
    if actor.is_system:
        return True
    if actor.role is Role.SUPERVISOR:
        return transfer.to_office.country == actor.country
    return actor.at_office and actor.centre_id == transfer.to_office_id


def _may_act_for(actor: Actor, office_id: int | None, person: Returnee) -> None:
    """A social worker of the case's office, or a supervisor of its country."""
    if actor.is_system or actor.role is Role.SUPERVISOR:
        return
    if not (actor.at_office and actor.centre_id == office_id):
        raise Forbidden(_("Only the office that follows this person up can move the case."))


def _pending(session: Session, case_id: int) -> Transfer | None:
    return session.scalar(
        select(Transfer).where(
            Transfer.case_id == case_id, Transfer.status == TransferStatus.PENDING
        )
    )


def _reason(text: str, field: str) -> str:
    cleaned = " ".join((text or "").split())
    if not cleaned or len(cleaned) > REASON_LIMIT:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {field: [_("Say why, in at most 1,000 characters.")]},
        )
    return cleaned


@dataclass(frozen=True)
class WaitingTransfer:
    """What a receiving office sees of a case it has not accepted: who, how old, how at risk,
    and why; nothing more."""

    transfer: Transfer
    name: str
    age: int | None
    risk_level: RiskLevel | None


def transfers_waiting(session: Session, actor: Actor, limit: int = 200) -> list[WaitingTransfer]:
    """Pending transfers to the actor's office (a supervisor: to any office of the country)."""
    return list_transfers(session, actor, TransferStatus.PENDING.value, limit, to_me=True)


def transfers_of(session: Session, returnee_id: int) -> list[Transfer]:
    query = select(Transfer).where(Transfer.returnee_id == returnee_id)
    return list(session.scalars(query.order_by(Transfer.proposed_at.desc())))


def list_transfers(
    session: Session,
    actor: Actor,
    status: str = "pending",
    limit: int = 200,
    *,
    to_me: bool = False,
) -> list[WaitingTransfer]:
    """Transfers to (or, unless `to_me`, from) the actor's office (a supervisor: those to the
    country's offices), by status, each with what the receiving office may see of the person."""
    actor.require_role(Role.SOCIAL_WORKER, Role.SUPERVISOR)
    if status not in {s.value for s in TransferStatus}:
        raise InvalidInput(
            _("Some fields are not valid."),
            {"status": [_("pending, accepted or declined.")]},
        )
    query = (
        select(Transfer, Returnee, RiskFlag.level)
        .join(Returnee, Transfer.returnee_id == Returnee.id)
        .join(Centre, Transfer.to_office_id == Centre.id)
        .outerjoin(RiskFlag, RiskFlag.returnee_id == Transfer.returnee_id)
        .where(Transfer.status == TransferStatus(status))
    )
    if actor.role is Role.SUPERVISOR:
        query = query.where(Centre.country == actor.country)
    elif not actor.at_office:
        return []
    elif to_me:
        query = query.where(Transfer.to_office_id == actor.centre_id)
    else:
        mine = actor.centre_id
        query = query.where((Transfer.to_office_id == mine) | (Transfer.from_office_id == mine))
    today = utcnow().date()
    rows = session.execute(query.order_by(Transfer.proposed_at).limit(limit)).all()
    return [
        WaitingTransfer(transfer, person.full_name, person.age_on(today), level)
        for transfer, person, level in rows
    ]
