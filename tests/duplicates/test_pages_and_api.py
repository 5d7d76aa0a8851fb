"""The supervisors' review page, the merge and undo pages, the API, and what a merged record's
id answers: a redirect, a 301 with Location, a 409 naming the kept record."""

from __future__ import annotations

import re

from sqlalchemy import select

from returnees.audit.models import AuditAction, AuditEntry, AuditEntryPerson
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.duplicates.merging import merge_returnees
from returnees.duplicates.models import DuplicatePair, Merge, PairStatus
from returnees.people.models import Returnee
from returnees.reception.models import Arrival
from returnees.surveys.models import Instrument, SurveyWave, WaveStatus
from returnees.tasks.models import Task, TaskKind, TaskStatus
from tests.conftest import csrf_token


def people_named(in_app, user_id: int, action: AuditAction = AuditAction.VIEW) -> list[set[int]]:
    """The people each of this user's entries of this action names, in order."""
    with in_app() as session:
        entries = session.scalars(
            select(AuditEntry.id)
            .where(AuditEntry.user_id == user_id, AuditEntry.action == action)
            .order_by(AuditEntry.id)
        ).all()
        rows = session.execute(
            select(AuditEntryPerson.entry_id, AuditEntryPerson.returnee_id).where(
                AuditEntryPerson.entry_id.in_(entries)
            )
        ).all()
    named = {entry: set() for entry in entries}
    for entry, person in rows:
        named[entry].add(person)
    return list(named.values())


def the_pair(in_app) -> DuplicatePair:
    with in_app() as session:
        return session.scalars(select(DuplicatePair)).one()


def test_a_supervisor_reviews_the_pairs_side_by_side_and_each_look_is_audited(
    twins, search, sign_in_as, in_app
):
    search()
    client = sign_in_as(twins.supervisor)
    listing = client.get("/people/duplicates/").get_data(as_text=True)
    assert "Brenda Yesenia Coc Pop" in listing and "Brenda Jesenia Coc Pop" in listing
    pair = the_pair(in_app)
    page = client.get(f"/people/duplicates/{pair.id}").get_data(as_text=True)
    given = re.search(r'<tr class="(\w+)">\s*<th scope="row">Nombres</th>', page)
    family = re.search(r'<tr class="(\w+)">\s*<th scope="row">Apellidos</th>', page)
    assert (given.group(1), family.group(1)) == ("differs", "agrees")
    assert page.count("difiere") >= 2, "a difference is said in words, not only in colour"
    assert f'value="{twins.older}" checked' in page, "the older record is kept by default"
    both = {twins.older, twins.newer}
    assert people_named(in_app, twins.supervisor.id)[-2:] == [both, both]


def test_empty_lists_say_what_is_missing_in_spanish(supervisor, sign_in_as):
    listing = sign_in_as(supervisor).get("/people/duplicates/").get_data(as_text=True)
    assert "Ningún par de expedientes espera una decisión." in listing
    assert "Ninguna fusión que todavía pueda deshacerse." in listing
    assert "No hay casos" not in listing


def test_same_person_merges_and_the_undo_page_lists_what_stayed(
    twins, search, sign_in_as, in_app, clock
):
    search()
    client, pair = sign_in_as(twins.supervisor), the_pair(in_app)
    token = csrf_token(client, f"/people/duplicates/{pair.id}")
    merged = client.post(
        f"/people/duplicates/{pair.id}/same", data={"keep": twins.newer, "csrf_token": token}
    )
    with in_app() as session:
        merge = session.scalars(select(Merge)).one()
        assert (merge.kept_id, merge.merged_id) == (twins.newer, twins.older)
        assert session.get(DuplicatePair, pair.id).status is PairStatus.SAME
    assert merged.headers["Location"] == f"/people/duplicates/merges/{merge.id}"
    page = client.get(merged.headers["Location"]).get_data(as_text=True)
    assert "Llegadas: 1" in page and "Deshacer esta fusión" in page
    assert "1 caso abierto cerrado como fusionado" in page
    assert "seguimientos del plan posterior cancelados" in page
    assert people_named(in_app, twins.supervisor.id, AuditAction.MERGE) == [
        {twins.older, twins.newer}
    ]
    undone = client.post(f"/people/duplicates/merges/{merge.id}/undo", data={"csrf_token": token})
    page = client.get(undone.headers["Location"]).get_data(as_text=True)
    assert "Nada se añadió al expediente conservado" in page
    with in_app() as session:
        assert session.get(Returnee, twins.older).merged_into_id is None
        assert session.get(DuplicatePair, pair.id).status is PairStatus.PENDING


