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


SAN_MARCOS = ["GT-1201", "GT-1217", "GT-1215"]  # San Marcos, Ayutla, Malacatán
HUEHUETENANGO = ["GT-1301", "GT-1302"]


@pytest.fixture
def offices(demo, make_centre, make_user, token_for, app):
    """Two offices of Guatemala with their coverage (set through the API), a social worker at
    each, the social worker of La Aurora's region, and a supervisor."""
    san_marcos = make_centre(code="GT-SM-01", kind="office", region="San Marcos")
    huehue = make_centre(code="GT-HUE-01", kind="office", region="Huehuetenango")
    admin = token_for(make_user(Role.ADMIN, "GT-AURORA"))
    for office, places in ((san_marcos, SAN_MARCOS), (huehue, HUEHUETENANGO)):
        response = app.test_client().put(
            f"/api/v1/centres/{office.code}/coverage",
            json={"municipalities": places},
            headers=admin,
        )
        assert response.status_code == 200, response.get_json()
    return {
        "san_marcos": make_user(Role.SOCIAL_WORKER, san_marcos, name="Trabajadora SM"),
        "huehue": make_user(Role.SOCIAL_WORKER, huehue, name="Trabajador HUE"),
        "aurora": make_user(Role.SOCIAL_WORKER, "GT-AURORA"),
        "supervisor": make_user(Role.SUPERVISOR, "GT-AURORA"),
        "admin": admin,
    }


@pytest.fixture
def went_home(register, in_app):
    """Someone who arrived at La Aurora and went home to San Marcos, with a task open."""

    def register_with_task(home: str | None = "GT-1201", **fields):
        from returnees.tasks.services import open_task

        arrival = register(home=home or "", given_names="Marta", **fields)
        with in_app() as session:
            open_task(session, TaskKind.CALL, arrival.returnee_id, "no answer", priority=10)
        return arrival

    return register_with_task
