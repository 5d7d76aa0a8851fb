"""A database that does not answer costs a request seconds and a 503, never a web worker."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy import text

from returnees import create_app
from returnees.core.db import EXTENSION as DB
from returnees.core.db import get_session
from tests.conftest import POSTGRES_URL, _postgres_reachable, unavailable

# Bounds what a hung request may cost the suite; the app must answer well inside it.
HANG = 30


@contextmanager
def silent_database() -> Iterator[str]:
    """A server on 127.0.0.1 whose kernel takes every connection and which never says a word:
    a PostgreSQL that is up and hung. Its URL; closing it resets whatever still waits."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as listener:
        yield f"postgresql://127.0.0.1:{listener.getsockname()[1]}/returnees"


def answer_of(client: FlaskClient, path: str, **kwargs: object) -> Response:
    """The answer to a GET, failing (not hanging) when none comes within HANG seconds."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(client.get, path, **kwargs).result(timeout=HANG)
    except TimeoutError:
        pytest.fail(f"GET {path} was still waiting for the database after {HANG} s")
    finally:
        pool.shutdown(wait=False)  # a hung request ends when the silent server closes


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
    """An app on PostgreSQL whose requests may run statements for 1 second, with two views
    of its own: one that reports the limit, one that runs longer than it."""
    if not _postgres_reachable(POSTGRES_URL):
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    app = create_app(
        {"RETURNEES_ENV": "test", "DATABASE_URL": POSTGRES_URL, "WEB_STATEMENT_TIMEOUT_SECONDS": 1}
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


def test_a_job_or_command_has_no_statement_limit(postgres_app):
    with postgres_app.app_context():
        assert get_session().scalar(text("SHOW statement_timeout")) == "0"


def test_a_statement_past_the_limit_is_cancelled_and_answers_503(postgres_app):
    page = answer_of(postgres_app.test_client(), "/slow")
    assert page.status_code == 503 and page.mimetype == "text/html"
    api = answer_of(postgres_app.test_client(), "/api/v1/slow")
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "unavailable"
