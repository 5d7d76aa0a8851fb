"""Supervisors read who has looked at a person: on the record and through the API, every entry
that names them (views, lists that showed them, changes), newest first, paged."""

from __future__ import annotations

from returnees.audit.queries import PAGE_SIZE
from returnees.audit.services import record_view
from returnees.auth.access import Actor
from returnees.auth.models import Role


def test_a_supervisor_reads_who_looked_at_a_record(register, make_user, sign_in_as):
    person = register(given_names="Rosa Amalia").returnee_id
    other = register(given_names="Otra").returnee_id
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA", name="Wendy Worker")
    desk = make_user(Role.RECEPTION, "GT-AURORA", name="Diego Desk")
    sign_in_as(worker).get(f"/returnees/{person}")
    sign_in_as(desk).get("/returnees/?q=Rosa")
    sign_in_as(make_user(Role.SOCIAL_WORKER, "GT-AURORA", name="Olga Other")).get(
        f"/returnees/{other}"
    )
    supervisor = sign_in_as(make_user(Role.SUPERVISOR, "GT-AURORA"))
    record = supervisor.get(f"/returnees/{person}").get_data(as_text=True)
    assert f'href="/returnees/{person}/audit"' in record
    page = supervisor.get(f"/returnees/{person}/audit").get_data(as_text=True)
    assert "Wendy Worker" in page, "who opened the record"
    assert "Diego Desk" in page, "who was shown the person in a list"
    assert "Olga Other" not in page, "who looked at someone else"


def test_the_api_pages_the_entries_about_a_person(register, make_user, token_for, in_app, app):
    person = register().returnee_id
    with in_app() as session:
        for _ in range(PAGE_SIZE + 2):
            record_view(session, Actor.system("viewer"), "returnee", person)
    client, headers = app.test_client(), token_for(make_user(Role.SUPERVISOR, "GT-AURORA"))
    first = client.get(f"/api/v1/returnees/{person}/audit", headers=headers).get_json()
    second = client.get(f"/api/v1/returnees/{person}/audit?page=2", headers=headers).get_json()
    assert len(first) == PAGE_SIZE and first[0]["id"] > first[-1]["id"], "newest first"
    # Reading is written too: page 2, asked after page 1, starts one entry later.
    assert len(second) >= 2 and second[0]["id"] <= first[-1]["id"]
    assert all(entry["record_id"] == str(person) for entry in first)
    views = [entry for entry in first + second if entry["actor"] == "viewer"]
    assert len({entry["id"] for entry in views}) == PAGE_SIZE + 2, "every view, on two pages"
    bad = client.get(f"/api/v1/returnees/{person}/audit?page=0", headers=headers)
    assert bad.status_code == 422


def test_only_supervisors_read_it(register, make_user, sign_in_as, token_for, app):
    person = register().returnee_id
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA")
    assert sign_in_as(worker).get(f"/returnees/{person}/audit").status_code == 403
    assert f"/returnees/{person}/audit" not in sign_in_as(worker).get(
        f"/returnees/{person}"
    ).get_data(as_text=True)
    answer = app.test_client().get(f"/api/v1/returnees/{person}/audit", headers=token_for(worker))
    assert answer.status_code == 403


def test_a_supervisor_of_another_country_is_refused(register, make_user, token_for, app):
    person = register().returnee_id
    honduran = make_user(Role.SUPERVISOR, "HN-SPS")
    answer = app.test_client().get(f"/api/v1/returnees/{person}/audit", headers=token_for(honduran))
    assert answer.status_code == 403