def test_the_undo_page_lists_in_spanish_the_rows_added_to_the_kept_record_since(
    twins, sign_in_as, in_app, clock
):
    """A task and a survey opened on the kept record after the merge stay there when it is
    undone; the page names each, in the supervisor's language."""
    client = sign_in_as(twins.supervisor)
    token = csrf_token(client, "/people/duplicates/")
    with in_app() as session:
        merge_id = merge_returnees(
            session, Actor.for_user(twins.supervisor), twins.newer, twins.older
        ).id
    clock.advance(days=3)
    with in_app() as session:
        arrival = session.scalar(select(Arrival).where(Arrival.returnee_id == twins.older))
        instrument = session.scalar(select(Instrument).where(Instrument.is_active.is_(True)))
        task = Task(
            returnee_id=twins.older, kind=TaskKind.CALL, status=TaskStatus.OPEN, reason="call",
            due_at=clock.now(), created_at=clock.now(),
        )  # fmt: skip
        wave = SurveyWave(
            returnee_id=twins.older, arrival_id=arrival.id, day=30, instrument_id=instrument.id,
            status=WaveStatus.OPEN, created_at=clock.now(),
        )  # fmt: skip
        session.add_all([task, wave])
        session.flush()
        task_id, wave_id = task.id, wave.id
    undone = client.post(f"/people/duplicates/merges/{merge_id}/undo", data={"csrf_token": token})
    page = client.get(undone.headers["Location"]).get_data(as_text=True)
    stayed = page[page.index('id="stayed"') :]
    assert "Añadido después de la fusión: queda en el expediente conservado" in stayed
    assert f"Tareas: #{task_id}" in stayed
    assert f"Rondas de la encuesta: #{wave_id}" in stayed
    assert "Nada se añadió" not in stayed
    with in_app() as session:
        assert session.get(Task, task_id).returnee_id == twins.older
        assert session.get(SurveyWave, wave_id).returnee_id == twins.older


def test_different_people_are_remembered(twins, search, sign_in_as, in_app):
    search()
    client, pair = sign_in_as(twins.supervisor), the_pair(in_app)
    token = csrf_token(client, f"/people/duplicates/{pair.id}")
    answer = client.post(f"/people/duplicates/{pair.id}/different", data={"csrf_token": token})
    assert answer.headers["Location"] == "/people/duplicates/"
    assert the_pair(in_app).status is PairStatus.DIFFERENT
    assert "Brenda" not in client.get("/people/duplicates/").get_data(as_text=True)


def test_a_refused_decision_says_why_and_merges_nothing(twins, search, sign_in_as, in_app):
    search()
    client, pair = sign_in_as(twins.supervisor), the_pair(in_app)
    token = csrf_token(client, f"/people/duplicates/{pair.id}")
    answer = client.post(
        f"/people/duplicates/{pair.id}/same", data={"keep": "999", "csrf_token": token},
        follow_redirects=True,
    )  # fmt: skip
    assert "Elija uno de los dos expedientes" in answer.get_data(as_text=True)
    with in_app() as session:
        assert session.scalars(select(Merge)).all() == []


