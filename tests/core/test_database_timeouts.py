"""A database that does not answer costs a request seconds and a 503, never a web worker."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import TypeVar

import psycopg
import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from returnees import create_app
from returnees.core.db import EXTENSION as DB
from returnees.core.db import get_session
from returnees.core.encryption import SEALED
from returnees.core.scheduler import PeriodicJob, run_job, run_logged
from tests.conftest import POSTGRES_URL, _postgres_reachable, unavailable

# Bounds what a hung request may cost the suite; the app must answer well inside it.
HANG = 30
T = TypeVar("T")


@contextmanager
def silent_database() -> Iterator[str]:
    """A server on 127.0.0.1 whose kernel takes every connection and which never says a word:
    a PostgreSQL that is up and hung. Its URL; closing it resets whatever still waits."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as listener:
        yield f"postgresql://127.0.0.1:{listener.getsockname()[1]}/returnees"


def answer_of(client: FlaskClient, path: str, **kwargs: object) -> Response:
    """The answer to a GET, failing (not hanging) when none comes within HANG seconds."""
    return within_hang(lambda: client.get(path, **kwargs), f"GET {path}")


def within_hang(call: Callable[[], T], what: str) -> T:
    """What `call` returns, failing (not hanging) when it has not returned within HANG s."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(call).result(timeout=HANG)
    except TimeoutError:
        pytest.fail(f"{what} was still waiting for the database after {HANG} s")
    finally:
        pool.shutdown(wait=False)  # a hung call ends when what it waits for is let go


@contextmanager
def locked(database_url: str, *tables: str) -> Iterator[None]:
    """These tables locked against every reader by another connection until the block ends:
    a migration or a maintenance job that holds them."""
    with psycopg.connect(database_url) as holder:
        holder.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            holder.rollback()


def test_a_hung_database_makes_health_answer_503():
    with silent_database() as url:
        app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": url})
        response = answer_of(app.test_client(), "/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_a_hung_database_makes_the_api_answer_503_in_json():
    with silent_database() as url:
        app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": url})
        response = answer_of(
            app.test_client(), "/api/v1/me", headers={"Authorization": "Bearer anything"}
        )
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert response.headers["Retry-After"]


def test_a_hung_database_makes_a_page_answer_503_in_html():
    with silent_database() as url:
        app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": url})
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie["_user_id"] = "1:0"  # a signed-in session, looked up in the database
        response = answer_of(client, "/")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "La base de datos no responde" in response.get_data(as_text=True)


@pytest.fixture
def postgres_app() -> Iterator[Flask]:
    """An app on PostgreSQL whose requests and jobs may run statements for 1 second, with two
    views of its own: one that reports the limit, one that runs longer than it."""
    if not _postgres_reachable(POSTGRES_URL):
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    app = create_app(
        {
            "RETURNEES_ENV": "test",
            "DATABASE_URL": POSTGRES_URL,
            "WEB_STATEMENT_TIMEOUT_SECONDS": 1,
            "JOB_STATEMENT_TIMEOUT_SECONDS": 1,
        }
    )

    def limit() -> str:
        return get_session().scalar(text("SHOW statement_timeout"))

    def slow() -> str:
        return str(get_session().scalar(text("SELECT pg_sleep(10)")))

    for path in ("/limit", "/slow", "/api/v1/slow"):
        app.add_url_rule(path, path, limit if path == "/limit" else slow)
    yield app
    app.extensions[DB].engine.dispose()


def test_a_web_request_runs_its_statements_under_the_configured_limit(postgres_app):
    assert postgres_app.test_client().get("/limit").get_data(as_text=True) == "1s"


def test_a_command_has_no_statement_limit_unless_it_sets_one(postgres_app):
    with postgres_app.app_context():
        assert get_session().scalar(text("SHOW statement_timeout")) == "0"


def test_a_job_runs_its_statements_under_the_job_limit(postgres_app, monkeypatch):
    monkeypatch.setitem(postgres_app.config, "JOB_STATEMENT_TIMEOUT_SECONDS", 4)
    limit = PeriodicJob("limit", lambda session: session.scalar(text("SHOW statement_timeout")), 60)
    assert run_job(postgres_app, limit) == "4s"


def test_each_batch_of_a_job_has_the_limit_again(postgres_app, monkeypatch):
    monkeypatch.setitem(postgres_app.config, "JOB_STATEMENT_TIMEOUT_SECONDS", 4)

    def batches(session: Session) -> list[str]:
        seen = []
        for _batch in range(2):
            seen.append(session.scalar(text("SHOW statement_timeout")))
            session.commit()
        return seen

    assert run_job(postgres_app, PeriodicJob("batches", batches, 60)) == ["4s", "4s"]


def test_a_job_past_its_limit_is_cancelled_and_logged_by_name(postgres_app, caplog):
    sleepy = PeriodicJob("sleepy", lambda session: session.scalar(text("SELECT pg_sleep(10)")), 60)
    within_hang(lambda: run_logged(postgres_app, sleepy), "the job")
    [failure] = [r for r in caplog.records if r.name == "returnees.core.scheduler"]
    assert failure.levelname == "ERROR"
    assert "job sleepy failed" in failure.getMessage()
    assert "JOB_STATEMENT_TIMEOUT_SECONDS (1 s)" in failure.getMessage()


def test_key_rotation_stuck_behind_a_lock_stops_after_its_limit_and_says_so(
    app, database_url, monkeypatch, cli
):
    if not database_url.startswith("postgresql"):
        pytest.skip("statement timeouts are PostgreSQL's")
    monkeypatch.setitem(app.config, "KEY_ROTATION_STATEMENT_TIMEOUT_SECONDS", 1)
    with locked(database_url, *(model.__tablename__ for model in SEALED)):
        for command in ("rotate", "reindex"):
            result = within_hang(partial(cli, "keys", command), f"keys {command}")
            assert result.exit_code == 1, result.output
            assert "KEY_ROTATION_STATEMENT_TIMEOUT_SECONDS (1 s)" in result.output
            assert "run the command again" in result.output


def test_pooled_connections_detect_a_server_gone_away(postgres_app):
    """Keepalive probes and a limit on unacknowledged data, set on the socket itself: a
    server whose host went down fails the connection within seconds, not hours."""
    settings = {
        "DATABASE_KEEPALIVE_IDLE_SECONDS": 7,
        "DATABASE_KEEPALIVE_INTERVAL_SECONDS": 3,
        "DATABASE_KEEPALIVE_COUNT": 4,
        "DATABASE_TCP_USER_TIMEOUT_SECONDS": 19,
    }
    app = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": POSTGRES_URL, **settings})
    try:
        with app.extensions[DB].engine.connect() as connection:
            fd = connection.connection.driver_connection.fileno()
            with socket.socket(fileno=os.dup(fd)) as sock:
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 7
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 3
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 4
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 19000
    finally:
        app.extensions[DB].engine.dispose()


def test_a_statement_past_the_limit_is_cancelled_and_answers_503(postgres_app):
    page = answer_of(postgres_app.test_client(), "/slow")
    assert page.status_code == 503 and page.mimetype == "text/html"
    api = answer_of(postgres_app.test_client(), "/api/v1/slow")
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "unavailable"


def test_only_queries_estimated_as_big_as_a_report_are_compiled_first():
    """The match's and the search's lookups, overestimated by the planner, are not JIT-compiled
    (tens of milliseconds each); the setting reaches every pooled connection."""
    if not _postgres_reachable(POSTGRES_URL):
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    default = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": POSTGRES_URL})
    chosen = create_app(
        {"RETURNEES_ENV": "test", "DATABASE_URL": POSTGRES_URL, "DATABASE_JIT_ABOVE_COST": 1234}
    )
    try:
        for app, cost in ((default, "5e+06"), (chosen, "1234")):
            with app.extensions[DB].engine.connect() as connection:
                assert connection.scalar(text("SHOW jit_above_cost")) == cost
    finally:
        default.extensions[DB].engine.dispose()
        chosen.extensions[DB].engine.dispose()
