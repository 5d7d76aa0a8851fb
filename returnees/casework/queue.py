"""The social worker's queue: urgent first, then overdue, then high risk, then due today, then
the rest; each item says why it is there and how long it has waited."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers
from flask_babel import lazy_gettext as _
from sqlalchemy import ColumnElement, Select, and_, case, false, or_, select, text
from sqlalchemy.orm import Session, aliased

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.models import Case, CaseStatus
from returnees.casework.reasons import reason_in_words as task_reason_in_words
from returnees.centres.models import COUNTRY_TIMEZONES
from returnees.core.clock import utcnow
from returnees.followups.models import Asked
from returnees.followups.services import contact_phones
from returnees.messaging.window import start_of_day
from returnees.people.identity import format_phone
from returnees.people.models import Returnee
from returnees.people.scope import in_region, returnee_scope
from returnees.reception.models import Arrival
from returnees.risk.models import RiskFlag, RiskLevel
from returnees.tasks.models import Task, TaskKind, TaskStatus
from returnees.tasks.services import sees_unknown_senders

MAX_ITEMS = 200


class Bucket(enum.StrEnum):
    URGENT = "urgent"
    OVERDUE = "overdue"
    HIGH_RISK = "high_risk"
    DUE_TODAY = "due_today"
    LATER = "later"


BUCKET_LABELS = {
    "urgent": _("Urgent"),
    "overdue": _("Overdue"),
    "high_risk": _("High risk"),
    "due_today": _("Due today"),
    "later": _("Later"),
}


@dataclass(frozen=True)
class QueueCriteria:
    """What a worker filters the queue by; saved filters store these."""

    mine: bool = False
    region: bool = False
    overdue: bool = False
    children: bool = False

    @classmethod
    def from_mapping(cls, values) -> QueueCriteria:
        def flag(name: str) -> bool:
            value = values.get(name)
            return value is True or str(value).lower() in ("1", "true", "y", "yes", "on")

        return cls(flag("mine"), flag("region"), flag("overdue"), flag("children"))

    def as_dict(self) -> dict[str, bool]:
        return {
            "mine": self.mine,
            "region": self.region,
            "overdue": self.overdue,
            "children": self.children,
        }


@dataclass(frozen=True)
class QueueItem:
    task_id: int
    # None for a danger signal from a number nobody holds: `phone` says which.
    returnee_id: int | None
    name: str
    kind: TaskKind
    bucket: Bucket
    reason: str
    due_at: datetime
    waiting_since: datetime
    is_child: bool
    risk_level: RiskLevel | None
    risk_reasons: list
    assigned_to_id: int | None
    phone: str = ""
    acknowledged: bool = False
    # The number to call the person on (a child's: the guardian's), and the others of their
    # household the reader reaches, by name.
    call_number: str = ""
    household: tuple[str, ...] = ()


def build_queue(
    session: Session, actor: Actor, criteria: QueueCriteria = QueueCriteria(), limit: int = 50
) -> list[QueueItem]:
    """The queue of the actor's scope. Each bucket is its own indexed query with a limit, so a
    page costs the same with ten thousand open tasks as with ten."""
    actor.require_role(Role.SOCIAL_WORKER, Role.SUPERVISOR)
    limit = max(1, min(limit, MAX_ITEMS))
    _without_parallel_workers(session)
    now = utcnow()
    end_of_today = _end_of_day(actor, now)
    high = RiskFlag.level == RiskLevel.HIGH
    not_urgent = Task.kind != TaskKind.URGENT_SAFETY
    buckets = [
        (Bucket.URGENT, Task.kind == TaskKind.URGENT_SAFETY, (Task.created_at,)),
        (Bucket.OVERDUE, and_(not_urgent, Task.due_at < now), (Task.due_at,)),
        (Bucket.HIGH_RISK, and_(not_urgent, Task.due_at >= now, high), (Task.due_at,)),
        (
            Bucket.DUE_TODAY,
            and_(
                not_urgent,
                Task.due_at >= now,
                Task.due_at < end_of_today,
                or_(RiskFlag.level.is_(None), ~high),
            ),
            (Task.due_at,),
        ),
        (
            Bucket.LATER,
            and_(not_urgent, Task.due_at >= end_of_today, or_(RiskFlag.level.is_(None), ~high)),
            (Task.due_at,),
        ),
    ]
    if criteria.overdue:
        buckets = buckets[:2]
    scope = _people_in_scope(session, actor, criteria)
    items = [] if criteria.mine or criteria.children else _unknown_senders(session, actor, limit)
    if criteria.mine:
        items = _caseload_queue(session, _base(actor, criteria, scope), buckets, limit)
        return _with_contacts(session, actor, items)
    for bucket, condition, order in buckets:
        remaining = limit - len(items)
        if remaining <= 0:
            break
        query = _base(actor, criteria, scope).where(condition)
        query = query.order_by(*order, Task.id).limit(remaining)
        items += [_item(bucket, *row) for row in session.execute(query).all()]
    return _with_contacts(session, actor, items)


def _with_contacts(session: Session, actor: Actor, items: list[QueueItem]) -> list[QueueItem]:
    """Each item with the number to call its person on and their household, read for the
    people of this page only (two small queries)."""
    people = {item.returnee_id for item in items if item.returnee_id}
    if not people:
        return items
    numbers = contact_phones(session, people)
    families = _households(session, actor, people)
    return [
        replace(
            item,
            call_number=_number_to_call(numbers.get(item.returnee_id, {}), item.is_child),
            household=families.get(item.returnee_id, ()),
        )
        if item.returnee_id
        else item
        for item in items
    ]


def _number_to_call(numbers: dict[Asked, dict], is_child: bool) -> str:
    order = (Asked.GUARDIAN, Asked.RETURNEE) if is_child else (Asked.RETURNEE, Asked.GUARDIAN)
    return next((numbers[asked]["phone"] for asked in order if asked in numbers), "")


def _households(session: Session, actor: Actor, people: set[int]) -> dict[int, tuple[str, ...]]:
    """By person, the names of the others of any household they arrived in, among the
    people the actor reaches (a family split between offices shows each office its own)."""
    theirs = aliased(Arrival)
    query = (
        select(theirs.returnee_id, Returnee.given_names, Returnee.family_names)
        .select_from(theirs)
        .join(
            Arrival,
            and_(
                Arrival.household_id == theirs.household_id,
                Arrival.returnee_id != theirs.returnee_id,
            ),
        )
        .join(Returnee, Returnee.id == Arrival.returnee_id)
        .where(
            theirs.returnee_id.in_(people),
            theirs.household_id.is_not(None),
            returnee_scope(actor),  # a subquery: the page's few people need no list read first
        )
        .distinct()
        .order_by(theirs.returnee_id, Returnee.given_names)
    )
    families: dict[int, tuple[str, ...]] = {}
    for returnee_id, given, family in session.execute(query):
        families[returnee_id] = (*families.get(returnee_id, ()), f"{given} {family}")
    return families


def _unknown_senders(session: Session, actor: Actor, limit: int) -> list[QueueItem]:
    """Danger signals from numbers nobody holds, first in the queue of their country's
    supervisors and of those on its on-call rotas (a number from another country: every
    country's)."""
    query = (
        select(Task)
        .where(
            Task.returnee_id.is_(None),
            Task.kind == TaskKind.URGENT_SAFETY,
            Task.status == TaskStatus.OPEN,
            sees_unknown_senders(actor),
        )
        .order_by(Task.created_at, Task.id)
        .limit(limit)
    )
    return [_item(Bucket.URGENT, task, "", "", None, None) for task in session.scalars(query)]


def _caseload_queue(session: Session, base: Select, buckets: list, limit: int) -> list[QueueItem]:
    """The queue of one worker's cases in one query, ordered by bucket then by each bucket's
    own order. A query a bucket would read the worker's whole caseload once for each (30,000
    cases: 30 ms each); their open tasks are few, and sorting them all costs less."""
    rank = case(*[(condition, number) for number, (_b, condition, _o) in enumerate(buckets)])
    within = case(*[(rank == number, order[0]) for number, (_b, _c, order) in enumerate(buckets)])
    query = base.add_columns(rank).where(rank.is_not(None)).order_by(rank, within, Task.id)
    rows = session.execute(query.limit(limit)).all()
    return [_item(buckets[row[-1]][0], *row[:-1]) for row in rows]


def _base(actor: Actor, criteria: QueueCriteria, scope: ColumnElement[bool]) -> Select:
    query = (
        select(Task, Returnee.given_names, Returnee.family_names, Case, RiskFlag)
        .join(Returnee, Task.returnee_id == Returnee.id)
        .outerjoin(
            Case, and_(Case.returnee_id == Task.returnee_id, Case.status != CaseStatus.CLOSED)
        )
        .outerjoin(RiskFlag, RiskFlag.returnee_id == Task.returnee_id)
        .where(Task.status == TaskStatus.OPEN, scope)
    )
    if actor.role is not Role.SUPERVISOR:
        query = query.where(Task.kind != TaskKind.APPROVE_CLOSING)
    if criteria.mine:
        query = query.where(*_caseload_of(actor))
    if criteria.children:
        query = query.where(Case.is_child.is_(True))
    return query


def _people_in_scope(
    session: Session, actor: Actor, criteria: QueueCriteria
) -> ColumnElement[bool]:
    """Whose tasks the queue shows: the scope rule with its centres read first, as lists of
    ids (joined as a table, the few centres of a region became the outer loop of the plan, and
    everything under it ran once for each: a worker's own queue took 3 times 27 ms)."""
    scope = returnee_scope(actor, session, with_assigned=False)
    return and_(scope, in_region(actor, session)) if criteria.region else scope


def _without_parallel_workers(session: Session) -> None:
    """For the rest of this transaction, no parallel workers on PostgreSQL: each bucket query
    reads a few thousand index entries, and starting workers (once per loop of a nested plan)
    cost more than they saved (a filtered queue took 130 ms with them, 25 without)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def _caseload_of(actor: Actor) -> tuple:
    """The tasks of the actor's open cases. The second condition says the same as the first;
    it gives PostgreSQL the caseload to start from (the open cases by worker, read from their
    index and merged with the tasks) where it would test every open task of the region against
    the cases: 24 ms instead of 80 for a worker with 30,000 cases and a rare filter on top."""
    if not actor.user_id:
        return (false(),)
    caseload = aliased(Case)
    of_actor = select(caseload.returnee_id).where(
        caseload.assigned_to_id == actor.user_id, caseload.status != CaseStatus.CLOSED
    )
    return Case.assigned_to_id == actor.user_id, Task.returnee_id.in_(of_actor)


def _item(
    bucket: Bucket, task: Task, given: str, family: str, case: Case | None, flag: RiskFlag | None
) -> QueueItem:
    return QueueItem(
        task_id=task.id,
        returnee_id=task.returnee_id,
        name=f"{given} {family}" if task.returnee_id else phone_label(task.phone),
        kind=task.kind,
        bucket=bucket,
        reason=task.reason,
        due_at=task.due_at,
        waiting_since=task.created_at,
        is_child=bool(case and case.is_child),
        risk_level=flag.level if flag else None,
        risk_reasons=list(flag.reasons) if flag else [],
        assigned_to_id=case.assigned_to_id if case else None,
        phone=task.phone,
        acknowledged=task.acknowledged_at is not None,
    )


def phone_label(number: str) -> str:
    """A number as people write it (+502 5555 1234); as it came when it is not one."""
    try:
        return format_phone(number)
    except phonenumbers.NumberParseException:
        return number or "—"


def _end_of_day(actor: Actor, now: datetime) -> datetime:
    zone = ZoneInfo(COUNTRY_TIMEZONES[actor.country]) if actor.country else ZoneInfo("UTC")
    return start_of_day(now, zone, days_later=1)


def reason_in_words(item: QueueItem) -> str:
    """The item's reason in the reader's language (see casework.reasons)."""
    return task_reason_in_words(item.kind, item.reason, item.risk_reasons)


def waited(item: QueueItem, now: datetime) -> str:
    """How long an item has waited, in words: "3 h", "2 days"."""
    seconds = max(int((now - item.waiting_since).total_seconds()), 0)
    if seconds < 3600:
        return str(_("%(n)s min", n=seconds // 60))
    if seconds < 48 * 3600:
        return str(_("%(n)s h", n=seconds // 3600))
    return str(_("%(n)s days", n=seconds // 86400))
