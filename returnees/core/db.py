"""The database: declarative base, UTC datetimes, and one session per request, job or command."""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, closing, contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from flask import Flask, Response, current_app, g, has_request_context, request
from psycopg.errors import QueryCanceled
from psycopg.types.json import Json
from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Select,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    text,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from returnees.core.encryption import (
    SEALED,
    Envelope,
    SealedText,
    reserve_ids,
    row_key,
    sealed_row,
)

EXTENSION = "returnees.db"
SQLITE_BEGIN = "sqlite_begin"  # execution option: how a transaction begins on SQLite
_PG_TYPE = re.compile(r"\(.*\)")  # VARCHAR(20) -> varchar: the type names COPY BINARY is told
CONNECT_TIMEOUT_SECONDS = 2  # of an engine built without the app's settings (migrations)
STATEMENT_TIMEOUT = "statement_timeout"  # session.info: the seconds each statement may take
T = TypeVar("T")
V = TypeVar("V", bound=Callable[..., Any])

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

    def __init__(self, url: str, connect_args: Mapping[str, Any] | None = None) -> None:
        self.engine = build_engine(url, connect_args)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def postgres_connect_args(config: Mapping[str, Any]) -> dict[str, int | str]:
    """How psycopg connects to PostgreSQL, from the settings. A server that takes the connection
    and never answers fails it after DATABASE_CONNECT_TIMEOUT_SECONDS (libpq counts at least
    2). A server that goes away under a connection already made (a pooled one, or one waiting
    for an answer) is found out by TCP keepalives, and data it never acknowledges by
    tcp_user_timeout, instead of the kernel's two hours: the connection then fails and the
    pool's pre-ping replaces it. Queries estimated below DATABASE_JIT_ABOVE_COST are not
    compiled (JIT): short lookups the planner overestimates would pay the compiling."""
    return {
        "connect_timeout": config["DATABASE_CONNECT_TIMEOUT_SECONDS"],
        "keepalives": 1,
        "keepalives_idle": config["DATABASE_KEEPALIVE_IDLE_SECONDS"],
        "keepalives_interval": config["DATABASE_KEEPALIVE_INTERVAL_SECONDS"],
        "keepalives_count": config["DATABASE_KEEPALIVE_COUNT"],
        "tcp_user_timeout": config["DATABASE_TCP_USER_TIMEOUT_SECONDS"] * 1000,
        "options": f"-c jit_above_cost={config['DATABASE_JIT_ABOVE_COST']}",
    }


def build_engine(url: str, connect_args: Mapping[str, Any] | None = None) -> Engine:
    """The engine of a database URL; on PostgreSQL, connecting with `connect_args`
    (`postgres_connect_args`), or else with a connect timeout of CONNECT_TIMEOUT_SECONDS."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _make_sqlite_transactional(engine)
        return engine
    connect_args = connect_args or {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return create_engine(url, pool_pre_ping=True, connect_args=dict(connect_args))


def _make_sqlite_transactional(engine: Engine) -> None:
    """Let SQLAlchemy own BEGIN, so savepoints and foreign keys work on SQLite as on PostgreSQL.

    A transaction begins IMMEDIATE, taking the one write lock at once (waiting for it up to the
    busy timeout), unless its session only reads (`reads_only`): SQLite cannot turn a
    transaction that has read into one that writes while another writer holds the lock or has
    committed since, and does not wait then, but fails with "database is locked"."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Database(
        app.config["DATABASE_URL"], postgres_connect_args(app.config)
    )
    app.after_request(_finish_request)
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions[EXTENSION]


def get_session() -> Session:
    """The session of the current request, job or command; created on first use."""
    if "db_session" not in g:
        session = _reading_session() if _view_reads_only() else database().sessionmaker()
        if has_request_context():
            limit_statements(session, _request_timeout_setting())
        g.db_session = session
    return g.db_session


def statement_timeout(setting: str) -> Callable[[V], V]:
    """Give a view's statements the seconds of `setting` each (0: no limit) instead of the
    WEB_STATEMENT_TIMEOUT_SECONDS of every request: an export that reads all a person's
    records (EXPORT_STATEMENT_TIMEOUT_SECONDS)."""

    def mark(view: V) -> V:
        view.statement_timeout = setting  # type: ignore[attr-defined]
        return view

    return mark


def _request_timeout_setting() -> str:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "statement_timeout", "WEB_STATEMENT_TIMEOUT_SECONDS")


