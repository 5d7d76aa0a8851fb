"""What a social worker does from the queue, in one or two clicks: a call, a visit, another day,
done; and a supervisor's assignment and the closing of a case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from returnees.audit.models import AuditEntry
from returnees.casework.models import Case, CaseContact, CaseStatus
from returnees.followups.models import CheckIn, CheckInState
from returnees.people.models import Phone
from returnees.tasks.models import Task, TaskKind, TaskStatus
from tests.conftest import csrf_token


def post(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/queue"), **data})


def task_of(in_app, task_id: int) -> Task:
    with in_app() as session:
        return session.get(Task, task_id)


@pytest.mark.parametrize(
    ("outcome", "status", "moved"),
    [("reached", TaskStatus.DONE, False), ("not_reached", TaskStatus.OPEN, True)],
)
def test_a_call_is_recorded_in_one_click(
    app, register, add_task, in_app, clock, worker, sign_in_as, outcome, status, moved
):
    person = register().returnee_id
    task_id = add_task(person)
    response = post(
        sign_in_as(worker),
        f"/tasks/{task_id}/contact",
        kind="call",
        outcome=outcome,
        note="habló la mamá",
    )
    assert response.status_code == 302
    task = task_of(in_app, task_id)
    assert task.status is status
    assert (task.due_at == clock.now() + timedelta(days=1)) is moved
    with in_app() as session:
        contact = session.scalars(select(CaseContact)).one()
        assert (contact.outcome.value, contact.note, contact.made_by_id) == (
            outcome,
            "habló la mamá",
            worker.id,
        )
        assert session.scalar(select(AuditEntry).where(AuditEntry.record_type == "case_contact"))


def test_a_wrong_number_stops_its_check_ins_and_asks_for_a_new_one(
    app, register, add_task, in_app, worker, sign_in_as
):
    person = register(phones=("5555 1234",)).returnee_id
    task_id = add_task(person)
    post(sign_in_as(worker), f"/tasks/{task_id}/contact", kind="call", outcome="wrong_number")
    with in_app() as session:
        assert session.scalars(select(Phone.is_usable)).all() == [False]
        states = set(session.scalars(select(CheckIn.state).where(CheckIn.returnee_id == person)))
        kinds = session.scalars(select(Task.kind).where(Task.status == TaskStatus.OPEN)).all()
    assert CheckInState.SCHEDULED not in states
    assert kinds == [TaskKind.FIND_NEW_NUMBER]


def test_a_wrong_number_on_a_guardians_call_marks_the_guardians_number(
    app, register, in_app, worker, sign_in_as
):
    from returnees.reception.intake import PhoneEntry
    from returnees.tasks.services import open_task

    child = register(
        estimated_age=12,
        phones=(
            PhoneEntry("5555 1111", owner="self", consent=True),
            PhoneEntry("5555 2222", owner="relative", consent=True),
        ),
    ).returnee_id
    with in_app() as session:
        asked = session.scalars(select(CheckIn).where(CheckIn.returnee_id == child)).first()
        task_id = open_task(
            session, TaskKind.CALL, child, "no answer", subject=f"check-in:{asked.id}"
        ).id
    post(sign_in_as(worker), f"/tasks/{task_id}/contact", kind="call", outcome="wrong_number")
    with in_app() as session:
        usable = {phone.number: phone.is_usable for phone in session.scalars(select(Phone))}
    assert usable == {"+50255551111": True, "+50255552222": False}


def test_a_bad_outcome_changes_nothing_and_keeps_the_note(
    app, register, add_task, in_app, worker, sign_in_as
):
    task_id = add_task(register().returnee_id)
    response = post(
        sign_in_as(worker),
        f"/tasks/{task_id}/contact",
        kind="call",
        outcome="met",
        note="nota que no se pierde",
    )
    assert response.status_code == 422
    assert "nota que no se pierde" in response.get_data(as_text=True)
    assert task_of(in_app, task_id).status is TaskStatus.OPEN
    with in_app() as session:
        assert session.scalars(select(CaseContact)).all() == []


def test_a_visit_a_new_day_and_closing_a_task(
    app, register, add_task, in_app, clock, worker, sign_in_as
):
    client = sign_in_as(worker)
    visit = add_task(register().returnee_id, TaskKind.VISIT)
    post(client, f"/tasks/{visit}/contact", kind="visit", outcome="met")
    assert task_of(in_app, visit).status is TaskStatus.DONE
    later = add_task(register(given_names="Beto").returnee_id)
    assert post(client, f"/tasks/{later}/reschedule", due_on="2026-12-10").status_code == 302
    assert task_of(in_app, later).due_at.isoformat() == "2026-12-10T14:00:00+00:00"  # 08:00 local
    assert post(client, f"/tasks/{later}/reschedule", due_on="2026-11-01").status_code == 422
    assert post(client, f"/tasks/{later}/reschedule", due_on="11122026").status_code == 302
    assert task_of(in_app, later).due_at.isoformat() == "2026-12-11T14:00:00+00:00", "day first"
    assert post(client, f"/tasks/{later}/close", note="resuelto").status_code == 302
    assert task_of(in_app, later).status is TaskStatus.DONE
    assert post(client, f"/tasks/{later}/close").status_code == 409, "closed once"


def test_an_answer_clears_the_call_about_an_unanswered_check_in(app, register, in_app, clock):
    from tests.followups.test_answers import ask_only
    from tests.followups.test_dispatch import run_jobs
    from tests.messaging.test_webhooks import message, post_signed

    person = register(phones=("5555 1234",)).returnee_id
    with in_app() as session:
        from returnees.tasks.services import open_task

        call = open_task(session, TaskKind.CALL, person, "no answer", subject="check-in:1").id
    ask_only(in_app, "arrived_safe")
    run_jobs(in_app)
    post_signed(app, message(body="si"))
    run_jobs(in_app)
    assert task_of(in_app, call).status is TaskStatus.DONE


def case_of(in_app, returnee_id: int) -> Case:
    with in_app() as session:
        return session.scalars(select(Case).where(Case.returnee_id == returnee_id)).one()


def test_a_supervisor_assigns_in_bulk_and_sees_the_caseload(
    app, register, add_task, in_app, worker, supervisor, sign_in_as, token_for
):
    people = [register(given_names=name).returnee_id for name in ("Ana", "Bea", "Cleo")]
    add_task(people[0], due_in=-timedelta(hours=1))
    client = sign_in_as(supervisor)
    page = client.get("/cases/assign").get_data(as_text=True)
    assert all(name in page for name in ("Ana", "Bea", "Cleo"))
    response = client.post(
        "/cases/assign",
        data={
            "csrf_token": csrf_token(client, "/cases/assign"),
            "worker_id": worker.id,
            "returnee_ids": people[:2],
        },
    )
    assert response.status_code == 302
    assert [case_of(in_app, p).assigned_to_id for p in people] == [worker.id, worker.id, None]
    loads = app.test_client().get("/api/v1/caseloads", headers=token_for(supervisor)).get_json()
    mine = next(load for load in loads if load["worker_id"] == worker.id)
    assert (mine["open_cases"], mine["overdue"]) == (2, 1)


def test_assignment_is_all_or_none(app, register, in_app, worker, supervisor, token_for, make_user):
    from returnees.auth.models import Role

    here = register().returnee_id
    elsewhere = register(centre="GT-TECUN", given_names="Lejos").returnee_id  # San Marcos
    response = app.test_client().post(
        "/api/v1/cases/assign",
        json={"returnee_ids": [here, elsewhere], "worker_id": worker.id},
        headers=token_for(supervisor),
    )
    assert response.status_code == 422
    assert "worker_id" in response.get_json()["error"]["fields"]
    assert case_of(in_app, here).assigned_to_id is None
    desk = make_user(Role.RECEPTION, "GT-AURORA")
    refused = app.test_client().post(
        "/api/v1/cases/assign",
        json={"returnee_ids": [here], "worker_id": desk.id},
        headers=token_for(supervisor),
    )
    assert refused.status_code == 422


def test_unassigned_cases_reach_the_supervisors_home_in_time(
    app, register, in_app, clock, supervisor, sign_in_as
):
    from tests.casework.test_queue import flag_high

    risky = register(given_names="Alta").returnee_id
    register(given_names="Baja")
    flag_high(in_app, risky, clock)
    client = sign_in_as(supervisor)
    home = client.get("/").get_data(as_text=True)
    assert "Alta López" not in home.split('id="urgent"')[1].split("</section>")[1]
    clock.at = clock.now() + timedelta(hours=1, minutes=1)
    waiting = client.get("/").get_data(as_text=True).split('id="urgent"')[1].split("</section>")[1]
    assert "Alta López" in waiting and "Baja López" not in waiting
    clock.at = clock.now() + timedelta(days=1)
    waiting = client.get("/").get_data(as_text=True).split('id="urgent"')[1].split("</section>")[1]
    assert "Baja López" in waiting


def test_closing_an_adults_case_cancels_what_is_pending(
    app, register, add_task, in_app, worker, token_for
):
    person = register(phones=("5555 1234",)).returnee_id
    add_task(person)
    response = app.test_client().post(
        f"/api/v1/returnees/{person}/close",
        json={"reason": "reintegrated", "note": "trabaja"},
        headers=token_for(worker),
    )
    assert response.status_code == 200 and response.get_json()["status"] == "closed"
    with in_app() as session:
        states = set(session.scalars(select(CheckIn.state).where(CheckIn.returnee_id == person)))
        open_tasks = session.scalars(select(Task).where(Task.status == TaskStatus.OPEN)).all()
    assert states == {CheckInState.CANCELLED} and open_tasks == []
    bad = app.test_client().post(
        f"/api/v1/returnees/{person}/close", json={"reason": "bored"}, headers=token_for(worker)
    )
    assert bad.status_code == 409, "a closed case is not closed twice"


def test_closing_a_childs_case_waits_for_a_supervisor(
    app, register, in_app, worker, supervisor, token_for, sign_in_as
):
    child = register(given_names="Nico", estimated_age=11, phones=("5555 1234",)).returnee_id
    client = app.test_client()
    refused = client.post(
        f"/api/v1/returnees/{child}/close", json={"reason": "whatever"}, headers=token_for(worker)
    )
    assert refused.status_code == 422 and case_of(in_app, child).status is CaseStatus.OPEN
    asked = client.post(
        f"/api/v1/returnees/{child}/close", json={"reason": "moved"}, headers=token_for(worker)
    )
    assert asked.get_json()["status"] == "closing"
    with in_app() as session:
        assert CheckInState.SCHEDULED in set(session.scalars(select(CheckIn.state)))
        approval = session.scalars(select(Task).where(Task.kind == TaskKind.APPROVE_CLOSING)).one()
    assert approval.status is TaskStatus.OPEN
    home = sign_in_as(supervisor).get("/").get_data(as_text=True)
    assert "Nico López</a> · Se mudó" in home, "the reason in the reader's language"
    assert (
        client.post(
            f"/api/v1/returnees/{child}/close/approve", json={}, headers=token_for(worker)
        ).status_code
        == 403
    )
    approved = client.post(
        f"/api/v1/returnees/{child}/close/approve", json={}, headers=token_for(supervisor)
    )
    assert approved.get_json()["status"] == "closed"
    with in_app() as session:
        assert CheckInState.SCHEDULED not in set(session.scalars(select(CheckIn.state)))


def test_a_supervisor_may_refuse_closing_a_childs_case(
    app, register, in_app, worker, supervisor, token_for
):
    child = register(estimated_age=9).returnee_id
    client = app.test_client()
    client.post(
        f"/api/v1/returnees/{child}/close",
        json={"reason": "contact_lost"},
        headers=token_for(worker),
    )
    refused = client.post(
        f"/api/v1/returnees/{child}/close/approve",
        json={"approve": False},
        headers=token_for(supervisor),
    )
    assert refused.get_json()["status"] == "open"


def test_approving_when_nothing_waits_is_a_clear_conflict(app, register, supervisor, token_for):
    person = register().returnee_id
    response = app.test_client().post(
        f"/api/v1/returnees/{person}/close/approve", json={}, headers=token_for(supervisor)
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["message"]


def test_a_call_recorded_from_the_record_answers_the_persons_open_call(
    app, register, add_task, in_app, worker, sign_in_as
):
    person = register().returnee_id
    task_id = add_task(person)
    client = sign_in_as(worker)
    assert f'action="/returnees/{person}/contacts"' in client.get(f"/returnees/{person}").text
    response = post(
        client, f"/returnees/{person}/contacts", kind="call", outcome="reached", note="en casa"
    )
    assert response.status_code == 302
    assert task_of(in_app, task_id).status is TaskStatus.DONE
    with in_app() as session:
        contact = session.scalars(select(CaseContact)).one()
    assert (contact.task_id, contact.note) == (task_id, "en casa")
    assert "en casa" in client.get(f"/returnees/{person}").text


def test_a_visit_with_no_task_is_recorded_on_the_record_alone(
    app, register, in_app, worker, token_for
):
    person = register().returnee_id
    response = app.test_client().post(
        f"/api/v1/returnees/{person}/contacts",
        json={"kind": "visit", "outcome": "met", "note": "visita a la casa"},
        headers=token_for(worker),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["task_id"] is None
    with in_app() as session:
        contact = session.scalars(select(CaseContact)).one()
        assert (contact.returnee_id, contact.kind.value, contact.made_by_id) == (
            person,
            "visit",
            worker.id,
        )
        assert session.scalar(select(AuditEntry).where(AuditEntry.record_type == "case_contact"))


def test_a_wrong_number_from_the_record_marks_the_number_asked_on(
    app, register, in_app, worker, sign_in_as
):
    person = register(phones=("5555 1234",)).returnee_id
    post(sign_in_as(worker), f"/returnees/{person}/contacts", kind="call", outcome="wrong_number")
    with in_app() as session:
        assert session.scalars(select(Phone.is_usable)).all() == [False]
        kinds = session.scalars(select(Task.kind).where(Task.status == TaskStatus.OPEN)).all()
    assert kinds == [TaskKind.FIND_NEW_NUMBER]


def test_a_bad_contact_on_the_record_changes_nothing_and_keeps_the_note(
    app, register, in_app, worker, sign_in_as
):
    person = register().returnee_id
    response = post(
        sign_in_as(worker),
        f"/returnees/{person}/contacts",
        kind="call",
        outcome="met",
        note="lo que escribí",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "lo que escribí" in page and 'role="alert"' in page
    with in_app() as session:
        assert session.scalars(select(CaseContact)).all() == []
