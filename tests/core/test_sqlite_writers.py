"""The embedded default's SQLite file under a desk, a simulator, a reader and the jobs at once.

Each of them reads and then writes in one transaction. SQLite lets one connection write at a
time and cannot turn a transaction that has read into one that writes while another writer is
or was active since, nor wait for it: such a write fails at once with "database is locked",
whatever the busy timeout. Here every writer works on the same file through its own
connection, as the dev server's threads and its scheduler do, and none may fail.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from returnees import create_app
from returnees.audit.models import AuditEntry
from returnees.auth.models import ApiToken, User
from returnees.auth.sessions import key_digest
from returnees.core.clock import EXTENSION as CLOCK
from returnees.core.clock import FixedClock
from returnees.core.db import EXTENSION as DB
from returnees.core.db import get_session, reads_only, unit_of_work
from returnees.core.migrations import alembic_config
from returnees.core.scheduler import periodic_jobs, run_job
from returnees.demo.services import seed_demo
from returnees.messaging.models import InboundMessage
from returnees.people.models import Returnee
from tests.conftest import PASSWORD, csrf_token, signed_in_client

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 09:00 in Guatemala: messages go out
ROUNDS = 12
JOBS = ("read-replies", "dispatch-check-ins", "send-due-messages")


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Flask]:
    """An app on a SQLite file of its own, committed for real (not the rolled-back test
    transaction), with the demo centres and users."""
    app = create_app(
        {"RETURNEES_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}"}
    )
    app.extensions[CLOCK] = FixedClock(NOW)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        with unit_of_work() as session:
            seed_demo(session, PASSWORD)
    yield app
    app.extensions[DB].engine.dispose()


def user(app: Flask, email: str) -> User:
    with app.app_context(), unit_of_work() as session:
        return session.scalars(select(User).where(User.email == email)).one()


def signed_in(app: Flask, email: str) -> FlaskClient:
    return signed_in_client(app, user(app, email))


def api_headers(app: Flask, email: str) -> dict[str, str]:
    raw = f"writers-{secrets.token_hex(8)}"
    account = user(app, email)
    with app.app_context(), unit_of_work() as session:
        session.add(
            ApiToken(
                user_id=account.id,
                digest=key_digest(raw),
                created_at=NOW,
                expires_at=NOW + timedelta(days=90),
            )
        )
    return {"Authorization": f"Bearer {raw}"}


def arrival(number: int) -> dict[str, object]:
    """A person arriving at La Aurora this morning, with a phone of their own."""
    return {
        "given_names": f"Persona {number}",
        "family_names": "Escritora",
        "birth_date": "1990-05-04",
        "sex": "F",
        "nationality": "GT",
        "phones": [{"number": f"5{number:07d}", "owner": "self", "consent": True}],
        "municipality": "Mixco",
        "match": "new",
        "arrival": {"centre": "GT-AURORA", "arrived_at": "2026-12-01T08:10:00-06:00"},
    }


def test_a_desk_a_simulator_a_reader_and_the_jobs_write_at_once_without_a_lock_error(
    embedded: Flask,
) -> None:
    desk_headers = api_headers(embedded, "reception@demo.returnees.test")
    desk = embedded.test_client()
    first = [
        desk.post("/api/v1/returnees", json=arrival(n), headers=desk_headers).get_json()["id"]
        for n in range(3)
    ]
    jobs = {job.id: job for job in periodic_jobs(embedded) if job.id in JOBS}
    for job_id in JOBS:
        run_job(embedded, jobs[job_id])  # the day-0 check-ins go out, awaiting an answer

    def registrations() -> None:
        for n in range(10, 10 + ROUNDS):
            answer = desk.post("/api/v1/returnees", json=arrival(n), headers=desk_headers)
            assert answer.status_code == 201, answer.get_json()

    def replies() -> None:
        phone = signed_in(embedded, "reception@demo.returnees.test")
        token = csrf_token(phone, "/simulator/")
        for n in range(ROUNDS):
            number = f"+5025{n % 3:07d}"
            sent = phone.post(
                "/simulator/reply", data={"number": number, "body": "1", "csrf_token": token}
            )
            assert sent.status_code == 302

    def background() -> None:
        for _ in range(ROUNDS):
            for job_id in JOBS:
                run_job(embedded, jobs[job_id])

    def reading() -> None:
        supervisor = signed_in(embedded, "supervisor@demo.returnees.test")
        for n in range(ROUNDS):
            assert supervisor.get(f"/returnees/{first[n % 3]}").status_code == 200
            assert supervisor.get("/simulator/").status_code == 200

    run_at_once(registrations, replies, background, reading)
    with embedded.app_context(), unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Returnee)) == 3 + ROUNDS
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == ROUNDS


def run_at_once(*workers: Callable[[], None]) -> None:
    """Run each worker in a thread of its own; fail with every error any of them raised."""
    with ThreadPoolExecutor(len(workers)) as pool:
        futures = [pool.submit(worker) for worker in workers]
    failed = [
        f"{worker.__name__}: {future.exception()!r}"
        for worker, future in zip(workers, futures, strict=True)
        if future.exception() is not None
    ]
    assert not failed, "\n".join(failed)


def test_earlier_records_shown_at_a_busy_desk_are_audited_after_its_own_transaction(
    embedded: Flask,
) -> None:
    headers = api_headers(embedded, "reception@demo.returnees.test")
    desk = embedded.test_client()
    first = desk.post("/api/v1/returnees", json=arrival(1), headers=headers).get_json()["id"]
    again = desk.post("/api/v1/returnees", json=arrival(1) | {"match": None}, headers=headers)
    assert again.status_code == 409, again.get_json()
    with embedded.app_context(), unit_of_work() as session:
        entries = session.scalars(select(AuditEntry)).all()
    shown = [e.record_id for e in entries if e.detail.get("reason") == "match_candidate"]
    assert shown == [str(first)]


def test_a_view_marked_as_only_reading_cannot_write(embedded: Flask) -> None:
    @embedded.get("/writes-though-marked")
    @reads_only
    def writes() -> str:
        get_session().add(ApiToken(user_id=1, digest="x", created_at=NOW, expires_at=NOW))
        get_session().flush()
        return "written"

    with pytest.raises(RuntimeError, match="reads_only"):
        embedded.test_client().get("/writes-though-marked")