def limit_statements(session: Session, setting: str) -> None:
    """Cancel any statement of this session's transactions that runs longer than the seconds
    of `setting` (0: no limit), on PostgreSQL: a request waiting on a lock or a hung query
    answers 503 instead of holding a web worker until gunicorn kills it, and a job or a
    command fails and says so instead of waiting for ever. A request has
    WEB_STATEMENT_TIMEOUT_SECONDS or its view's own (`statement_timeout`), a job
    JOB_STATEMENT_TIMEOUT_SECONDS; a command has none unless it sets one.

    The limit is set again as each transaction begins (`set_config(..., true)` lasts one
    transaction), so a job that commits batch after batch has it for each batch."""
    if database().dialect != "postgresql":
        return
    first = STATEMENT_TIMEOUT not in session.info
    session.info[STATEMENT_TIMEOUT] = current_app.config[setting]
    if first:
        event.listen(session, "after_begin", _limit_transaction)
    if session.in_transaction():
        _set_statement_timeout(session.connection(), session.info[STATEMENT_TIMEOUT])


def _limit_transaction(session: Session, _transaction: Any, connection: Any) -> None:
    if session.info[STATEMENT_TIMEOUT]:
        _set_statement_timeout(connection, session.info[STATEMENT_TIMEOUT])


def _set_statement_timeout(connection: Any, seconds: int) -> None:
    connection.execute(
        text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(seconds * 1000)}
    )


def ran_out_of_time(error: BaseException) -> bool:
    """Whether a database error is a statement cancelled by its statement timeout."""
    return isinstance(error, DBAPIError) and isinstance(error.orig, QueryCanceled)


def reads_only(view: V) -> V:
    """Mark a view that never writes (a page polled often, a type-ahead): on SQLite its
    transaction does not take the write lock, so it never waits for a writer. Most pages write
    the audit of what they showed, and so are not marked; a write in a marked view fails at
    once, on every database."""
    view.reads_only = True  # type: ignore[attr-defined]
    return view


def _view_reads_only() -> bool:
    if not has_request_context() or request.endpoint is None:
        return False
    return getattr(current_app.view_functions.get(request.endpoint), "reads_only", False)


def _reading_session() -> Session:
    session = database().sessionmaker(execution_options={SQLITE_BEGIN: "DEFERRED"})
    event.listen(session, "before_flush", _refuse_writes)
    return session


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    changed = session.new or session.deleted or any(map(session.is_modified, session.dirty))
    if changed:
        raise RuntimeError("a view marked reads_only tried to write; remove the mark")


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
    _write_separate_units()


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
    (the audit of what a refused request showed). Only add rows to it: they are written when
    the app context ends, after the request's or job's own transaction, which on SQLite holds
    the one write lock until then."""
    session = database().sessionmaker()
    try:
        yield session
    except BaseException:
        session.close()
        raise
    g.setdefault("db_separate_sessions", []).append(session)


def _write_separate_units() -> None:
    for session in g.pop("db_separate_sessions", []):
        with closing(session):
            session.commit()


def bulk_insert(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert many rows of one table in one operation: COPY on PostgreSQL (one round trip and no
    statement to parse, whatever the count), one executemany elsewhere. Every row has the same
    keys; values go in as the column types would bind them (enums as their values)."""
    if not rows:
        return
    if model in SEALED:
        rows = _sealed_rows(session, model, rows)
    columns = list(rows[0])
    if session.get_bind().dialect.name != "postgresql":
        session.execute(model.__table__.insert(), rows)
        return
    table = model.__table__
    names = ", ".join(f'"{name}"' for name in columns)
    values_of = (
        operator.itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    )
    converted = [
        (position, _copy_converter(table.c[name].type))
        for position, name in enumerate(columns)
        if _copy_converter(table.c[name].type) is not None
    ]
    dialect = session.get_bind().dialect
    types = [_PG_TYPE.sub("", table.c[n].type.compile(dialect=dialect)).lower() for n in columns]
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT BINARY)') as copy:
        copy.set_types(types)
        for row in rows:
            values = list(values_of(row))
            for position, convert in converted:
                if values[position] is not None:
                    values[position] = convert(values[position])
            copy.write_row(values)


def among(session: Session, column: ColumnElement[T], values: Iterable[T]) -> ColumnElement[bool]:
    """`column IN values`, as `column = ANY(array)` on PostgreSQL: psycopg parses every
    placeholder of an IN list in Python (a batch of 500 costs 2 ms).

    Whole numbers go in as one array constant written into the statement: PostgreSQL then
    hashes it where it scans rather than searches an index for each (a table whose statistics
    lag behind, such as tasks during a first scoring), and with their lowest and highest as a
    range, which it can read from an index alone when they lie close together (a batch of
    people claimed in id order: 2,000 of them found in 3 ms instead of 15 by scanning all
    arrivals). Other values are one bound array."""
    values = list(values)
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    if values and all(type(value) is int for value in values):
        literal = "{" + ",".join(map(str, values)) + "}"
        array = bindparam(None, literal, type_=Text, literal_execute=True)
        lowest = bindparam(None, min(values), type_=Integer, literal_execute=True)
        highest = bindparam(None, max(values), type_=Integer, literal_execute=True)
        return and_(column == any_(cast(array, ARRAY(Integer))), column.between(lowest, highest))
    return column == any_(bindparam(None, values, type_=ARRAY(column.type)))


