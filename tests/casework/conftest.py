from __future__ import annotations

from datetime import timedelta

import pytest

from returnees.auth.models import Role
from returnees.tasks.models import Task, TaskKind, TaskStatus


@pytest.fixture
def worker(make_user, demo):
    return make_user(Role.SOCIAL_WORKER, "GT-AURORA", name="Wendy Worker")


@pytest.fixture
def supervisor(make_user, demo):
    return make_user(Role.SUPERVISOR, "GT-AURORA", name="Sara Supervisor")


@pytest.fixture
def add_task(in_app, clock):
    """Open a task on a person, due `due_in` from now (negative: overdue), created `age` ago."""

    def add(
        returnee_id: int,
        kind: TaskKind = TaskKind.CALL,
        *,
        due_in=timedelta(hours=2),
        age=timedelta(hours=1),
        reason: str = "no answer",
    ) -> int:
        with in_app() as session:
            task = Task(
                returnee_id=returnee_id,
                kind=kind,
                status=TaskStatus.OPEN,
                priority=0 if kind is TaskKind.URGENT_SAFETY else 10,
                reason=reason,
                subject=f"test:{kind.value}:{due_in}",
                due_at=clock.now() + due_in,
                created_at=clock.now() - age,
            )
            session.add(task)
            session.flush()
            return task.id

    return add
