"""Erasing a person takes two supervisors of their country: one asks, with a reason, and another
approves. Then the tables hold nothing that names, reaches or quotes the person, and every
number a supervisor reads is what it was."""

from __future__ import annotations

from sqlalchemy import select, text

from returnees.audit.models import AuditEntry
from returnees.auth.access import Actor
from returnees.casework.stats import programme_numbers
from returnees.core.db import Base
from returnees.people.models import Returnee
from returnees.rights.erasure import age_band
from returnees.rights.models import Erasure, ErasureStatus
from tests.conftest import csrf_token
from tests.rights.conftest import SECRETS


def ask(app, token_for, person, reason: str = "pidió por escrito que se borren sus datos"):
    return app.test_client().post(
        f"/api/v1/returnees/{person.returnee_id}/erasure",
        json={"reason": reason},
        headers=token_for(person.asker),
    )


def decide(app, headers, erasure_id: int, decision: str = "approve"):
    return app.test_client().post(f"/api/v1/erasures/{erasure_id}/{decision}", headers=headers)


def name_of(in_app, returnee_id: int) -> str:
    with in_app() as session:
        return session.get(Returnee, returnee_id).full_name


def rows_holding(in_app, secrets: tuple[str, ...]) -> list[str]:
    """Every row of every table, read with plain SQL, that holds one of the secrets."""
    found = []
    with in_app() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(text(f"SELECT * FROM {table.name}")):
                line = str(tuple(row)).lower()
                found += [f"{table.name}: {secret}" for secret in secrets if secret.lower() in line]
    return found


def test_the_one_who_asked_cannot_approve_and_a_second_supervisor_can(
    app, person, token_for, in_app
):
    asked = ask(app, token_for, person)
    assert asked.status_code == 201, asked.get_json()
    erasure_id = asked.get_json()["id"]
    assert name_of(in_app, person.returnee_id) == "Zoila Quintanilla Ordóñez"
    refused = decide(app, token_for(person.asker), erasure_id)
    assert refused.status_code == 403
    assert name_of(in_app, person.returnee_id) == "Zoila Quintanilla Ordóñez"
    approved = decide(app, token_for(person.approver), erasure_id)
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "done"
    assert name_of(in_app, person.returnee_id) == "— —"
    again = decide(app, token_for(person.approver), erasure_id)
    assert again.status_code == 409


def test_a_refused_request_erases_nothing(app, person, token_for, in_app):
    erasure_id = ask(app, token_for, person).get_json()["id"]
    refused = decide(app, token_for(person.approver), erasure_id, "refuse")
    assert refused.get_json()["status"] == "refused"
    assert name_of(in_app, person.returnee_id) == "Zoila Quintanilla Ordóñez"
    assert decide(app, token_for(person.approver), erasure_id).status_code == 409


def test_a_request_needs_a_reason_and_a_supervisor(app, person, token_for, in_app):
    empty = ask(app, token_for, person, reason="   ")
    assert empty.status_code == 422
    assert "reason" in empty.get_json()["error"]["fields"]
    by_worker = app.test_client().post(
        f"/api/v1/returnees/{person.returnee_id}/erasure",
        json={"reason": "quiere"},
        headers=token_for(person.worker),
    )
    assert by_worker.status_code == 403
    with in_app() as session:
        assert session.scalars(select(Erasure)).all() == []


def test_after_erasure_no_table_holds_the_person_s_name_document_phone_or_texts(
    app, person, token_for, in_app, clock
):
    assert rows_holding(in_app, SECRETS), "the person's data was not there to begin with"
    supervisor = Actor.for_user(person.asker)
    with in_app() as session:
        before = programme_numbers(session, supervisor)
    for returnee_id in (person.returnee_id, person.child_id):
        asked = app.test_client().post(
            f"/api/v1/returnees/{returnee_id}/erasure",
            json={"reason": "derecho de supresión"},
            headers=token_for(person.asker),
        )
        decide(app, token_for(person.approver), asked.get_json()["id"])
    assert rows_holding(in_app, SECRETS) == []
    with in_app() as session:
        assert programme_numbers(session, supervisor) == before
        erased = session.get(Returnee, person.returnee_id)
        assert (erased.birth_date, erased.estimated_age) == (None, 35)
        assert (erased.sex.value, erased.nationality.value, erased.arrivals_count) == ("F", "GT", 1)
        [erasure] = session.scalars(
            select(Erasure).where(Erasure.returnee_id == person.returnee_id)
        ).all()
        assert erasure.age_band == "35-44"
        entries = session.scalars(select(AuditEntry).where(AuditEntry.record_type == "erasure"))
        assert all(set(e.detail) <= {"returnee_id", "outcome"} for e in entries)


def test_an_erased_record_shows_as_erased_and_cannot_be_asked_again(
    app, person, token_for, sign_in_as
):
    decide(app, token_for(person.approver), ask(app, token_for, person).get_json()["id"])
    page = sign_in_as(person.worker).get(f"/returnees/{person.returnee_id}")
    assert "Borrado" in page.get_data(as_text=True)
    assert ask(app, token_for, person).status_code == 409


def test_the_supervisor_home_lists_the_request_and_approves_it_from_there(
    app, person, sign_in_as, token_for, in_app
):
    erasure_id = ask(app, token_for, person).get_json()["id"]
    asker_home = sign_in_as(person.asker).get("/").get_data(as_text=True)
    assert f"/erasures/{erasure_id}/approve" not in asker_home, "the asker is offered approval"
    client = sign_in_as(person.approver)
    home = client.get("/").get_data(as_text=True)
    assert "Zoila Quintanilla" in home and f"/erasures/{erasure_id}/approve" in home
    response = client.post(
        f"/erasures/{erasure_id}/approve", data={"csrf_token": csrf_token(client), "next": "/"}
    )
    assert response.status_code == 302
    assert name_of(in_app, person.returnee_id) == "— —"
    with in_app() as session:
        assert session.get(Erasure, erasure_id).status is ErasureStatus.DONE


def test_the_record_page_asks_for_an_erasure(person, sign_in_as, in_app):
    client = sign_in_as(person.asker)
    record = client.get(f"/returnees/{person.returnee_id}").get_data(as_text=True)
    assert f"/returnees/{person.returnee_id}/erasure" in record
    response = client.post(
        f"/returnees/{person.returnee_id}/erasure",
        data={"csrf_token": csrf_token(client), "reason": "lo pidió"},
    )
    assert response.status_code == 302
    with in_app() as session:
        [erasure] = session.scalars(select(Erasure)).all()
        assert (erasure.requested_by_id, erasure.status) == (person.asker.id, ErasureStatus.PENDING)


def test_ages_are_kept_as_bands():
    assert [age_band(age)[1] for age in (0, 5, 6, 13, 17, 18, 30, 59, 60, 90)] == [
        "0-5",
        "0-5",
        "6-11",
        "12-17",
        "12-17",
        "18-24",
        "25-34",
        "45-59",
        "60+",
        "60+",
    ]
    assert age_band(None) == (-1, "")