def test_social_workers_and_other_countries_are_refused(
    twins, search, make_user, sign_in_as, token_for, in_app, app
):
    search()
    pair = the_pair(in_app)
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA")
    assert sign_in_as(worker).get("/people/duplicates/").status_code == 403
    api = app.test_client()
    refused = api.post(
        f"/api/v1/returnees/{twins.newer}/merge", json={"into": twins.older},
        headers=token_for(worker),
    )  # fmt: skip
    assert refused.status_code == 403
    honduras = make_user(Role.SUPERVISOR, "HN-SPS")
    assert sign_in_as(honduras).get(f"/people/duplicates/{pair.id}").status_code == 404
    assert "Brenda" not in sign_in_as(honduras).get("/people/duplicates/").get_data(as_text=True)
    refused = api.post(
        f"/api/v1/returnees/{twins.newer}/merge", json={"into": twins.older},
        headers=token_for(honduras),
    )  # fmt: skip
    assert refused.status_code == 403
    listed = api.get("/api/v1/duplicates", headers=token_for(honduras)).get_json()
    assert listed == []
    with in_app() as session:
        assert session.scalars(select(Merge)).all() == []


def test_the_api_merges_and_refuses_bad_input_with_422(twins, register, token_for, app, in_app):
    api, headers = app.test_client(), token_for(twins.supervisor)
    honduran = register(centre="HN-SPS", nationality="HN", given_names="Otra").returnee_id

    def merge(path_id: int, body: object):
        return api.post(f"/api/v1/returnees/{path_id}/merge", json=body, headers=headers)

    for body in ({}, {"into": "12"}, {"into": twins.newer}, {"into": honduran}):
        refused = merge(twins.newer, body)
        assert refused.status_code == 422, (body, refused.get_json())
        assert refused.get_json()["error"]["fields"]["into"]
    done = merge(twins.newer, {"into": twins.older})
    assert done.status_code == 200, done.get_json()
    answer = done.get_json()
    assert (answer["kept_id"], answer["merged_id"]) == (twins.older, twins.newer)
    assert answer["moved"]["arrivals"] == 1 and answer["moved"]["referrals"] == 1
    again = merge(twins.newer, {"into": twins.older})
    assert again.status_code == 422
    assert "ya se fusionó" in again.get_json()["error"]["fields"]["into"][0]


def test_the_api_lists_pending_pairs_with_both_people(twins, search, token_for, app):
    search()
    api, headers = app.test_client(), token_for(twins.supervisor)
    pairs = api.get("/api/v1/duplicates?status=pending", headers=headers).get_json()
    assert [[p["id"] for p in pair["returnees"]] for pair in pairs] == [[twins.older, twins.newer]]
    assert "misma fecha de nacimiento" in pairs[0]["reasons_text"]
    assert api.get("/api/v1/duplicates?status=maybe", headers=headers).status_code == 422
    assert api.get("/api/v1/duplicates?status=same", headers=headers).get_json() == []


def test_a_merged_id_points_to_the_kept_record(twins, sign_in_as, token_for, app, in_app):
    api, headers = app.test_client(), token_for(twins.supervisor)
    done = api.post(
        f"/api/v1/returnees/{twins.newer}/merge", json={"into": twins.older}, headers=headers
    )
    assert done.status_code == 200
    page = sign_in_as(twins.supervisor).get(f"/returnees/{twins.newer}")
    assert (page.status_code, page.headers["Location"]) == (302, f"/returnees/{twins.older}")
    looked = sign_in_as(twins.supervisor).get(f"/returnees/{twins.newer}/audit")
    assert looked.status_code == 200, "who looked at the merged record stays readable"
    read = api.get(f"/api/v1/returnees/{twins.newer}", headers=headers)
    assert read.status_code == 301
    assert read.headers["Location"] == f"/api/v1/returnees/{twins.older}"
    assert read.get_json()["error"]["merged_into"] == twins.older
    write = api.patch(f"/api/v1/returnees/{twins.newer}", json={"language": "mam"}, headers=headers)
    assert write.status_code == 409
    assert write.get_json()["error"]["merged_into"] == twins.older
    assert str(twins.older) in write.get_json()["error"]["message"]
    web_write = sign_in_as(twins.supervisor)
    token = csrf_token(web_write, f"/returnees/{twins.older}")
    refused = web_write.post(
        f"/returnees/{twins.newer}/risk/level",
        data={"level": "high", "reason": "x", "csrf_token": token},
    )
    assert refused.status_code == 409
    with in_app() as session:
        assert session.get(Returnee, twins.newer).language == "es"
