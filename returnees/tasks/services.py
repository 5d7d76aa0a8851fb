"""Open and list tasks; one open task per kind, person and subject."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.auth.models import Role, User
from returnees.centres.models import Centre
from returnees.core.clock import utcnow
from returnees.people.models import Channel, Returnee
from returnees.tasks.models import Task, TaskKind, TaskStatus

log = logging.getLogger(__name__)

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


def open_tasks_of(session: Session, returnee_id: int) -> list[Task]:
    query = select(Task).where(Task.returnee_id == returnee_id, Task.status == TaskStatus.OPEN)
    return list(session.scalars(query.order_by(Task.priority, Task.due_at)))


def open_urgent_task(session: Session, returnee_id: int, reason: str, *, subject: str) -> Task:
    """An urgent safety task, at the top of every queue; a new one alerts whoever is on call."""
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
        alert_on_call(session, task)
    return task


def on_call_numbers(session: Session, returnee_id: int) -> list[tuple[str, str]]:
    """(phone, language) of the social workers on call in the person's region; the fallback
    number from the settings when nobody is."""
    centre = session.scalar(
        select(Centre)
        .join(Returnee, Returnee.centre_id == Centre.id)
        .where(Returnee.id == returnee_id)
    )
    workers = session.execute(
        select(User.phone, User.locale)
        .join(Centre, User.centre_id == Centre.id)
        .where(
            User.role == Role.SOCIAL_WORKER,
            User.is_enabled.is_(True),
            User.is_on_call.is_(True),
            User.phone != "",
            Centre.country == centre.country,
            Centre.region == centre.region,
        )
        .order_by(User.id)
    ).all()
    if workers:
        return [(row.phone, row.locale) for row in workers]
    fallback = current_app.config.get("ON_CALL_FALLBACK_PHONE") or ""
    return [(fallback, "es")] if fallback else []


def alert_on_call(session: Session, task: Task) -> int:
    """A discreet SMS to the social workers on call: it names no one, only the task's number."""
    from returnees.messaging.models import URGENT
    from returnees.messaging.services import queue_template_message

    numbers = on_call_numbers(session, task.returnee_id)
    if not numbers:
        log.warning("urgent task %s: nobody is on call and no fallback number is set", task.id)
    for phone, language in numbers:
        queue_template_message(
            session,
            phone,
            "on_call_alert",
            channel=Channel.SMS,
            returnee_id=None,
            language=language,
            options=str(task.id),
            needs_consent=False,
            priority=URGENT,
        )
    return len(numbers)
