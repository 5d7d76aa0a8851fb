"""The audit trail is one hash chain: `flask audit verify` finds the first entry changed,
removed or slipped in, and PostgreSQL refuses UPDATE, DELETE and TRUNCATE."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from returnees.audit.chain import GENESIS, entry_hash
from returnees.audit.models import AuditAction, AuditEntry
from returnees.audit.services import record_event
from returnees.auth.access import Actor
from returnees.auth.models import Role
from tests.auth.test_sign_in import sign_in
from tests.conftest import load_migration


@pytest.fixture
def trail(app, make_user, sign_in_as, in_app):
    """A few entries written by requests and a command, committed one transaction at a time."""
    admin, other = make_user(Role.ADMIN), make_user()
    client = sign_in_as(admin)
    client.get(f"/users/{other.id}")
    sign_in(app.test_client(), other.email, "wrong")
    with in_app() as session:
        record_event(session, Actor.system("cli"), AuditAction.UPDATE, "user", other.id)
        record_event(session, Actor.system("cli"), AuditAction.UPDATE, "user", admin.id)
    client.get(f"/users/{admin.id}")
    return chained(in_app)


def chained(in_app) -> list[AuditEntry]:
    with in_app() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.position)))


def tampering(session, database_url: str) -> None:
    """Let this (rolled-back) test transaction change the trail, as an owner of the database
    who disables its trigger could."""
    if database_url.startswith("postgresql"):
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))


def test_each_entry_carries_the_hash_of_the_one_before(trail):
    assert [entry.position for entry in trail] == list(range(1, len(trail) + 1))
    assert len(trail) >= 5
    previous = GENESIS
    for entry in trail:
        assert entry.previous_hash == previous
        assert entry.hash == entry_hash(previous, entry)
        previous = entry.hash


def test_verify_reports_an_intact_trail(trail, cli):
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"{len(trail)} entries" in result.output and trail[-1].hash in result.output


def test_verify_reports_the_first_changed_entry(trail, cli, in_app, database_url):
    changed = trail[2]
    with in_app() as session:
        tampering(session, database_url)
        session.execute(
            text("UPDATE audit_entries SET actor = 'someone-else' WHERE id = :id"),
            {"id": changed.id},
        )
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"BROKEN at audit entry {changed.id} (position 3)" in result.output
    assert "was changed" in result.output and "The 2 entries before it are intact" in result.output


def test_verify_reports_a_removed_entry(trail, cli, in_app, database_url):
    with in_app() as session:
        tampering(session, database_url)
        session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": trail[1].id})
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"BROKEN at audit entry {trail[2].id} (position 3)" in result.output
    assert "missing" in result.output


def test_verify_reports_an_entry_slipped_in_outside_the_chain(trail, cli, in_app):
    with in_app() as session:
        slipped = session.scalar(
            insert(AuditEntry)
            .values(at=trail[0].at, actor="x", address="", action=AuditAction.VIEW)
            .values(record_type="", record_id="", detail={})
            .returning(AuditEntry.id)
        )
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert f"BROKEN at audit entry {slipped} (outside the chain)" in result.output


def test_an_entry_rolled_back_with_its_savepoint_leaves_no_gap(app, in_app, make_user, cli):
    user = make_user()
    with in_app() as session:
        with session.begin_nested() as savepoint:
            record_event(session, Actor.system("cli"), AuditAction.UPDATE, "user", user.id)
            savepoint.rollback()
        record_event(session, Actor.system("cli"), AuditAction.DISABLE, "user", user.id)
    assert [entry.action for entry in chained(in_app)] == [AuditAction.DISABLE]
    assert cli("audit", "verify").exit_code == 0


def test_the_upgrade_chains_the_entries_written_before_it(trail, in_app, cli):
    """Entries written before the chain existed (no hash) are chained by the migration, after
    those already chained, and the people they name are indexed."""
    with in_app() as session:
        for person in (7, 8):
            session.execute(
                insert(AuditEntry).values(
                    at=trail[0].at,
                    actor="old@example.org",
                    address="",
                    action=AuditAction.VIEW,
                    record_type="returnee",
                    record_id=str(person),
                    detail={},
                )
            )
    assert cli("audit", "verify").exit_code == 1
    with in_app() as session:
        load_migration("0033_audit_chain").chain_existing_entries(session.connection())
    assert cli("audit", "verify").exit_code == 0
    with in_app() as session:
        named = session.scalars(text("SELECT returnee_id FROM audit_entry_people ORDER BY 1"))
        assert list(named) == [7, 8]


def test_truncate_is_refused_on_postgresql(trail, in_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the trigger exists on PostgreSQL; SQLite has no TRUNCATE")
    for table in ("audit_entries", "audit_entry_people"):
        with pytest.raises(DBAPIError, match="append-only"), in_app() as session:
            session.execute(text(f"TRUNCATE {table} CASCADE"))


def test_a_chained_entry_cannot_be_rechained_on_postgresql(trail, in_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the trigger exists on PostgreSQL; SQLite relies on the ORM guard")
    with pytest.raises(DBAPIError, match="append-only"), in_app() as session:
        session.execute(
            text("UPDATE audit_entries SET hash = :h WHERE id = :id"),
            {"h": "f" * 64, "id": trail[0].id},
        )
    with pytest.raises(DBAPIError, match="append-only"), in_app() as session:
        session.execute(
            text("UPDATE audit_entries SET hash = NULL, actor = 'x' WHERE id = :id"),
            {"id": trail[0].id},
        )


def test_verify_on_an_empty_trail_says_so(app, cli):
    result = cli("audit", "verify")
    assert result.exit_code == 0 and "0 entries" in result.output
