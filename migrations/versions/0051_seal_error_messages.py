"""encryption at rest, continued: what the SMS gateway said of a message that failed

`outbound_messages.error_message` quotes the provider, whose words may name the number
("... +50255551234 is not a valid phone number"). It becomes text holding an envelope, as in
0035 (returnees/core/encryption.py): sealed with the first key of ENCRYPTION_KEYS, bound to its
table, column and row id; an empty value becomes NULL. The keys come from the app running the
upgrade, as for 0035.

Message retention now also takes a reply's words out of the tasks opened about it ("danger
words: —"); tasks about replies it erased before are changed the same way here, found by
their subject (`reply:<id>`, now indexed) and their reply's erased body.

Revision ID: 0051_seal_error_messages
Revises: 0050_survey_not_taken
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from returnees.core.encryption import keyring
from returnees.tasks.services import without_quote

revision = "0051_seal_error_messages"
down_revision = "0050_survey_not_taken"
branch_labels = None
depends_on = None

BATCH = 1000
TABLE, COLUMN = "outbound_messages", "error_message"


def _table() -> sa.TableClause:
    return sa.table(TABLE, sa.column("id", sa.Integer), sa.column(COLUMN, sa.Text))


def _context(row_id: int) -> str:
    return f"{TABLE}.{COLUMN}.{row_id}"


def upgrade() -> None:
    op.create_index("ix_tasks_subject", "tasks", ["subject"], unique=False)
    _forget_quotes_of_erased_replies()
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column(
            COLUMN,
            existing_type=sa.String(length=500),
            type_=sa.Text(),
            nullable=True,
            postgresql_using=f'"{COLUMN}"::text',
        )
    connection, keys, table = op.get_bind(), keyring(), _table()
    update = table.update().where(table.c.id == sa.bindparam("row_id"))
    update = update.values({COLUMN: sa.bindparam("sealed")})
    after = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, table.c[COLUMN])
            .where(table.c.id > after, table.c[COLUMN].is_not(None))
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changes = [
            {"row_id": row_id, "sealed": str(keys.seal(words, _context(row_id))) if words else None}
            for row_id, words in rows
        ]
        connection.execute(update, changes)
        after = rows[-1][0]


def _forget_quotes_of_erased_replies() -> None:
    connection, keys = op.get_bind(), keyring()
    tasks = sa.table(
        "tasks", sa.column("id", sa.Integer), sa.column("subject"), sa.column("reason", sa.Text)
    )
    inbound = sa.table(
        "inbound_messages", sa.column("id", sa.Integer), sa.column("body"), sa.column("payload")
    )
    subject = sa.literal("reply:") + sa.cast(inbound.c.id, sa.String)
    rows = connection.execute(
        sa.select(tasks.c.id, tasks.c.reason)
        .join(inbound, tasks.c.subject == subject)
        .where(inbound.c.body.is_(None), inbound.c.payload.is_(None), tasks.c.reason.is_not(None))
    ).all()
    changes = []
    for task_id, envelope in rows:
        context = f"tasks.reason.{task_id}"
        reason = keys.open(envelope, context)
        if (forgotten := without_quote(reason)) != reason:
            changes.append({"task_id": task_id, "sealed": str(keys.seal(forgotten, context))})
    if changes:
        connection.execute(
            tasks.update()
            .where(tasks.c.id == sa.bindparam("task_id"))
            .values(reason=sa.bindparam("sealed")),
            changes,
        )


def downgrade() -> None:
    op.drop_index("ix_tasks_subject", table_name="tasks")
    connection, keys, table = op.get_bind(), keyring(), _table()
    rows = connection.execute(sa.select(table.c.id, table.c[COLUMN])).all()
    changes = [
        {
            "row_id": row_id,
            "plain": "" if envelope is None else keys.open(envelope, _context(row_id)),
        }
        for row_id, envelope in rows
    ]
    if changes:
        connection.execute(
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values({COLUMN: sa.bindparam("plain")}),
            changes,
        )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column(
            COLUMN,
            existing_type=sa.Text(),
            type_=sa.String(length=500),
            nullable=False,
            postgresql_using=f'"{COLUMN}"::varchar(500)',
        )
