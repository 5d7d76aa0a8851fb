from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select

from returnees.audit import services
from returnees.audit.models import AuditAction, AuditEntry, AuditEntryPerson
from returnees.audit.queries import AuditFilter, search_audit
from returnees.audit.services import name_people_shown, record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.core.db import EXTENSION as DB
from returnees.reception.models import Arrival
from tests.auth.test_sign_in import sign_in
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def entries(in_app, **where) -> list[AuditEntry]:
    with in_app() as session:
        query = select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)
        return list(session.scalars(query))


def test_a_sign_in_is_written_with_who_when_and_from_where(app, make_user, in_app, clock):
    user = make_user()
    sign_in(app.test_client(), user.email, PASSWORD, address="192.0.2.44")
    [entry] = entries(in_app, action=AuditAction.SIGN_IN)
    assert (entry.user_id, entry.actor, entry.address) == (user.id, user.email, "192.0.2.44")
    assert entry.at == clock.now()


def test_viewing_a_record_writes_an_entry(app, make_user, sign_in_as, in_app):
    admin, target = make_user(Role.ADMIN), make_user()
    assert sign_in_as(admin).get(f"/users/{target.id}").status_code == 200
    [entry] = entries(in_app, action=AuditAction.VIEW)
    assert (entry.user_id, entry.record_type, entry.record_id) == (admin.id, "user", str(target.id))


def test_creating_an_account_writes_an_entry(app, make_user, in_app):
    from returnees.auth.services import NewUser, create_user

    make_user(Role.ADMIN, email="boss@example.org")
    centre_code = make_user().centre.code
    with in_app() as session:
        created = create_user(
            session,
            Actor.system("cli"),
            NewUser("new@example.org", "reception", centre_code, "long enough password"),
        )
    [entry] = entries(in_app, action=AuditAction.CREATE, record_type="user")
    assert entry.record_id == str(created.id) and entry.actor == "cli"


