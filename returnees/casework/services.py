"""Cases: opened by an arrival, assigned by supervisors, worked through calls and visits, closed
with a reason (a child's only with a supervisor's approval)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.casework.labels import CHOSEN_CLOSE_REASONS
from returnees.casework.models import (
    CALL_OUTCOMES,
    VISIT_OUTCOMES,
    Case,
    CaseContact,
    CaseStatus,
    CloseReason,
    ContactKind,
    ContactOutcome,
)
from returnees.casework.routing import route_new_cases
from returnees.centres.models import COUNTRY_TIMEZONES, Centre
from returnees.core import events
from returnees.core.clock import utcnow
from returnees.core.db import get_required, update_each
from returnees.core.errors import Conflict, HiddenOutOfScope, InvalidInput
from returnees.core.forms import InvalidDate, read_date
from returnees.followups.models import CheckIn, CheckInState
from returnees.followups.services import contact_phone
from returnees.people.models import Phone, Returnee
from returnees.people.scope import covers_returnee
from returnees.people.services import require_returnee
from returnees.reception.intake import ADULT_AGE
from returnees.reception.models import Arrival
from returnees.risk.models import RiskFlag, RiskLevel
from returnees.tasks.alerts import acknowledge
from returnees.tasks.models import Task, TaskKind, TaskStatus
from returnees.tasks.services import open_task, sees_unknown_senders

CASEWORK = (Role.SOCIAL_WORKER, Role.SUPERVISOR)
# A call or visit that did not reach the person is tried again this much later.
RETRY_AFTER = timedelta(days=1)


def open_cases_for(session: Session, arrival_ids: list[int]) -> int:
    """Every arrival has an open case: a person's new return reopens follow-up, in the hands
    of the office covering their home."""
    arrivals = session.scalars(
        select(Arrival).where(Arrival.id.in_(arrival_ids)).options(selectinload(Arrival.returnee))
    ).all()
    already = set(
        session.scalars(
            select(Case.returnee_id).where(
                Case.returnee_id.in_([a.returnee_id for a in arrivals]),
                Case.status != CaseStatus.CLOSED,
            )
        )
    )
    opened = []
    for arrival in arrivals:
        if arrival.returnee_id in already:
            continue
        already.add(arrival.returnee_id)
        opened.append(
            Case(
                returnee_id=arrival.returnee_id,
                status=CaseStatus.OPEN,
                is_child=is_child(arrival),
                opened_at=utcnow(),
            )
        )
    session.add_all(opened)
    session.flush()
    route_new_cases(session, opened)
    return len(opened)


def is_child(arrival: Arrival) -> bool:
    if arrival.is_unaccompanied:
        return True
    age = arrival.returnee.age_on(arrival.arrived_at.date())
    return age is not None and age < ADULT_AGE


def current_case(session: Session, returnee_id: int) -> Case | None:
    """The person's case not yet closed, else their latest one."""
    return session.scalar(
        select(Case)
        .where(Case.returnee_id == returnee_id)
        .order_by((Case.status == CaseStatus.CLOSED), Case.opened_at.desc(), Case.id.desc())
        .limit(1)
    )


def _require_case(session: Session, actor: Actor, returnee_id: int) -> tuple[Returnee, Case]:
    actor.require_role(*CASEWORK)
    returnee = require_returnee(session, actor, returnee_id)
    case = current_case(session, returnee_id)
    if case is None or case.status is CaseStatus.CLOSED:
        raise Conflict(_("This person has no open case."))
    return returnee, case


