"""The database: declarative base, UTC datetimes, and one session per request, job or command."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

EXTENSION = "returnees.db"
T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def value_enum(enum_class: type[enum.Enum], length: int = 20) -> SqlEnum:
    """Store an enum by its value as plain text, so adding a member needs no type migration."""
    return SqlEnum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class Database:
    """The engine and the session factory of one application."""

    def __init__(self, url: str) -> None:
        self.engine = build_engine(url)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def build_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _make_sqlite_transactional(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _make_sqlite_transactional(engine: Engine) -> None:
    """Let SQLAlchemy own BEGIN, so savepoints and foreign keys work on SQLite as on PostgreSQL."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Database(app.config["DATABASE_URL"])
    app.after_request(_finish_request)
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions[EXTENSION]


def get_session() -> Session:
    """The session of the current request, job or command; created on first use."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return g.db_session


def get_required(session: Session, model: type[T], ident: object, missing: object) -> T:
    """The row with this primary key, or NotFound with the message `missing`."""
    from returnees.core.errors import NotFound

    found = session.get(model, ident)
    if found is None:
        raise NotFound(missing)
    return found


def _finish_request(response: Response) -> Response:
    """Commit once at the end of a request that succeeded; roll back anything else."""
    session: Session | None = g.get("db_session")
    if session is not None:
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
    return response


def _close_session(_error: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def committing(session: Session) -> Iterator[Session]:
    """Commit the session when the block ends, roll it back on any error."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def unit_of_work() -> AbstractContextManager[Session]:
    """The session of a CLI command or a job, committed at the end, rolled back on any error."""
    return committing(get_session())


@contextmanager
def separate_unit_of_work() -> Iterator[Session]:
    """A transaction apart from the request's, committed even when the request is rolled back
    (the audit of what a refused request showed)."""
    with closing(database().sessionmaker()) as session, committing(session):
        yield session


def bulk_insert(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert many rows of one table in one operation: COPY on PostgreSQL (one round trip and no
    statement to parse, whatever the count), one executemany elsewhere. Every row has the same
    keys; values go in as the column types would bind them (enums as their values)."""
    if not rows:
        return
    columns = list(rows[0])
    if session.get_bind().dialect.name != "postgresql":
        session.execute(model.__table__.insert(), rows)
        return
    table = model.__table__
    names = ", ".join(f'"{name}"' for name in columns)
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_copy_value(row[name]) for name in columns])


def _copy_value(value: object) -> object:
    return value.value if isinstance(value, enum.Enum) else value
