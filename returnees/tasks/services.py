"""Open and list tasks; one open task per kind, person and subject."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.core.clock import utcnow
from returnees.tasks.models import Task, TaskKind, TaskStatus


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
        due_at=now,
        created_at=now,
    )
    session.add(task)
    session.flush()
    return task


def open_tasks_of(session: Session, returnee_id: int) -> list[Task]:
    query = select(Task).where(Task.returnee_id == returnee_id, Task.status == TaskStatus.OPEN)
    return list(session.scalars(query.order_by(Task.priority, Task.due_at)))