def test_a_bulk_entry_names_everyone_its_query_selects_a_range_of_ids_a_statement(
    app, register, in_app, monkeypatch
):
    """A bulk export's people are written a range of ids a statement, each range about
    PEOPLE_BATCH of the query's rows (production's 20,000 lowered to 2 here): each person is
    named once however many rows they have, the lowest and the highest id too, no one else."""
    people = [register(given_names=f"Persona {n}").returnee_id for n in range(6)]
    register(given_names="Persona 2", match=people[2])
    register(given_names="Persona 2", match=people[2])
    chosen = select(Arrival.returnee_id).where(
        Arrival.returnee_id.in_(people), Arrival.returnee_id.not_in([people[1], people[4]])
    )
    monkeypatch.setattr(services, "PEOPLE_BATCH", 2)
    inserts: list[str] = []

    def seen(_conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRY_PEOPLE"):
            inserts.append(statement)

    engine = app.extensions[DB].engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with in_app() as session:
            entry = record_event(
                session, Actor.system("test"), AuditAction.EXPORT, "export", "arrivals"
            )
            name_people_shown(session, entry, chosen)
            named = session.scalars(
                select(AuditEntryPerson.returnee_id).where(AuditEntryPerson.entry_id == entry.id)
            ).all()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert sorted(named) == sorted(set(people) - {people[1], people[4]})
    assert len(inserts) > 1, "more rows than PEOPLE_BATCH: more than one statement"


def test_entries_cannot_be_changed_or_deleted(app, make_user, in_app):
    sign_in(app.test_client(), make_user().email, "wrong")
    with pytest.raises(PermissionError), in_app() as session:
        session.scalars(select(AuditEntry)).first().actor = "someone else"
        session.flush()


def test_the_database_refuses_changes_too_on_postgresql(app, make_user, in_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the trigger exists on PostgreSQL; SQLite relies on the ORM guard")
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    sign_in(app.test_client(), make_user().email, "wrong")
    with pytest.raises(DBAPIError, match="append-only"), in_app() as session:
        session.execute(text("UPDATE audit_entries SET actor = 'x'"))


def test_supervisors_filter_by_user_record_and_date(app, make_centre, make_user, in_app, clock):
    home = make_centre(country="GT")
    supervisor = make_user(Role.SUPERVISOR, home)
    colleague = make_user(Role.RECEPTION, home)
    sign_in(app.test_client(), colleague.email, PASSWORD)
    clock.advance(days=2)
    sign_in(app.test_client(), colleague.email, PASSWORD, address="10.9.9.9")
    sign_in(app.test_client(), supervisor.email, PASSWORD)
    reader = Actor.for_user(supervisor)
    with in_app() as session:
        mine = search_audit(session, reader, AuditFilter(actor=colleague.email))
        recent = search_audit(session, reader, AuditFilter(since=clock.now()))
        by_record = search_audit(
            session, reader, AuditFilter(record_type="user", record_id=str(supervisor.id))
        )
    assert [entry.address for entry in mine] == ["10.9.9.9", "10.0.0.1"]
    assert {entry.actor for entry in recent} == {colleague.email, supervisor.email}
    assert [entry.actor for entry in by_record] == [supervisor.email]


def test_supervisors_do_not_see_what_staff_of_another_country_did(
    app, make_centre, make_user, in_app
):
    supervisor = make_user(Role.SUPERVISOR, make_centre(country="GT"))
    honduran = make_user(Role.RECEPTION, make_centre(country="HN", region="Cortés"))
    sign_in(app.test_client(), honduran.email, PASSWORD)
    with in_app() as session:
        seen = search_audit(session, Actor.for_user(supervisor), AuditFilter())
    assert honduran.email not in {entry.actor for entry in seen}


def test_the_audit_page_filters_by_date(app, make_user, sign_in_as, clock):
    admin = make_user(Role.ADMIN)
    other = make_user()
    sign_in(app.test_client(), other.email, PASSWORD)
    client = sign_in_as(admin)
    today = clock.now().date().isoformat()
    assert other.name in client.get(f"/audit/?since={today}&until={today}").get_data(as_text=True)
    tomorrow = datetime(2026, 12, 2, tzinfo=UTC).date().isoformat()
    assert other.name not in client.get(f"/audit/?since={tomorrow}").get_data(as_text=True)


def test_a_bad_date_filter_is_refused_with_a_message(app, make_user, sign_in_as):
    response = sign_in_as(make_user(Role.ADMIN)).get("/audit/?since=yesterday")
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


def test_the_api_lists_entries_and_refuses_a_bad_filter(app, make_user, token_for):
    headers = token_for(make_user(Role.ADMIN))
    client = app.test_client()
    sign_in(client, "nobody@example.org", "x")
    listed = client.get("/api/v1/audit?actor=nobody@example.org", headers=headers).get_json()
    assert [entry["action"] for entry in listed] == ["sign_in_failed"]
    bad = client.get("/api/v1/audit?since=2026-12-01T00:00", headers=headers)
    assert bad.status_code == 422 and "since" in bad.get_json()["error"]["fields"]


def audit_row(page: str, text: str) -> str:
    """The first row of the audit page that holds this text, in HTML."""
    return next(row for row in page.split("<tbody>")[1].split("</tr>") if text in row)


def test_the_audit_log_names_people_and_staff_and_links_what_the_reader_may_open(
    app, register, make_user, sign_in_as, demo
):
    marta = register(given_names="Marta Elena", family_names="Tzoc Pu").returnee_id
    worker = make_user(Role.SOCIAL_WORKER, "GT-AURORA", name="Wendy Worker")
    sign_in_as(worker).get(f"/returnees/{marta}")
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA")
    row = audit_row(sign_in_as(supervisor).get("/audit/").get_data(as_text=True), "Wendy")
    assert f'<a href="/returnees/{marta}">Marta Elena Tzoc Pu</a>' in row
    assert "Wendy Worker" in row and worker.email not in row
    assert f"/users/{worker.id}" not in row, "a supervisor does not manage accounts"
    admin = make_user(Role.ADMIN, "GT-AURORA")
    row = audit_row(sign_in_as(admin).get("/audit/").get_data(as_text=True), "Wendy")
    assert f'<a href="/users/{worker.id}">Wendy Worker</a>' in row
    assert f"Persona {marta}</td>" in row, "an admin, who opens no one's record, sees a number"
    assert "Marta" not in row


def record_types_written() -> set[str]:
    """Every record type the code writes to the audit trail (record_event's and record_view's
    argument), read from the source so that a new one is seen before it is ever written."""
    written = set()
    for path in (ROOT / "returnees").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = {"record_event": 3, "record_view": 2}.get(name)
            if position is not None and len(node.args) > position:
                argument = node.args[position]
                if isinstance(argument, ast.Constant):
                    written.add(argument.value)
    return written


def test_every_record_type_written_has_a_name_in_the_readers_language():
    from returnees.audit.forms import RECORD_TYPE_LABELS

    written = record_types_written()
    assert {"user", "returnee", "case_contact"} <= written, "the scan finds the types"
    assert not written - set(RECORD_TYPE_LABELS), "name them in audit/forms.py"


def test_the_audit_page_names_record_types_and_filters_by_a_named_choice(
    app, make_user, sign_in_as
):
    admin, target = make_user(Role.ADMIN), make_user()
    client = sign_in_as(admin)
    client.get(f"/users/{target.id}")
    page = client.get("/audit/?record_type=user").get_data(as_text=True)
    assert f'<td>Usuario <a href="/users/{target.id}">{target.name}</a></td>' in page
    assert '<select id="record_type" name="record_type">' in page
    assert '<option selected value="user">Usuario</option>' in page
    assert '<option value="returnee">Persona</option>' in page


def test_an_unknown_record_type_is_refused_with_a_message(app, make_user, sign_in_as):
    response = sign_in_as(make_user(Role.ADMIN)).get("/audit/?record_type=usuario")
    assert response.status_code == 422
    assert "Elija un tipo de registro de la lista." in response.get_data(as_text=True)