def assign_cases(
    session: Session, actor: Actor, returnee_ids: list[int], worker_id: int
) -> list[Case]:
    """Give these people's open cases to a social worker who covers them; all or none."""
    actor.require_role(Role.SUPERVISOR)
    if not returnee_ids:
        raise InvalidInput(
            _("Choose at least one person."), {"returnee_ids": [_("Choose at least one person.")]}
        )
    worker = session.get(User, worker_id)
    if (
        worker is None
        or worker.role is not Role.SOCIAL_WORKER
        or not worker.is_enabled
        or not actor.covers_centre(worker.centre)
    ):
        raise InvalidInput(
            _("Choose a social worker of your programme."),
            {"worker_id": [_("Choose a social worker of your programme.")]},
        )
    worker_actor = Actor.for_user(worker)
    now = utcnow()
    cases = []
    for returnee_id in dict.fromkeys(returnee_ids):
        returnee, case = _require_case(session, actor, returnee_id)
        if not covers_returnee(session, worker_actor, returnee):
            raise InvalidInput(
                _(
                    "%(name)s does not work for the office that follows %(person)s up.",
                    name=worker.name or worker.email,
                    person=returnee.full_name,
                ),
                {"worker_id": [_("Not of this person's follow-up office.")]},
            )
        case.assigned_to_id, case.assigned_at = worker.id, now
        cases.append(case)
    session.flush()
    for case in cases:
        record_event(
            session,
            actor,
            AuditAction.ASSIGN,
            "case",
            case.id,
            returnee=case.returnee_id,
            worker_id=worker.id,
        )
    return cases


def unassign_elsewhere(session: Session, actor: Actor, user_id: int) -> list[Case]:
    """A worker moved to another centre keeps only the open cases that centre follows; the
    others go back to their office to assign (a case's worker belongs to its office)."""
    user = session.get(User, user_id)
    cases = list(
        session.scalars(
            select(Case).where(
                Case.assigned_to_id == user_id,
                Case.status != CaseStatus.CLOSED,
                Case.office_id.is_distinct_from(user.centre_id),
            )
        )
    )
    for case in cases:
        case.assigned_to_id, case.assigned_at = None, None
        record_event(
            session,
            actor,
            AuditAction.UPDATE,
            "case",
            case.id,
            returnee=case.returnee_id,
            unassigned_id=user.id,
            reason="worker moved",
        )
    session.flush()
    return cases


@dataclass(frozen=True)
class Caseload:
    worker: User
    open_cases: int
    overdue: int


def caseloads(session: Session, actor: Actor) -> list[Caseload]:
    """Each social worker in the supervisor's scope: open cases and overdue tasks on them."""
    actor.require_role(Role.SUPERVISOR)
    workers = session.scalars(
        select(User)
        .join(Centre, User.centre_id == Centre.id)
        .where(User.role == Role.SOCIAL_WORKER, User.is_enabled.is_(True), actor.centre_clause())
        .order_by(User.name, User.email)
    ).all()
    ids = [w.id for w in workers]
    open_counts = dict(
        session.execute(
            select(Case.assigned_to_id, func.count())
            .where(Case.assigned_to_id.in_(ids), Case.status != CaseStatus.CLOSED)
            .group_by(Case.assigned_to_id)
        ).all()
    )
    overdue_counts = dict(
        session.execute(
            select(Case.assigned_to_id, func.count(Task.id))
            .join(Task, Task.returnee_id == Case.returnee_id)
            .where(
                Case.assigned_to_id.in_(ids),
                Case.status != CaseStatus.CLOSED,
                Task.status == TaskStatus.OPEN,
                Task.due_at < utcnow(),
            )
            .group_by(Case.assigned_to_id)
        ).all()
    )
    return [Caseload(w, open_counts.get(w.id, 0), overdue_counts.get(w.id, 0)) for w in workers]


@dataclass(frozen=True)
class WaitingCase:
    case: Case
    returnee: Returnee
    is_high_risk: bool


def cases_waiting_for_assignment(
    session: Session, actor: Actor, *, limit: int = 200
) -> list[WaitingCase]:
    """Open cases nobody works yet for too long: high risk after 1 hour, any other after 1 day."""
    return unassigned_cases(session, actor, limit=limit, late_only=True)


