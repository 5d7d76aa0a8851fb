"""Open and list tasks; one open task per kind, person and subject."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from returnees.auth.access import Actor
from returnees.auth.models import OnCallPlace, Role
from returnees.centres.models import Country
from returnees.core.clock import utcnow
from returnees.tasks.models import Task, TaskKind, TaskStatus

# How long each kind of task may wait before it counts as overdue in the queue.
DUE_AFTER = {
    TaskKind.URGENT_SAFETY: timedelta(0),
    TaskKind.REVIEW_REPLY: timedelta(hours=4),
    TaskKind.CALL: timedelta(days=1),
    TaskKind.VISIT: timedelta(days=3),
    TaskKind.FIND_NEW_NUMBER: timedelta(days=2),
    TaskKind.HIGH_RISK: timedelta(days=1),
    TaskKind.REFERRAL_FOLLOW_UP: timedelta(days=2),
    TaskKind.APPROVE_CLOSING: timedelta(days=2),
    TaskKind.SURVEY: timedelta(days=7),
}


def open_task(
    session: Session,
    kind: TaskKind,
    returnee_id: int | None,
    reason: str,
    *,
    subject: str = "",
    priority: int = 50,
) -> Task:
    """Open a task, or return the one already open for the same kind, person and subject."""
    existing = session.scalar(
        select(Task).where(
            Task.kind == kind,
            Task.returnee_id == returnee_id,
            Task.subject == subject,
            Task.status == TaskStatus.OPEN,
        )
    )
    if existing is not None:
        return existing
    now = utcnow()
    task = Task(
        kind=kind,
        returnee_id=returnee_id,
        reason=reason[:300],
        subject=subject,
        priority=priority,
        status=TaskStatus.OPEN,
        due_at=now + DUE_AFTER.get(kind, timedelta(days=1)),
        created_at=now,
    )
    session.add(task)
    session.flush()
    return task


# What stands for a message's words once its retention has passed (and after an erasure).
NO_LONGER_HELD = "—"
# The reasons followups.reading gives a task about a reply, up to the reply's words that they
# quote (casework.reasons reads the same shapes back); a review's reason is the words alone.
QUOTING = re.compile(
    r"^(danger words: |family \([^()]*\): danger words: |shared phone \([^()]*\): "
    r"|unknown number: )",
)
# Those that quote nothing: an answer that was a code, not words.
NOT_QUOTING = re.compile(r"^answered: not (all )?safe")


def without_quote(reason: str) -> str:
    """The reason with the words of the reply it quotes replaced by a dash: "danger words: —",
    "shared phone (Ana, Luis): —"; a reason that is all quote (a reply to review) is a dash."""
    if NOT_QUOTING.match(reason):
        return reason
    if match := QUOTING.match(reason):
        return match.group(1) + NO_LONGER_HELD
    return NO_LONGER_HELD


def forget_quoted_replies(session: Session, inbound_ids: list[int]) -> int:
    """Tasks opened about these replies (subject `reply:<id>`) stop quoting their words: what
    message retention does to the task when it erases the reply; how many changed."""
    if not inbound_ids:
        return 0
    subjects = [f"reply:{inbound_id}" for inbound_id in inbound_ids]
    changed = 0
    for task in session.scalars(select(Task).where(Task.subject.in_(subjects))):
        if (forgotten := without_quote(task.reason)) != task.reason:
            task.reason, changed = forgotten, changed + 1
    return changed


def mark_done(task: Task, user_id: int | None, note: str = "") -> None:
    """Close an open task as done by this user (the work it asked for was done elsewhere)."""
    if task.status is TaskStatus.OPEN:
        task.status, task.closed_at, task.closed_by_id = TaskStatus.DONE, utcnow(), user_id
        task.close_note = note[:2000]


def open_tasks_of(session: Session, returnee_id: int) -> list[Task]:
    query = select(Task).where(Task.returnee_id == returnee_id, Task.status == TaskStatus.OPEN)
    return list(session.scalars(query.order_by(Task.priority, Task.due_at)))


def open_urgent_task(
    session: Session,
    returnee_id: int | None,
    reason: str,
    *,
    subject: str,
    phone: str = "",
    country: Country | None = None,
) -> Task:
    """An urgent safety task, at the top of every queue; a new one alerts whoever is on call.
    `phone` is the number the signal came from; a task about nobody known takes the `country`
    whose staff see it (None: every country's)."""
    from returnees.tasks.alerts import alert_on_call

    before = session.scalar(
        select(Task.id).where(
            Task.kind == TaskKind.URGENT_SAFETY,
            Task.returnee_id == returnee_id,
            Task.subject == subject,
            Task.status == TaskStatus.OPEN,
        )
    )
    task = open_task(
        session, TaskKind.URGENT_SAFETY, returnee_id, reason, subject=subject, priority=0
    )
    if before is None:
        task.phone, task.country = phone, country if returnee_id is None else None
        session.flush()
        alert_on_call(session, task)
    return task


def sees_unknown_senders(actor: Actor) -> ColumnElement[bool]:
    """Who sees a task about no known person: the supervisors of the country its number calls
    from and those on that country's on-call rotas; a number of another country, every
    country's."""
    if actor.is_system:
        return true()
    on_a_rota = select(OnCallPlace.id).where(OnCallPlace.user_id == actor.user_id).exists()
    if actor.role is not Role.SUPERVISOR:
        if actor.role is not Role.SOCIAL_WORKER or not actor.user_id:
            return false()
        return and_(on_a_rota, or_(Task.country == actor.country, Task.country.is_(None)))
    return or_(Task.country == actor.country, Task.country.is_(None))