def among_selected(
    session: Session, column: ColumnElement[T], chosen: Select[tuple[T]]
) -> ColumnElement[bool]:
    """`column IN (chosen)`, the subquery run once. On PostgreSQL as `= ANY(ARRAY(chosen))`, an
    InitPlan: an IN subquery may be run again for each row of a nested loop, and a claim's
    `LIMIT n FOR UPDATE SKIP LOCKED` run again claims more than n."""
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(chosen)
    return column == any_(func.array(chosen.scalar_subquery()))


def json_text(value: object) -> str:
    """JSON as bulk_insert stores it on PostgreSQL (a json column keeps the text as given), and
    as `column::text` reads it back: compact UTF-8, by orjson (the nightly risk run writes a
    million people's reasons, or compares them with what is stored, at about 1 microsecond each
    instead of 9 with json.dumps)."""
    return orjson.dumps(value).decode()


def insert_returning_ids(
    session: Session, model: type[Base], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert new rows of one table in one bulk operation and return their ids, in order.

    On PostgreSQL the ids are drawn from the table's sequence in one query and the rows go in
    by COPY: a multi-row INSERT ... RETURNING has a placeholder for every value, which psycopg
    parses in Python (about 4 microseconds each: 20 ms for 300 messages). Elsewhere, one
    executemany with RETURNING."""
    if not rows:
        return []
    if model in SEALED:
        ids = reserve_ids(session, model, len(rows))
        bulk_insert(session, model, [{"id": id_} | row for id_, row in zip(ids, rows, strict=True)])
        return ids
    if session.get_bind().dialect.name != "postgresql":
        inserted = session.execute(
            model.__table__.insert().returning(model.__table__.c.id, sort_by_parameter_order=True),
            rows,
        )
        return list(inserted.scalars())
    ids = list(
        session.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": model.__tablename__, "n": len(rows)},
        )
    )
    bulk_insert(session, model, [{"id": id_} | row for id_, row in zip(ids, rows, strict=True)])
    return ids


def update_each(
    session: Session, model: type[Base], row_ids: Iterable[Any], values: dict[str, Any]
) -> None:
    """Give these rows the same values in one executemany, past the ORM (loaded objects are
    not refreshed). What an UPDATE of a sealed field must be: its value sealed to each row,
    since an envelope opens only in the row it was sealed for."""
    ids = list(row_ids)
    if not ids:
        return
    key = row_key(model)
    rows = _sealed_rows(session, model, [{key: row_id} | values for row_id in ids])
    table = model.__table__
    names = [name for name in rows[0] if name != key]
    statement = (
        table.update()
        .where(table.c[key] == bindparam("row_key"))
        .values({name: bindparam(f"new_{name}", type_=table.c[name].type) for name in names})
    )
    parameters = [{"row_key": row[key]} | {f"new_{n}": row[n] for n in names} for row in rows]
    session.execute(statement, parameters)


def _sealed_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> list[dict]:
    """Rows of a model with sealed fields, their values sealed to their ids (drawn when the
    rows have none yet). The keys become column names: a sealed field's attribute
    (`number_sealed`) is mapped to the column of the field's name."""
    if row_key(model) not in rows[0]:
        ids = reserve_ids(session, model, len(rows))
        rows = [{"id": id_} | row for id_, row in zip(ids, rows, strict=True)]
    columns = {attr.key: attr.columns[0].name for attr in model.__mapper__.column_attrs}
    return [
        {columns.get(key, key): value for key, value in sealed_row(model, row).items()}
        for row in rows
    ]


def _copy_converter(column_type: object) -> Callable[[Any], Any] | None:
    """What a value of this column type must become for COPY: an enum its stored value, JSON
    its text; None when psycopg takes the value as it is."""
    if isinstance(column_type, SqlEnum):
        return lambda value: getattr(value, "value", value)
    if isinstance(column_type, JSON):
        return lambda value: Json(value, dumps=json_text)
    if isinstance(column_type, SealedText):
        return _envelope_only
    return None


def _envelope_only(value: object) -> str:
    if not isinstance(value, Envelope):
        raise TypeError("a sealed column takes envelopes: bulk rows go through sealed_row")
    return str(value)
