"""Encryption at rest: personal data is sealed in the database, bound to its row, found by a
blind index, and its keys rotate."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import insert, select, text
from sqlalchemy.exc import StatementError

from returnees import create_app
from returnees.audit.models import AccessReason, AuditEntry
from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.casework.routing import move_case, open_case_of
from returnees.casework.services import close_case, close_task, record_contact_with_person
from returnees.casework.transfers import accept_transfer, decline_transfer, propose_transfer
from returnees.core.clock import utcnow
from returnees.core.db import Base
from returnees.core.encryption import (
    EXTENSION,
    SEALED,
    Keyring,
    UnreadableValue,
    load_keyring,
    new_key,
    phone_index,
)
from returnees.core.settings import SettingsError
from returnees.messaging.services import apply_status_callback, queue_message, record_inbound
from returnees.people.matching import IdentityProbe, find_candidates
from returnees.people.models import Phone, Returnee
from returnees.people.services import ReturneeSearch, search_returnees
from returnees.reception.intake import PhoneEntry
from returnees.reception.manifests import (
    ManifestEntry,
    keep_pending_upload,
    upload_passenger_list,
)
from returnees.reception.services import (
    HandoverEntry,
    ScreeningEntry,
    hand_over_child,
    record_screening,
)
from returnees.referrals.models import PartnerOrganisation
from returnees.referrals.services import change_referral_status, make_referral
from returnees.rights.services import request_erasure
from returnees.risk.services import set_level
from returnees.tasks.models import Task, TaskKind
from returnees.tasks.services import open_task
from tests.documents import cui

PHONE, DOCUMENT = "+50255551234", cui("23456789", "0101")
GUARDIAN = {
    "guardian_name": "Rosa Elvira Mejía",
    "relationship": "mother",
    "guardian_document": "DPI 1234567890101",
    "guardian_phone": "5555 9876",
    "is_document_checked": True,
}
# What must appear in no column of the database, in any form the app writes it.
PLAINTEXTS = (
    PHONE,
    "55551234",
    DOCUMENT,
    "+50255559876",
    "1234567890101",
    "Rosa Elvira",
    "+50244443333",
    "44443333",
    "auxilio",
    "Diabetes tipo dos",
    "Pesadillas",
    "debt_bondage",
    "Mixco lo amenazaron",
    "su padrastro",
    "Xoyón",
    "+50255554321",
    "Wendy",
    # What staff type about a person, and the reasons they give to open a record.
    "fiscalía de Mixco",
    "albañil en Xela",
    "carpintería fina",
    "su tío la busca",
    "amenazada por su tío",
    "la tía contestó",
    "se mudó a Huehue",
    "no es de nuestra zona",
    "se fue a Petén",
    "carta del 3 de mayo",
    # What the gateway said of a message that failed (it quotes the number too).
    "handset apagado",
)
PASSENGER_LIST = (
    "Apellidos;Nombres;Fecha de nacimiento;Sexo;Nacionalidad;Teléfono\n"
    "Xoyón Tum;Wendy;03/02/1998;F;GT;5555 4321\n"
).encode()


@pytest.fixture
def stored(app, demo, register, in_app, make_user, make_centre):
    """A person with a document and a phone (their check-ins, a message to them), a child
    handed over to a guardian, and a danger message from a number nobody holds; what staff
    wrote about the person (see `write_about`), and a passenger list kept while its upload
    waits."""
    person = register(
        given_names="Lucía",
        family_names="Xicará",
        document_type="DPI",
        document_number=DOCUMENT,
        phones=(PhoneEntry("5555 1234", consent=True),),
    )
    child = register(
        given_names="Kevin", family_names="Mejía", estimated_age=14, is_unaccompanied=True
    )
    desk = Actor.for_user(make_user(Role.RECEPTION, "GT-AURORA"))
    supervisor = Actor.for_user(make_user(Role.SUPERVISOR, "GT-AURORA"))
    with in_app() as session:
        hand_over_child(session, desk, child.id, HandoverEntry(**GUARDIAN, guardian_consents=True))
        failed = queue_message(session, PHONE, "Hola Lucía", returnee_id=person.returnee_id)
        apply_status_callback(
            session,
            failed.id,
            {
                "MessageStatus": "undelivered",
                "ErrorCode": "30003",
                "ErrorMessage": f"handset apagado: {PHONE}",
            },
        )
        record_inbound(
            session, {"MessageSid": "SM" + "1" * 32, "From": "+50244443333", "Body": "auxilio"}
        )
        record_screening(session, desk, person.id, SCREENING)
        protection = session.scalar(
            select(PartnerOrganisation.id).where(PartnerOrganisation.name.startswith("Defensor"))
        )
        referral = make_referral(
            session, supervisor, person.returnee_id, protection, "protection", True,
            note="Vive con su padrastro, que le pega",
        )  # fmt: skip
        change_referral_status(
            session,
            supervisor,
            referral.id,
            "accepted",
            note="su padrastro",
            reason="seguimiento de la fiscalía de Mixco",
        )
        entry = ManifestEntry("GT-AURORA", "ICE-77", expected_at=utcnow() + timedelta(hours=2))
        upload_passenger_list(session, desk, entry, "lista.csv", PASSENGER_LIST)
        keep_pending_upload(session, desk, "lista.csv", PASSENGER_LIST)
    offices = [make_centre(code=code, kind="office") for code in ("GT-SM-01", "GT-HUE-01")]
    with in_app() as session:
        write_about(session, supervisor, person.returnee_id, offices)
    return person


def write_about(session, supervisor: Actor, returnee_id: int, offices) -> None:
    """Staff's words about a person: a call's note, a level set with a reason, a task closed
    with a note, a transfer accepted and another declined with their reasons, the case closed
    with a note, an erasure asked for with a reason."""
    record_contact_with_person(
        session, supervisor, returnee_id, "call", "reached", "su tío la busca"
    )
    set_level(session, supervisor, returnee_id, "high", "amenazada por su tío")
    task = open_task(session, TaskKind.CALL, returnee_id, "llamar", subject="t")
    close_task(session, supervisor, task.id, "la tía contestó")
    move_case(session, open_case_of(session, returnee_id), offices[0], "home", None)
    moved = propose_transfer(session, supervisor, returnee_id, "GT-HUE-01", "se mudó a Huehue")
    accept_transfer(session, supervisor, moved.id)
    back = propose_transfer(session, supervisor, returnee_id, "GT-SM-01", "volvió")
    decline_transfer(session, supervisor, back.id, "no es de nuestra zona")
    close_case(session, supervisor, returnee_id, "contact_lost", "se fue a Petén")
    request_erasure(session, supervisor, returnee_id, "carta del 3 de mayo")


SCREENING = ScreeningEntry(
    health_needs="Diabetes tipo dos",
    psychosocial_needs="Pesadillas desde el viaje",
    trafficking_indicators=["debt_bondage"],
    notes="En Mixco lo amenazaron",
    occupation="albañil en Xela",
    skills="carpintería fina",
)


def raw_rows(in_app, table: str) -> list[tuple]:
    with in_app() as session:
        return [tuple(row) for row in session.execute(text(f"SELECT * FROM {table}"))]


def test_the_database_holds_no_plaintext_of_the_sealed_fields(stored, in_app, clock):
    from returnees.followups.reading import read_replies

    with in_app() as session:
        read_replies(session)  # the danger message opens a task quoting the number
    tables = [table.name for table in Base.metadata.sorted_tables]  # copies land anywhere
    found = {
        (table, plain)
        for table in tables
        for row in raw_rows(in_app, table)
        for value in row
        for plain in PLAINTEXTS
        if plain in str(value)
    }
    assert found == set(), "plaintext in the database"
    with in_app() as session:
        person = session.get(Returnee, stored.returnee_id)
        assert (person.document_number, person.phones[0].number) == (DOCUMENT, PHONE)
        task = session.scalars(select(Task).where(Task.returnee_id.is_(None))).one()
        assert task.phone == "+50244443333"


def test_every_sealed_column_holds_envelopes_under_the_current_key(stored, in_app):
    for model, fields in SEALED.items():
        for sealed in fields:
            values = raw_column(in_app, model.__tablename__, sealed.column)
            assert all(value.startswith("t1:") for value in values), (model, sealed.column)


def raw_column(in_app, table: str, column: str) -> list[str]:
    with in_app() as session:
        query = text(f'SELECT "{column}" FROM {table} WHERE "{column}" IS NOT NULL')
        return list(session.scalars(query))


def test_a_value_moved_to_another_row_does_not_open(stored, register, in_app):
    other = register(given_names="Marta", phones=("5555 7777",))
    with in_app() as session:
        taken = session.scalar(
            text("SELECT number FROM phones WHERE returnee_id = :id"), {"id": stored.returnee_id}
        )
        session.execute(
            text("UPDATE phones SET number = :taken WHERE returnee_id = :id"),
            {"taken": taken, "id": other.returnee_id},
        )
    with in_app() as session:
        moved = session.scalars(select(Phone).where(Phone.returnee_id == other.returnee_id))
        with pytest.raises(UnreadableValue, match="not its row"):
            _ = moved.one().number


def test_a_sealed_column_refuses_a_plaintext_written_past_its_field(app, in_app, stored):
    with in_app() as session, pytest.raises(StatementError, match="takes envelopes"):
        session.execute(
            insert(Phone.__table__),
            {"returnee_id": stored.returnee_id, "number": PHONE, "owner": "self"},
        )


def test_a_search_takes_a_whole_number_not_its_last_digits(stored, in_app):
    def search(words: str) -> list[int]:
        with in_app() as session:
            found = search_returnees(session, Actor.system("t"), ReturneeSearch(text=words))
            return [person.id for person in found]

    assert search("5555 1234") == search("+50255551234") == [stored.returnee_id]
    assert search(DOCUMENT) == [stored.returnee_id]
    assert search("1234") == [] and search("00101") == []
    with in_app() as session:
        searches = session.scalars(
            select(AuditEntry).where(AuditEntry.record_type == "returnee_search")
        ).all()
    assert searches and all(PHONE not in str(entry.detail) for entry in searches)
    assert all("1234" not in str(entry.detail) for entry in searches), "no number in the audit"


def test_keys_rotate_in_batches_and_a_second_run_resumes(app, stored, in_app, cli):
    first: Keyring = app.extensions[EXTENSION]
    app.extensions[EXTENSION] = Keyring(
        "k2", {"k2": new_key_bytes(), **first.keys}, first.index_key
    )
    try:
        stopped = cli("keys", "rotate", "--batch-size", "2", "--limit", "3")
        assert stopped.exit_code == 0 and "3 values sealed again under key k2" in stopped.output
        resumed = cli("keys", "rotate", "--batch-size", "2")
        assert resumed.exit_code == 0, resumed.output
        assert cli("keys", "rotate").output.strip() == "0 values sealed again under key k2."
        values = [
            value
            for model, fields in SEALED.items()
            for sealed in fields
            for value in raw_column(in_app, model.__tablename__, sealed.column)
        ]
        assert values and all(value.startswith("k2:") for value in values)
        with in_app() as session:
            person = session.get(Returnee, stored.returnee_id)
            assert (person.document_number, person.phones[0].number) == (DOCUMENT, PHONE)
            assert session.scalar(
                select(Phone.returnee_id).where(Phone.number_index == phone_index(PHONE))
            )
    finally:
        app.extensions[EXTENSION] = first


def new_key_bytes() -> bytes:
    import base64

    return base64.urlsafe_b64decode(new_key() + "=")


def test_production_refuses_to_start_without_its_keys_naming_them(
    monkeypatch, production_environment
):
    monkeypatch.delenv("ENCRYPTION_KEYS", raising=False)
    with pytest.raises(SettingsError, match="set ENCRYPTION_KEYS in the environment"):
        create_app({"RETURNEES_ENV": "production"})
    monkeypatch.setenv("ENCRYPTION_KEYS", f"k1={new_key()[:22]},k0={new_key()}")  # k1: 16 bytes
    with pytest.raises(
        SettingsError,
        match="ENCRYPTION_KEYS \\(k1\\) must be 32 random bytes, base64 \\(it has 16\\)",
    ):
        create_app({"RETURNEES_ENV": "production"})
    monkeypatch.setenv("ENCRYPTION_KEYS", f"k1={new_key()}")
    assert create_app({"RETURNEES_ENV": "production"}).extensions[EXTENSION].current == "k1"


def test_encryption_can_be_turned_off_only_for_the_benches_comparison():
    with pytest.raises(SettingsError, match="only for the bench"):
        create_app({"RETURNEES_ENV": "development", "ENCRYPTION_ENABLED": False})


def test_the_embedded_default_makes_its_own_keys_under_instance_once(tmp_path):
    default = Flask("returnees", instance_path=str(tmp_path))
    default.config.update(RETURNEES_ENV="development", ENCRYPTION_KEYS=None, BLIND_INDEX_KEY=None)
    made = load_keyring(default)
    stored = json.loads((tmp_path / "encryption-keys.json").read_text())
    assert set(stored) == {"ENCRYPTION_KEYS", "BLIND_INDEX_KEY"}
    assert (tmp_path / "encryption-keys.json").stat().st_mode & 0o077 == 0
    assert load_keyring(default) == made


def test_the_match_finds_a_document_typed_with_one_wrong_digit_by_its_variants(stored, in_app):
    def reasons(number: str) -> dict[int, list[str]]:
        probe = IdentityProbe("Lucía", "Xicará", None, "DPI", number)
        with in_app() as session:
            return {c.returnee.id: c.reasons for c in find_candidates(session, probe)}

    assert reasons(DOCUMENT) == {stored.returnee_id: ["document", "same_name"]}
    assert reasons(DOCUMENT[:5] + "9" + DOCUMENT[6:]) == {
        stored.returnee_id: ["document_one_digit", "same_name"]
    }
    assert reasons(DOCUMENT[:5] + "99" + DOCUMENT[7:]) == {}, "two digits apart is someone else"


def test_the_desk_finds_an_earlier_record_by_the_whole_phone(stored, in_app):
    probe = IdentityProbe("Lucía", "Xicara", phones=(PHONE,))
    with in_app() as session:
        found = find_candidates(session, probe)
    assert [(c.returnee.id, c.reasons) for c in found] == [
        (stored.returnee_id, ["phone", "same_name"])
    ]


def test_the_migration_seals_what_was_stored_in_plaintext(tmp_path):
    from alembic import command

    from returnees.core.db import get_session
    from returnees.core.migrations import alembic_config
    from returnees.messaging.models import InboundMessage

    before = create_app(
        {"RETURNEES_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}"}
    )
    now = "2026-12-01 14:00:00"
    with before.app_context():
        command.upgrade(alembic_config(), "0029_discreet_staff_alerts")
        session = get_session()
        for statement in (
            "INSERT INTO centres (id, code, name, kind, country, region, municipality, timezone,"
            " created_at) VALUES (1, 'GT-X', 'X', 'airport', 'GT', '', '', 'America/Guatemala',"
            " :now)",
            "INSERT INTO returnees (id, given_names, family_names, folded_name, sex, nationality,"
            " document_type, document_number, language, municipality, centre_id, arrivals_count,"
            " created_at, updated_at) VALUES (1, 'Lucía', 'Xicará', 'lucia xicara', 'F', 'GT',"
            " 'DPI', :document, 'es', '', 1, 1, :now, :now)",
            "INSERT INTO phones (id, returnee_id, number, owner, channel, has_consent, is_usable,"
            " created_at) VALUES (1, 1, :phone, 'self', 'sms', true, true, :now)",
            "INSERT INTO inbound_messages (id, message_sid, from_number, channel, body,"
            " media_count, keyword, received_at, payload) VALUES (1, 'SM1', '+50444443333',"
            " 'sms', 'auxilio', 0, '', :now, '{\"Body\": \"auxilio\"}')",
            "INSERT INTO tasks (id, returnee_id, kind, status, priority, reason, subject, due_at,"
            " created_at, close_note, phone) VALUES (1, NULL, 'urgent_safety', 'open', 0,"
            " 'unknown number: auxilio', 'reply:1', :now, :now, '', '+50444443333')",
        ):
            session.execute(text(statement), {"now": now, "document": DOCUMENT, "phone": PHONE})
        session.commit()
        command.upgrade(alembic_config(), "head")
    with before.app_context():
        session = get_session()
        dump = " ".join(
            str(row)
            for table in ("returnees", "phones", "inbound_messages", "tasks")
            for row in session.execute(text(f"SELECT * FROM {table}"))
        )
        for plain in (DOCUMENT, PHONE, "+50444443333", "auxilio"):
            assert plain not in dump
        person = session.get(Returnee, 1)
        assert (person.document_number, person.phones[0].number) == (DOCUMENT, PHONE)
        inbound = session.get(InboundMessage, 1)
        assert (inbound.from_number, inbound.body, inbound.payload) == (
            "+50444443333",
            "auxilio",
            {"Body": "auxilio"},
        )
        assert inbound.sender_country.value == "HN"
        task = session.get(Task, 1)
        assert (task.reason, task.phone) == ("unknown number: auxilio", "+50444443333")
        found = select(Phone.returnee_id).where(Phone.number_index == phone_index(PHONE))
        assert session.scalar(found) == 1
    before.extensions["returnees.db"].engine.dispose()


def test_the_migration_seals_the_gateway_s_words_and_forgets_erased_replies_quoted(tmp_path):
    from alembic import command

    from returnees.core.db import get_session
    from returnees.core.migrations import alembic_config
    from returnees.messaging.models import OutboundMessage

    before = create_app(
        {"RETURNEES_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}"}
    )
    now = "2026-12-01 14:00:00"
    with before.app_context():
        command.upgrade(alembic_config(), "0050_survey_not_taken")
        session = get_session()
        session.execute(
            text(
                "INSERT INTO outbound_messages (id, channel, template, language, content_sid,"
                " status, error_code, error_message, attempts, priority, needs_consent,"
                " is_ambiguous, created_at, updated_at) VALUES (:id, 'sms', '', 'es', '',"
                " 'failed', :code, :words, 1, 50, true, false, :now, :now)"
            ),
            [
                {
                    "id": 1,
                    "code": 21211,
                    "words": f"{PHONE} is not a valid phone number",
                    "now": now,
                },
                {"id": 2, "code": None, "words": "", "now": now},
            ],
        )
        # A danger reply erased by retention before 0051, and the task that still quotes it.
        session.execute(
            text(
                "INSERT INTO inbound_messages (id, message_sid, channel, media_count, keyword,"
                " received_at) VALUES (1, 'SM1', 'sms', 0, '', :now)"
            ),
            {"now": now},
        )
        quoted = before.extensions[EXTENSION].seal("danger words: auxilio", "tasks.reason.1")
        session.execute(
            text(
                "INSERT INTO tasks (id, kind, status, priority, reason, subject, due_at,"
                " created_at) VALUES (1, 'urgent_safety', 'open', 0, :reason, 'reply:1', :now,"
                " :now)"
            ),
            {"now": now, "reason": str(quoted)},
        )
        session.commit()
        command.upgrade(alembic_config(), "head")
        assert session.get(Task, 1).reason == "danger words: —"
        dump = str(session.execute(text("SELECT * FROM outbound_messages")).all())
        assert PHONE not in dump
        assert session.scalars(
            text("SELECT error_message FROM outbound_messages ORDER BY id")
        ).all()[1:] == [None], "an empty value is NULL"
        words = [session.get(OutboundMessage, n).error_message for n in (1, 2)]
        assert words == [f"{PHONE} is not a valid phone number", ""]
        session.commit()
        command.downgrade(alembic_config(), "0050_survey_not_taken")
        opened = session.scalars(text("SELECT error_message FROM outbound_messages ORDER BY id"))
        assert opened.all() == [f"{PHONE} is not a valid phone number", ""]
    before.extensions["returnees.db"].engine.dispose()


STAFF_ROWS_0035 = (
    "INSERT INTO centres (id, code, name, kind, country, region, municipality, timezone,"
    " created_at) VALUES (1, 'GT-X', 'X', 'airport', 'GT', '', '', 'America/Guatemala', :now)",
    "INSERT INTO users (id, email, name, password_hash, role, centre_id, locale, is_enabled,"
    " phone, session_epoch, created_at) VALUES (1, 's@x.org', 'S', 'x', 'supervisor', 1, 'es',"
    " true, '', 0, :now)",
    "INSERT INTO returnees (id, given_names, family_names, folded_name, sex, nationality,"
    " document_type, language, municipality, centre_id, arrivals_count, created_at,"
    " updated_at) VALUES (1, 'Lucía', 'Xicará', 'lucia xicara', 'F', 'GT', 'DPI', 'es', '', 1,"
    " 1, :now, :now)",
    "INSERT INTO access_reasons (id, given_at, user_id, text) VALUES (1, :now, 1,"
    " 'fiscalía de Mixco')",
    "INSERT INTO pending_uploads (id, token, user_id, filename, content, created_at)"
    " VALUES (1, 't', 1, 'lista.csv', :content, :now)",
    "INSERT INTO risk_flags (returnee_id, score, level, reasons, rules_version, set_level,"
    " set_by_id, set_reason, computed_at) VALUES (1, 0, 'high', '[]', 1, 'high', 1,"
    " 'amenazada por su tío', :now)",
    "INSERT INTO risk_level_changes (id, returnee_id, from_level, to_level, score, reasons,"
    " rules_version, changed_by, changed_at) VALUES (1, 1, 'low', 'high', 0, :reasons, 1, 's',"
    " :now), (2, 1, NULL, 'low', 0, '[]', 1, 's', :now)",
    "INSERT INTO cases (id, returnee_id, status, is_child, opened_at, close_note)"
    " VALUES (1, 1, 'open', false, :now, '')",
    "INSERT INTO case_contacts (id, returnee_id, kind, outcome, note, made_by_id, made_at)"
    " VALUES (1, 1, 'call', 'reached', 'su tío la busca', 1, :now)",
)


def test_the_migration_seals_staff_notes_and_kept_lists_and_a_downgrade_opens_them(tmp_path):
    from alembic import command

    from returnees.casework.models import Case, CaseContact
    from returnees.core.db import get_session
    from returnees.core.migrations import alembic_config
    from returnees.reception.models import PendingUpload
    from returnees.risk.models import RiskFlag, RiskLevelChange

    before = create_app(
        {"RETURNEES_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}"}
    )
    set_by_staff = [{"rule": "set_level", "evidence": {"reason": "amenazada por su tío"}}]
    latin = PASSENGER_LIST.decode().encode("cp1252")  # a list saved by a spreadsheet: not UTF-8
    values = {"now": "2026-12-01 14:00:00", "content": latin}
    values["reasons"] = json.dumps(set_by_staff)
    with before.app_context():
        command.upgrade(alembic_config(), "0035_encryption_at_rest")
        session = get_session()
        for statement in STAFF_ROWS_0035:
            session.execute(text(statement), values)
        session.commit()
        command.upgrade(alembic_config(), "head")
        dump = " ".join(
            str(row)
            for table in ("access_reasons", "pending_uploads", "risk_flags", "risk_level_changes")
            for row in session.execute(text(f"SELECT * FROM {table}"))
        ) + " ".join(str(row) for row in session.execute(text("SELECT * FROM case_contacts")))
        for plain in ("fiscalía", "Wendy", "amenazada", "su tío la busca"):
            assert plain not in dump
        assert session.get(AccessReason, 1).text == "fiscalía de Mixco"
        assert session.get(PendingUpload, 1).content == latin
        assert session.get(RiskFlag, 1).set_reason == "amenazada por su tío"
        changes = [session.get(RiskLevelChange, n).reasons for n in (1, 2)]
        assert changes == [set_by_staff, []]
        assert (session.get(Case, 1).close_note, session.get(CaseContact, 1).note) == (
            "",
            "su tío la busca",
        )
        session.commit()
        command.downgrade(alembic_config(), "0035_encryption_at_rest")
        read = {
            "content": "SELECT content FROM pending_uploads",
            "set_reason": "SELECT set_reason FROM risk_flags",
            "reasons": "SELECT reasons FROM risk_level_changes ORDER BY id",
            "close_note": "SELECT close_note FROM cases",
        }
        opened = {name: session.scalars(text(query)).all() for name, query in read.items()}
        assert opened == {
            "content": [latin],
            "set_reason": ["amenazada por su tío"],
            "reasons": [json.dumps(set_by_staff, separators=(",", ":"), ensure_ascii=False), "[]"],
            "close_note": [""],
        }
    before.extensions["returnees.db"].engine.dispose()


def test_a_new_index_key_finds_nothing_until_the_indexes_are_computed_again(
    app, stored, in_app, cli
):
    first: Keyring = app.extensions[EXTENSION]
    app.extensions[EXTENSION] = Keyring(first.current, first.keys, new_key_bytes())

    def holder() -> int | None:
        with in_app() as session:
            query = select(Phone.returnee_id).where(Phone.number_index == phone_index(PHONE))
            return session.scalar(query)

    try:
        assert holder() is None
        result = cli("keys", "reindex", "--batch-size", "2")
        assert result.exit_code == 0 and "phones.number:" in result.output, result.output
        assert holder() == stored.returnee_id
    finally:
        app.extensions[EXTENSION] = first


@pytest.mark.parametrize("setting", ["ENCRYPTION_KEYS", "BLIND_INDEX_KEY"])
def test_production_refuses_the_keys_written_in_config(
    monkeypatch, production_environment, setting
):
    from config import test as shipped

    monkeypatch.setenv(setting, getattr(shipped, setting))
    with pytest.raises(SettingsError, match=f"{setting} is a value shipped in config/"):
        create_app({"RETURNEES_ENV": "production"})