def unassigned_cases(
    session: Session, actor: Actor, *, limit: int = 200, late_only: bool = False
) -> list[WaitingCase]:
    """Every open case nobody works yet, high risk first, for the assignment page."""
    actor.require_role(Role.SUPERVISOR)
    now = utcnow()
    high = RiskFlag.level == RiskLevel.HIGH
    query = (
        select(Case, Returnee, high.label("is_high"))
        .join(Returnee, Case.returnee_id == Returnee.id)
        .join(Centre, Returnee.centre_id == Centre.id)
        .outerjoin(RiskFlag, RiskFlag.returnee_id == Case.returnee_id)
        .where(
            Case.status != CaseStatus.CLOSED, Case.assigned_to_id.is_(None), actor.centre_clause()
        )
    )
    if late_only:
        query = query.where(
            (high.is_(True) & (Case.opened_at <= now - timedelta(hours=1)))
            | (Case.opened_at <= now - timedelta(days=1))
        )
    rows = session.execute(
        query.order_by(high.desc().nulls_last(), Case.opened_at).limit(limit)
    ).all()
    return [WaitingCase(case, returnee, bool(is_high)) for case, returnee, is_high in rows]


def closings_awaiting_approval(session: Session, actor: Actor) -> list[tuple[Case, Returnee]]:
    """Children's cases a social worker asked to close, for a supervisor to decide."""
    actor.require_role(Role.SUPERVISOR)
    rows = session.execute(
        select(Case, Returnee)
        .join(Returnee, Case.returnee_id == Returnee.id)
        .join(Centre, Returnee.centre_id == Centre.id)
        .where(Case.status == CaseStatus.CLOSING, actor.centre_clause())
        .order_by(Case.close_requested_at)
    ).all()
    return [(case, returnee) for case, returnee in rows]


def require_task(session: Session, actor: Actor, task_id: int) -> Task:
    """An open task on a person inside the actor's scope, or about an unknown number the actor
    sees (tasks.services.sees_unknown_senders)."""
    task = task_in_scope(session, actor, task_id)
    if task.status is not TaskStatus.OPEN:
        raise Conflict(_("This task is already closed."))
    return task


def task_in_scope(session: Session, actor: Actor, task_id: int) -> Task:
    """A task, open or not, on a person inside the actor's scope or about an unknown number the
    actor sees."""
    actor.require_role(*CASEWORK)
    missing = _("No task has the number %(id)s.", id=task_id)
    task = get_required(session, Task, task_id, missing)
    if task.returnee_id is None:
        visible = select(Task.id).where(Task.id == task.id, sees_unknown_senders(actor))
        if session.scalar(visible) is None:
            raise HiddenOutOfScope(missing, "task", task_id)
    else:
        require_returnee(session, actor, task.returnee_id)
    return task


def require_task_about_a_person(session: Session, actor: Actor, task_id: int) -> Task:
    """require_task, for what only a known person's task allows (a call, a new day)."""
    task = require_task(session, actor, task_id)
    if task.returnee_id is None:
        raise Conflict(
            _("Nobody holds this number yet: attach it to a person from the unmatched inbox.")
        )
    return task


def acknowledge_task(session: Session, actor: Actor, task_id: int) -> Task:
    """Say that an urgent task is in hand: the alert goes no further down the on-call chain."""
    task = require_task(session, actor, task_id)
    if task.kind is not TaskKind.URGENT_SAFETY:
        raise Conflict(_("Only an urgent task is acknowledged."))
    if acknowledge(session, task, actor.user_id):
        record_event(session, actor, AuditAction.UPDATE, "task", task.id, acknowledged=True)
    return task


