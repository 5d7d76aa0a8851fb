"""encryption at rest, continued: the free text staff write about a person, the reasons given
to open a record, and the passenger lists kept while their upload waits

Each column below becomes text holding an envelope, as in 0035 (returnees/core/encryption.py):
sealed with the first key of ENCRYPTION_KEYS, bound to its table, column and row key (a risk
flag's is its person's id, under which the nightly run rewrites it); empty values become NULL.
A kept passenger list's bytes are sealed as base64. Risk level changes are sealed whole: a
level set by staff is among their reasons with its reason in words. The keys come from the app
running the upgrade, as for 0035.

Revision ID: 0040_seal_staff_notes
Revises: 0039_arrival_return_type
Create Date: 2026-12-10
"""

import base64

import orjson
import sqlalchemy as sa
from alembic import op

from returnees.core.encryption import keyring

revision = "0040_seal_staff_notes"
down_revision = "0039_arrival_return_type"
branch_labels = None
depends_on = None

BATCH = 1000
FILES_BATCH = 20  # passenger lists: a batch of files in memory at once


class Column:
    """A column sealed by this revision: its type and default before, how its values read."""

    def __init__(self, table, name, before, *, kind="text", key="id", default=None):
        self.table, self.name, self.before = table, name, before
        self.kind, self.key, self.default = kind, key, default

    @property
    def empty(self) -> str:
        """What NULL stood for before it was NOT NULL again."""
        return "[]" if self.kind == "json" else ""


SEALED = [
    Column("access_reasons", "text", sa.Text()),
    Column("pending_uploads", "content", sa.LargeBinary(), kind="bytes"),
    Column("cases", "close_note", sa.Text()),
    Column("case_office_changes", "reason", sa.String(200)),
    Column("case_contacts", "note", sa.Text()),
    Column("transfers", "reason", sa.Text()),
    Column("transfers", "decline_reason", sa.Text(), default=""),
    Column("tasks", "close_note", sa.Text(), default=""),
    Column("risk_flags", "set_reason", sa.Text(), key="returnee_id"),
    Column("risk_level_changes", "reasons", sa.JSON(), kind="json"),
    Column("screenings", "occupation", sa.String(120)),
    Column("screenings", "skills", sa.Text()),
    Column("erasures", "reason", sa.Text()),
]


def _by_table() -> dict:
    tables = {}
    for column in SEALED:
        tables.setdefault(column.table, []).append(column)
    return tables


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    for table, columns in _by_table().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column.name,
                    existing_type=column.before,
                    type_=sa.Text(),
                    nullable=True,
                    server_default=None,
                    postgresql_using=_as_text(column),
                )
    for column in SEALED:
        _seal(column)


def _as_text(column: Column) -> str:
    if column.kind == "bytes":
        return f"encode(\"{column.name}\", 'base64')"
    return f'"{column.name}"::text'


def _plain(column: Column, value) -> str | None:
    """The value as its field encodes it (core.encryption's codecs); None when empty."""
    if column.kind == "json":
        plain = orjson.dumps(orjson.loads(value)).decode()
        return None if plain in ("[]", "{}", "null") else plain
    if column.kind == "bytes":
        data = value if isinstance(value, bytes) else base64.b64decode(value)
        return base64.b64encode(data).decode() if data else None
    return value or None


def _seal(column: Column) -> None:
    """Seal every stored value of the column, batch after batch, in key order."""
    connection, keys = op.get_bind(), keyring()
    table = _table(column, sa.Text)
    key, value = table.c[column.key], table.c[column.name]
    sealed = sa.bindparam("sealed", type_=sa.Text)
    update = table.update().where(key == sa.bindparam("row_key")).values({column.name: sealed})
    read = sa.cast(value, sa.LargeBinary) if _stored_type(column) is sa.LargeBinary else value
    size, after = FILES_BATCH if column.kind == "bytes" else BATCH, 0
    while True:
        rows = connection.execute(
            sa.select(key, read).where(key > after, value.is_not(None)).order_by(key).limit(size)
        ).all()
        if not rows:
            return
        changes = []
        for row_key, stored in rows:
            plain = _plain(column, stored)
            context = f"{column.table}.{column.name}.{row_key}"
            envelope = None if plain is None else str(keys.seal(plain, context))
            changes.append({"row_key": row_key, "sealed": envelope})
        connection.execute(update, changes)
        after = rows[-1][0]


def _stored_type(column: Column):
    """How a file is read and written outside its envelope: as bytes on SQLite (read back with
    CAST AS BLOB: the change of type made them text, which need not be UTF-8); as base64 text
    on PostgreSQL, which the change of type converts."""
    return sa.LargeBinary if column.kind == "bytes" and not _postgresql() else sa.Text


def _table(column: Column, value_type) -> sa.TableClause:
    return sa.table(
        column.table, sa.column(column.key, sa.Integer), sa.column(column.name, value_type)
    )


def downgrade() -> None:
    for column in SEALED:
        _open(column)
    for table, columns in _by_table().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column.name,
                    existing_type=sa.Text(),
                    type_=column.before,
                    nullable=False,
                    server_default=column.default,
                    postgresql_using=_as_before(column),
                )


def _as_before(column: Column) -> str:
    if column.kind == "bytes":
        return f"decode(\"{column.name}\", 'base64')"
    if column.kind == "json":
        return f'"{column.name}"::json'
    return f'"{column.name}"::{column.before.compile(dialect=op.get_bind().dialect)}'


def _open(column: Column) -> None:
    """Put the plaintext back, and the empty value where NULL stands for it (the columns were
    NOT NULL); a file as `_stored_type` says."""
    connection, keys = op.get_bind(), keyring()
    stored, table = _table(column, sa.Text), _table(column, _stored_type(column))
    update = table.update().where(table.c[column.key] == sa.bindparam("row_key"))
    rows = connection.execute(sa.select(stored.c[column.key], stored.c[column.name])).all()
    changes = []
    for row_key, envelope in rows:
        context = f"{column.table}.{column.name}.{row_key}"
        plain = column.empty if envelope is None else keys.open(envelope, context)
        if column.kind == "bytes":
            data = base64.b64decode(plain)
            plain = (
                data if _stored_type(column) is sa.LargeBinary else base64.b64encode(data).decode()
            )
        changes.append({"row_key": row_key, "plain": plain})
    if changes:
        connection.execute(update.values({column.name: sa.bindparam("plain")}), changes)
