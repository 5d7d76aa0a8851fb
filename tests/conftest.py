"""Fixtures: one app per database (SQLite and PostgreSQL), each test in a rolled-back transaction.

Every test that uses `app` runs on both databases; its id says which ([sqlite] or
[postgresql]). PostgreSQL comes from TEST_DATABASE_URL (default postgresql://127.0.0.1:5432/test).
Where it cannot be reached those tests are skipped with a message, or fail when CI=true.
Under pytest-xdist (`make test` runs `pytest -n auto`) each worker has its own database,
named after TEST_DATABASE_URL's with the worker's id (`test_gw0`, `test_gw1`), created here.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from returnees import create_app
from returnees.auth.access import Actor
from returnees.auth.login import SESSION_KEY
from returnees.auth.models import ApiToken, Role, User
from returnees.auth.on_call import set_on_call
from returnees.auth.passwords import _hasher_for
from returnees.auth.sessions import key_digest, start_session
from returnees.centres.models import Centre
from returnees.core import clock as clock_module
from returnees.core import encryption
from returnees.core.db import EXTENSION as DB
from returnees.core.db import build_engine, get_session
from returnees.core.migrations import alembic_config
from returnees.demo.services import seed_demo

IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED_POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test")
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_url(url: str, worker: str) -> str:
    """The database of one xdist worker: the shared one's name with the worker's id."""
    if not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


POSTGRES_URL = _worker_url(SHARED_POSTGRES_URL, XDIST_WORKER)
PASSWORD = "correct horse battery"
PASSWORD_HASH = _hasher_for(1, 1024, 1).hash(PASSWORD)  # the cost config/test.py sets


def unavailable(reason: str) -> None:
    """Skip with a message that says how to enable; in CI a missing service is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: every test must run)", pytrace=False)
    pytest.skip(reason)