def record_contact(
    session: Session, actor: Actor, task_id: int, kind: str, outcome: str, note: str = ""
) -> CaseContact:
    """A call or a visit on a task. Reached (or met): the task is done. Not reached: it comes
    back tomorrow. A wrong number: the number is marked unusable and a task to find a new one
    replaces the call."""
    task = require_task_about_a_person(session, actor, task_id)
    return _save_contact(session, actor, task.returnee_id, task, kind, outcome, note)


def record_contact_with_person(
    session: Session, actor: Actor, returnee_id: int, kind: str, outcome: str, note: str = ""
) -> CaseContact:
    """A call or a visit made from the person's record. It answers the person's open call (or
    visit) task when there is one, as if recorded on it; otherwise it is written on its own."""
    actor.require_role(*CASEWORK)
    require_returnee(session, actor, returnee_id)
    wanted = TaskKind.VISIT if kind == ContactKind.VISIT.value else TaskKind.CALL
    task = session.scalar(
        select(Task)
        .where(
            Task.returnee_id == returnee_id,
            Task.kind == wanted,
            Task.status == TaskStatus.OPEN,
        )
        .order_by(Task.due_at, Task.id)
        .limit(1)
    )
    return _save_contact(session, actor, returnee_id, task, kind, outcome, note)


def _save_contact(
    session: Session,
    actor: Actor,
    returnee_id: int,
    task: Task | None,
    kind: str,
    outcome: str,
    note: str,
) -> CaseContact:
    kind_value, outcome_value = _check_contact(kind, outcome, note)
    now = utcnow()
    contact = CaseContact(
        returnee_id=returnee_id,
        task_id=task.id if task else None,
        kind=kind_value,
        outcome=outcome_value,
        note=note.strip(),
        made_by_id=actor.user_id,
        made_at=now,
    )
    session.add(contact)
    if task is not None:
        if outcome_value in (ContactOutcome.NOT_REACHED, ContactOutcome.NOT_HOME):
            task.due_at = now + RETRY_AFTER
        else:
            _close(task, actor, now, f"{kind_value.value}: {outcome_value.value}")
    if outcome_value is ContactOutcome.WRONG_NUMBER:
        _mark_number_wrong(session, returnee_id, task)
    session.flush()
    record_event(
        session,
        actor,
        AuditAction.CREATE,
        "case_contact",
        contact.id,
        returnee=returnee_id,
        kind=kind_value.value,
        outcome=outcome_value.value,
    )
    return contact


def _check_contact(kind: str, outcome: str, note: str) -> tuple[ContactKind, ContactOutcome]:
    errors: dict[str, list[object]] = {}
    kind_value = ContactKind._value2member_map_.get(kind)
    allowed = CALL_OUTCOMES if kind_value is ContactKind.CALL else VISIT_OUTCOMES
    outcome_value = ContactOutcome._value2member_map_.get(outcome)
    if kind_value is None:
        errors["kind"] = [_("A call or a visit.")]
    elif outcome_value not in allowed:
        errors["outcome"] = [
            _("Choose how it went: %(known)s.", known=", ".join(o.value for o in allowed))
        ]
    if len(note) > 2000:
        errors["note"] = [_("At most 2,000 characters.")]
    if errors:
        raise InvalidInput(_("Nothing was saved: correct the fields marked."), errors)
    return kind_value, outcome_value  # type: ignore[return-value]


def _number_called(session: Session, returnee_id: int, task: Task | None) -> Phone | None:
    """The number a call rang: its task's check-in's (a child's may be a guardian's), else the
    one the person is asked on."""
    returnee = session.get(Returnee, returnee_id)
    check_in_id = task.subject.removeprefix("check-in:") if task else ""
    check_in = session.get(CheckIn, int(check_in_id)) if check_in_id.isdigit() else None
    called = check_in.phone if check_in is not None else None
    return next((p for p in returnee.phones if p.number == called), contact_phone(returnee))


