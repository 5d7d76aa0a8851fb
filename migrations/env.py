"""Alembic environment: the database URL and the models come from the Flask app."""

from __future__ import annotations

from alembic import context

from returnees.core.db import Base, UTCDateTime, build_engine
from returnees.core.encryption import SealedText
from returnees.models import import_all_models

import_all_models()
config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Write our UTC timestamp type as the plain timezone-aware DateTime it is stored as, and a
    sealed column as the text it is."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, SealedText):
        return "sa.Text()"
    return False


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """An index of one database alone (pg_trgm's on PostgreSQL, `info={"only_on": ...}`) is
    not looked for in the others."""
    if type_ != "index":
        return True
    declared = compare_to if reflected else obj
    only_on = declared.info.get("only_on") if declared is not None else None
    return only_on is None or only_on == context.get_context().dialect.name


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = build_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        on_sqlite = connection.dialect.name == "sqlite"
        if on_sqlite:
            # A batch migration rebuilds a table (copy, drop, rename): with foreign keys enforced,
            # dropping a table that stored rows refer to fails. They are checked at the end
            # instead (the pragma must be set before the transaction begins).
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            render_item=render_item,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
            if on_sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise RuntimeError("the migration left rows referring to rows that are gone")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
