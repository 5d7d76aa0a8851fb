"""Erasing a person takes two supervisors of their country: one asks, with a reason, and another
approves. Then the tables hold nothing that names, reaches or quotes the person, and every
number a supervisor reads is what it was."""

from __future__ import annotations

from sqlalchemy import JSON, LargeBinary, String, inspect, select, text

from returnees.audit.chain import verify_chain
from returnees.audit.models import AccessReason, AuditEntry
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.routing import move_case, open_case_of
from returnees.casework.services import close_task
from returnees.casework.stats import programme_numbers
from returnees.casework.transfers import accept_transfer, propose_transfer
from returnees.core.encryption import document_index, phone_index
from returnees.messaging.models import InboundMessage
from returnees.people.break_glass import break_glass
from returnees.people.models import Returnee
from returnees.referrals.models import Referral
from returnees.referrals.services import change_referral_status
from returnees.rights.erasure import ERASED, age_band
from returnees.rights.models import Erasure, ErasureStatus
from returnees.risk.services import set_level
from returnees.tasks.models import Task
from tests.conftest import csrf_token
from tests.rights.conftest import SECRETS

# What staff typed about the person after they arrived: none of it may stay either.
TYPED = (
    "vive ahora con su madrina en Cobán",  # a transfer's reason, copied into the case's moves
    "verificar su denuncia en la fiscalía",  # a break-glass reason
    "seguimiento pedido por Refugio",  # the reason given to open the protection referral
    "amenazas de su expareja",  # the reason of a level set by staff
    "no contesta, la prima dice que se fue",  # a task's closing note
)
PHONES, DOCUMENT = ("+50255507788", "+50255504455"), "ZQ4471902"


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
    """Every text, JSON or bytes value of every table in the database (as the database lists
    them, not the models), read with plain SQL, that holds one of the secrets."""
    found = []
    with in_app() as session:
        database = inspect(session.connection())
        for table in database.get_table_names():
            columns = [
                column["name"]
                for column in database.get_columns(table)
                if isinstance(column["type"], String | JSON | LargeBinary)
            ]
            if not columns:
                continue
            names = ", ".join(f'"{name}"' for name in columns)
            for row in session.execute(text(f'SELECT {names} FROM "{table}"')):
                for column, value in zip(columns, row, strict=True):
                    held = as_text(value).lower()
                    found += [f"{table}.{column}: {s}" for s in secrets if s.lower() in held]
    return found


def as_text(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode(errors="replace")
    return str(value)


def indexes_of_person(in_app, returnee_id: int, message_id: int) -> list[str]:
    """The blind indexes still set on the person's rows, and on the message from their number
    that was never attached to them."""
    left = []
    with in_app() as session:
        database = inspect(session.connection())
        for table in database.get_table_names():
            columns = {column["name"] for column in database.get_columns(table)}
            key = "id" if table == "returnees" else "returnee_id"
            for index in sorted(name for name in columns if name.endswith("_index")):
                if key not in columns:
                    continue
                query = f'SELECT "{index}" FROM "{table}" WHERE "{key}" = :id'
                values = session.scalars(
                    text(query + f' AND "{index}" IS NOT NULL'), {"id": returnee_id}
                )
                left += [f"{table}.{index}" for _value in values]
        unattached = "SELECT from_number_index FROM inbound_messages WHERE id = :id"
        if session.scalar(text(unattached), {"id": message_id}) is not None:
            left.append("inbound_messages.from_number_index (unattached)")
    return left


def type_about(app, in_app, person, make_centre, make_user) -> None:
    """Staff write about the person: their case moves to another office by a transfer, someone
    outside their scope opens the record with a reason, a supervisor opens the protection
    referral with a reason and sets the level with another, and a task is closed with a note."""
    first = make_centre(code="GT-SM-01", kind="office", region="San Marcos")
    make_centre(code="GT-HUE-01", kind="office", region="Huehuetenango")
    outside = make_user(Role.SOCIAL_WORKER, "GT-TECUN")
    supervisor = Actor.for_user(person.asker)
    with in_app() as session:
        move_case(session, open_case_of(session, person.returnee_id), first, "home", None)
        transfer = propose_transfer(session, supervisor, person.returnee_id, "GT-HUE-01", TYPED[0])
        accept_transfer(session, supervisor, transfer.id)
        opened = break_glass(session, Actor.for_user(outside), person.returnee_id, TYPED[1])
        assert opened is not None, "the record was in the social worker's scope already"
        referral = session.scalar(
            select(Referral).where(Referral.returnee_id == person.returnee_id)
        )
        change_referral_status(
            session, supervisor, referral.id, "accepted", note="", reason=TYPED[2]
        )
        set_level(session, supervisor, person.returnee_id, "high", TYPED[3])
        task = session.scalar(select(Task).where(Task.returnee_id == person.returnee_id))
        close_task(session, supervisor, task.id, TYPED[4])


def gateway_words(in_app, returnee_id: int) -> int:
    """How many of the person's messages still hold what the gateway said (sealed: what
    rows_holding reads cannot see it, but NULL is read as plainly)."""
    query = (
        "SELECT count(*) FROM outbound_messages"
        " WHERE returnee_id = :id AND error_message IS NOT NULL"
    )
    with in_app() as session:
        return session.scalar(text(query), {"id": returnee_id})


def raw_counts(in_app) -> dict[str, int]:
    with in_app() as session:
        return {
            table: session.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in ("returnees", "arrivals", "cases", "check_ins", "referrals", "tasks")
        }


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
    app, person, token_for, in_app, clock, make_centre, make_user
):
    type_about(app, in_app, person, make_centre, make_user)
    with app.app_context():
        indexes = (*(phone_index(number) for number in PHONES), document_index(DOCUMENT))
    secrets = SECRETS + TYPED + indexes
    with in_app() as session:
        [unattached] = session.scalars(
            select(InboundMessage.id).where(InboundMessage.message_sid == "SMrights0")
        ).all()
        assert session.get(InboundMessage, unattached).returnee_id is None
    held = rows_holding(in_app, secrets)
    assert "returnees.given_names: Zoila" in held, "the person's data was not there to begin with"
    assert all(any(line.endswith(index) for line in held) for index in indexes)
    assert indexes_of_person(in_app, person.returnee_id, unattached)
    supervisor = Actor.for_user(person.asker)
    with in_app() as session:
        before = programme_numbers(session, supervisor)
    counts = raw_counts(in_app)
    assert gateway_words(in_app, person.returnee_id) == 1
    for returnee_id in (person.returnee_id, person.child_id):
        asked = app.test_client().post(
            f"/api/v1/returnees/{returnee_id}/erasure",
            json={"reason": "derecho de supresión"},
            headers=token_for(person.asker),
        )
        decide(app, token_for(person.approver), asked.get_json()["id"])
    assert rows_holding(in_app, secrets) == []
    assert gateway_words(in_app, person.returnee_id) == 0, "sealed, so not in rows_holding"
    assert indexes_of_person(in_app, person.returnee_id, unattached) == []
    assert raw_counts(in_app) == counts
    with in_app() as session:
        assert verify_chain(session).broken is None
        assert {reason.text for reason in session.scalars(select(AccessReason))} == {ERASED}
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