def _mark_number_wrong(session: Session, returnee_id: int, task: Task | None) -> None:
    phone = _number_called(session, returnee_id, task)
    if phone is not None:
        phone.is_usable = False
        session.execute(
            update(CheckIn)
            .where(
                CheckIn.phone_index == phone.number_index,
                CheckIn.returnee_id == returnee_id,
                CheckIn.state == CheckInState.SCHEDULED,
            )
            .values(state=CheckInState.CANCELLED)
            .execution_options(synchronize_session=False)
        )
    open_task(
        session,
        TaskKind.FIND_NEW_NUMBER,
        returnee_id,
        "wrong number on a call",
        subject="wrong-number",
        priority=40,
    )


def _close(task: Task, actor: Actor, now: datetime, note: str) -> None:
    task.status, task.closed_at, task.closed_by_id = TaskStatus.DONE, now, actor.user_id
    task.close_note = note[:2000]


def reschedule_task(session: Session, actor: Actor, task_id: int, due_on: date | str) -> Task:
    """Move a task to a later day (08:00 in the person's country)."""
    task = require_task_about_a_person(session, actor, task_id)
    day = _parse_day(due_on)
    returnee = session.get(Returnee, task.returnee_id)
    zone = ZoneInfo(COUNTRY_TIMEZONES[returnee.nationality])
    today = utcnow().astimezone(zone).date()
    if day is None or day < today or day > today + timedelta(days=365):
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"due_on": [_("A day from today to a year ahead, as dd/mm/yyyy.")]},
        )
    task.due_at = datetime.combine(day, time(8), zone).astimezone(ZoneInfo("UTC"))
    record_event(session, actor, AuditAction.UPDATE, "task", task.id, due_on=day.isoformat())
    return task


def _parse_day(value: date | str) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return read_date(value)
    except InvalidDate:
        return None


def close_task(session: Session, actor: Actor, task_id: int, note: str = "") -> Task:
    task = require_task(session, actor, task_id)
    if task.kind is TaskKind.APPROVE_CLOSING:
        raise Conflict(_("Approve or refuse the closing of the case instead."))
    if len(note) > 2000:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"note": [_("At most 2,000 characters.")]},
        )
    _close(task, actor, utcnow(), note.strip())
    record_event(session, actor, AuditAction.UPDATE, "task", task.id, closed=True)
    return task


def close_case(
    session: Session, actor: Actor, returnee_id: int, reason: str, note: str = ""
) -> Case:
    """Close a case with a reason; a child's case waits for a supervisor's approval."""
    returnee, case = _require_case(session, actor, returnee_id)
    if reason not in CHOSEN_CLOSE_REASONS:
        raise InvalidInput(
            _("Nothing was saved: correct the fields marked."),
            {"reason": [_("Choose why the case closes.")]},
        )
    if case.status is CaseStatus.CLOSING:
        raise Conflict(_("Closing this case already waits for a supervisor's approval."))
    now = utcnow()
    case.close_reason, case.close_note = CloseReason(reason), note.strip()[:2000]
    case.close_requested_by_id, case.close_requested_at = actor.user_id, now
    if case.is_child and actor.role is not Role.SUPERVISOR:
        case.status = CaseStatus.CLOSING
        open_task(
            session,
            TaskKind.APPROVE_CLOSING,
            returnee.id,
            f"close: {reason}",
            subject=f"close-case:{case.id}",
            priority=25,
        )
        record_event(session, actor, AuditAction.UPDATE, "case", case.id, close_requested=reason)
        return case
    _finish_closing(session, actor, case, now)
    return case


def approve_closing(session: Session, actor: Actor, returnee_id: int, approve: bool = True) -> Case:
    """A supervisor approves (or refuses) closing a child's case."""
    actor.require_role(Role.SUPERVISOR)
    case = _require_case(session, actor, returnee_id)[1]
    if case.status is not CaseStatus.CLOSING:
        raise Conflict(_("No closing of this case waits for approval."))
    now = utcnow()
    _close_tasks(session, actor, case.returnee_id, now, kinds=(TaskKind.APPROVE_CLOSING,))
    if not approve:
        case.status = CaseStatus.OPEN
        record_event(session, actor, AuditAction.UPDATE, "case", case.id, closing_refused=True)
        return case
    _finish_closing(session, actor, case, now)
    return case