def _create_worker_database(url: str) -> None:
    """Create this xdist worker's database beside the shared one, once."""
    name = make_url(url).database
    engine = build_engine(SHARED_POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def _postgres_reachable(url: str) -> bool:
    if url != SHARED_POSTGRES_URL and url == POSTGRES_URL:
        try:
            _create_worker_database(url)
        except OperationalError:
            return False
    engine = build_engine(url)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def _reset_postgres(url: str) -> None:
    engine = build_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
    if not _postgres_reachable(POSTGRES_URL):
        unavailable(
            f"PostgreSQL is not reachable at {POSTGRES_URL}: start it, or set TEST_DATABASE_URL"
        )
    _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    """The application, its schema built by the migrations (as in production)."""
    application = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": database_url})
    with application.app_context():
        command.upgrade(alembic_config(), "head")
    yield application
    application.extensions[DB].engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run each test that uses the app inside one transaction, rolled back at the end."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    encryption._last_keyring = app.extensions[encryption.EXTENSION]  # another test built an app
    database = app.extensions[DB]
    connection = database.engine.connect()
    outer = connection.begin()
    original = database.sessionmaker
    database.sessionmaker = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield
    finally:
        database.sessionmaker = original
        outer.rollback()
        connection.close()


@pytest.fixture
def in_app(app: Flask) -> Callable[[], contextmanager]:
    """`with in_app() as session:` runs services in a short app context, then commits.

    Tests never hold an app context across requests: Flask would share `g` with them.
    """

    @contextmanager
    def context() -> Iterator[Session]:
        with app.app_context():
            session = get_session()
            yield session
            session.commit()

    return context


@pytest.fixture
def clock(app: Flask) -> Iterator[clock_module.FixedClock]:
    """Stop the app's clock at a known time; tests move it with clock.advance(minutes=...)."""
    fixed = clock_module.FixedClock(datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    app.extensions[clock_module.EXTENSION] = fixed
    yield fixed
    app.extensions[clock_module.EXTENSION] = clock_module.SystemClock()


@pytest.fixture
def demo(in_app) -> None:
    """The demo centres and users."""
    with in_app() as session:
        seed_demo(session, PASSWORD)


_numbers = count(1)


@pytest.fixture
def make_centre(in_app) -> Callable[..., Centre]:
    def make(**overrides: object) -> Centre:
        number = next(_numbers)
        values = {
            "code": f"GT-C{number}",
            "name": f"Centro {number}",
            "kind": "airport",
            "country": "GT",
            "region": "Guatemala",
            "municipality": "Guatemala",
            "timezone": "America/Guatemala",
        } | overrides
        with in_app() as session:
            centre = Centre(created_at=datetime.now(UTC), **values)
            session.add(centre)
            session.flush()
        return centre

    return make


@pytest.fixture
def make_user(in_app, make_centre) -> Callable[..., User]:
    """A user with the password PASSWORD; `centre` is a Centre or a code."""

    def make(role: Role | str = Role.RECEPTION, centre: Centre | str | None = None, **overrides):
        with in_app() as session:
            if isinstance(centre, str):
                centre = session.scalar(
                    text("SELECT id FROM centres WHERE code = :code").bindparams(code=centre)
                )
                centre_id = centre
                assert centre_id, "no such centre: request the demo fixture first"
            else:
                centre_id = (centre or make_centre()).id
            number = next(_numbers)
            on_call = overrides.pop("is_on_call", False)
            user = User(
                email=overrides.pop("email", f"user{number}@example.org"),
                name=overrides.pop("name", f"User {number}"),
                password_hash=PASSWORD_HASH,
                role=Role(role),
                centre_id=centre_id,
                created_at=datetime.now(UTC),
                **overrides,
            )
            session.add(user)
            session.flush()
            if on_call:  # last on the rota of the user's region
                set_on_call(session, Actor.system("test"), user.email, True)
            session.refresh(user)
        return user

    return make


@pytest.fixture
def sign_in_as(app: Flask) -> Callable[[User], FlaskClient]:
    """A test client signed in as this user (the session cookie set as a sign-in sets it)."""

    def client_for(user: User) -> FlaskClient:
        return signed_in_client(app, user)

    return client_for


def signed_in_client(app: Flask, user: User) -> FlaskClient:
    """A test client with a live session of this user, its cookie set as a sign-in sets it."""
    client = app.test_client()
    with app.app_context():
        session = get_session()
        key = start_session(session, session.get(User, user.id))
        session.commit()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = user.get_id()
        cookie["_fresh"] = True
        cookie[SESSION_KEY] = key
    return client


@pytest.fixture
def token_for(in_app) -> Callable[[User], dict[str, str]]:
    """Authorization headers with a fresh API token for this user."""

    def headers(user: User) -> dict[str, str]:
        raw = f"test-token-{next(_numbers)}-{user.id}"
        with in_app() as session:
            now = datetime.now(UTC)
            session.add(
                ApiToken(
                    user_id=user.id,
                    digest=key_digest(raw),
                    created_at=now,
                    expires_at=now + timedelta(days=3650),  # past any clock a test sets
                )
            )
        return {"Authorization": f"Bearer {raw}"}

    return headers


@pytest.fixture
def cli(app):
    """Run a `flask` command of the app: cli("users", "list")."""
    runner = app.test_cli_runner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(args=list(args), input=input)

    return run


CSRF_PATTERN = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token a page gives this client, as a browser would read it."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_PATTERN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


ARTIFACTS = Path(__file__).parent / "artifacts"
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"


def load_migration(name: str):
    """A migration's module, to run what it runs (data migrations keep their work in functions
    that take a connection)."""
    spec = importlib.util.spec_from_file_location(name, MIGRATIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def api(app, demo, make_user, token_for):
    """The API as a desk at La Aurora calls it: api("POST", "/returnees", body)."""
    client = app.test_client()
    headers = token_for(make_user(Role.RECEPTION, "GT-AURORA"))

    def call(method: str, path: str, body=None):
        return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)

    return call


@pytest.fixture
def register(demo, in_app, clock):
    """Register an arrival through the reception service (the demo centres exist); returns it."""
    from returnees.reception.intake import ArrivalEntry, Intake, PhoneEntry
    from returnees.reception.services import register_arrival

    def make(
        centre: str = "GT-AURORA",
        match: object = "new",
        phones: tuple[str | PhoneEntry, ...] = (),  # a bare number: the person's, agreed to
        arrived_at: datetime | None = None,
        **fields: object,
    ):
        values = {
            "given_names": "Ana",
            "family_names": "López",
            "estimated_age": 25,
            "sex": "F",
            "nationality": "GT",
        } | fields
        intake = Intake(
            **values,
            phones=[
                p if isinstance(p, PhoneEntry) else PhoneEntry(p, consent=True) for p in phones
            ],
            arrival=ArrivalEntry(centre=centre, arrived_at=arrived_at),
        )
        with in_app() as session:
            arrival = register_arrival(session, Actor.system("test"), intake, match)
            arrival.returnee  # noqa: B018 - loaded before the session closes
        return arrival

    return make


@pytest.fixture
def keys_in_the_environment(monkeypatch):
    """Production's encryption keys, fresh (tests/core/test_encryption.py shows it refuses
    without them, and refuses the keys written in config/)."""
    from returnees.core.encryption import new_key

    monkeypatch.setenv("ENCRYPTION_KEYS", f"k1={new_key()}")
    monkeypatch.setenv("BLIND_INDEX_KEY", new_key())


@pytest.fixture
def production_environment(monkeypatch, keys_in_the_environment):
    """Everything production needs to start, but Twilio: a test takes one setting away (or
    changes it) to see what production says."""
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-key-of-more-than-32-bytes")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.internal/returnees")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://returnees.example.org")
    monkeypatch.setenv("MESSAGING_REQUIRES_TWILIO", "false")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