def _finish_closing(session: Session, actor: Actor, case: Case, now: datetime) -> None:
    case.status, case.closed_at, case.closed_by_id = CaseStatus.CLOSED, now, actor.user_id
    session.execute(
        update(CheckIn)
        .where(CheckIn.returnee_id == case.returnee_id, CheckIn.state == CheckInState.SCHEDULED)
        .values(state=CheckInState.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    _close_tasks(session, actor, case.returnee_id, now, status=TaskStatus.CANCELLED)
    session.flush()
    events.publish(events.CASE_CLOSED, session, returnee_id=case.returnee_id)
    record_event(
        session, actor, AuditAction.UPDATE, "case", case.id, closed=case.close_reason.value
    )


def _close_tasks(
    session: Session,
    actor: Actor,
    returnee_id: int,
    now: datetime,
    *,
    kinds: tuple[TaskKind, ...] | None = None,
    status: TaskStatus = TaskStatus.DONE,
) -> None:
    query = update(Task).where(Task.returnee_id == returnee_id, Task.status == TaskStatus.OPEN)
    if kinds:
        query = query.where(Task.kind.in_(kinds))
    session.execute(
        query.values(status=status, closed_at=now, closed_by_id=actor.user_id).execution_options(
            synchronize_session=False
        )
    )


def contacts_of(session: Session, returnee_id: int, limit: int = 50) -> list[CaseContact]:
    query = (
        select(CaseContact)
        .where(CaseContact.returnee_id == returnee_id)
        .order_by(CaseContact.made_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def social_workers_for(session: Session, actor: Actor, returnee: Returnee) -> list[User]:
    """The social workers a supervisor may give this person's case to."""
    if not actor.has_role(Role.SUPERVISOR):
        return []
    workers = session.scalars(
        select(User)
        .join(Centre, User.centre_id == Centre.id)
        .where(User.role == Role.SOCIAL_WORKER, User.is_enabled.is_(True), actor.centre_clause())
        .order_by(User.name, User.email)
    ).all()
    return [w for w in workers if covers_returnee(session, Actor.for_user(w), returnee)]


def close_tasks_answered(session: Session, check_in: CheckIn) -> None:
    """A task clears itself when the answer arrives: a call about an unanswered check-in."""
    answered = session.scalars(
        select(Task.id).where(
            Task.returnee_id == check_in.returnee_id,
            Task.status == TaskStatus.OPEN,
            Task.kind.in_((TaskKind.CALL, TaskKind.VISIT)),
        )
    )
    done = {"status": TaskStatus.DONE, "closed_at": utcnow(), "close_note": "answered a check-in"}
    update_each(session, Task, answered, done)


def cases_closed_by_merge(session: Session, kept_id: int, merged_id: int) -> list[int]:
    """The cases of `merged_id` that its merge into `kept_id` closes: when both records are
    followed up, the kept record's case goes on in its office's hands and the other closes
    as "merged" (a person has one open case)."""

    def not_closed(returnee_id: int):
        return select(Case.id).where(
            Case.returnee_id == returnee_id, Case.status != CaseStatus.CLOSED
        )

    if session.scalar(not_closed(kept_id).limit(1)) is None:
        return []
    return list(session.scalars(not_closed(merged_id)))


def closed_as_merged(actor: Actor) -> dict[str, object]:
    """What a case closed by a merge holds: closed now, by the supervisor who merged."""
    return {
        "status": CaseStatus.CLOSED,
        "close_reason": CloseReason.MERGED,
        "closed_at": utcnow(),
        "closed_by_id": actor.user_id,
    }
