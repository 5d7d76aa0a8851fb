"""encryption at rest: personal data sealed in place, phones and documents by a blind index

Each column of SEALED becomes text holding an envelope (returnees/core/encryption.py): the
value sealed with AES-GCM under the first key of ENCRYPTION_KEYS, bound to its table, column and
row id; empty values become NULL. Phones and document numbers get a `<column>_index` beside them
(HMAC-SHA256 under BLIND_INDEX_KEY, truncated), indexed where the plaintext was, and the
plaintext's index goes. Inbound messages keep the country their number calls from
(`sender_country`), which the unmatched inbox is scoped by. Rows are sealed in batches; the
keys come from the app running the upgrade, so `flask --app wsgi db upgrade` needs them (the
embedded default makes its own).

Revision ID: 0035_encryption_at_rest
Revises: 0034_break_glass
Create Date: 2026-12-01
"""

from alembic import op
import orjson
import sqlalchemy as sa

from returnees.core.encryption import INDEX_LENGTH, INDEXES, keyring

revision = '0035_encryption_at_rest'
down_revision = '0034_break_glass'
branch_labels = None
depends_on = None

BATCH = 1000


class Column:
    """A column sealed by this revision: its type before, whether it holds JSON, its index."""

    def __init__(self, table, name, before, *, json=False, index=None, indexed=None):
        self.table, self.name, self.before = table, name, before
        self.json, self.index = json, index
        # The plaintext's index this revision replaces with the blind index's (or None).
        self.indexed = indexed


SEALED = [
    Column('returnees', 'document_number', sa.String(20), index='document'),
    Column('phones', 'number', sa.String(20), index='phone', indexed='ix_phones_number'),
    Column('check_ins', 'phone', sa.String(20), index='phone', indexed='ix_check_ins_phone'),
    Column(
        'outbound_messages', 'phone', sa.String(20), index='phone',
        indexed='ix_outbound_messages_phone',
    ),
    Column(
        'inbound_messages', 'from_number', sa.String(40), index='phone',
        indexed='ix_inbound_messages_from_number',
    ),
    Column(
        'consent_changes', 'phone', sa.String(20), index='phone',
        indexed='ix_consent_changes_phone',
    ),
    Column('tasks', 'phone', sa.String(20), index='phone'),
    Column('custodies', 'guardian_name', sa.String(200)),
    Column('custodies', 'guardian_document', sa.String(40)),
    Column('custodies', 'guardian_phone', sa.String(20)),
    Column('outbound_messages', 'body', sa.Text()),
    Column('outbound_messages', 'content_variables', sa.JSON(), json=True),
    Column('inbound_messages', 'body', sa.Text()),
    Column('inbound_messages', 'payload', sa.JSON(), json=True),
    Column('tasks', 'reason', sa.String(300)),
    Column('screenings', 'reasons_for_leaving', sa.JSON(), json=True),
    Column('screenings', 'health_needs', sa.Text()),
    Column('screenings', 'psychosocial_needs', sa.Text()),
    Column('screenings', 'trafficking_indicators', sa.JSON(), json=True),
    Column('screenings', 'notes', sa.Text()),
    Column('referrals', 'note', sa.Text()),
    Column('referrals', 'outcome', sa.Text()),
    Column('referral_changes', 'note', sa.Text()),
    Column('expected_passengers', 'values', sa.JSON(), json=True),
    Column('expected_passengers', 'problems', sa.JSON(), json=True),
]
# New indexes on the blind index columns: name, table, columns.
INDEXES_MADE = [
    ('ix_phones_number_index', 'phones', ['number_index']),
    ('ix_check_ins_phone_index', 'check_ins', ['phone_index']),
    ('ix_outbound_messages_phone_index', 'outbound_messages', ['phone_index']),
    ('ix_inbound_messages_from_number_index', 'inbound_messages', ['from_number_index']),
    ('ix_consent_changes_phone_index', 'consent_changes', ['phone_index']),
]


def upgrade() -> None:
    with op.batch_alter_table('returnees', schema=None) as batch_op:
        batch_op.drop_index('ix_returnees_document')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender_country', sa.String(length=2), nullable=True))
    for table, columns in _by_table().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                if column.indexed:
                    batch_op.drop_index(column.indexed)
                if column.index:
                    batch_op.add_column(
                        sa.Column(f'{column.name}_index', sa.String(INDEX_LENGTH), nullable=True)
                    )
                batch_op.alter_column(
                    column.name,
                    existing_type=column.before,
                    type_=sa.Text(),
                    nullable=True,
                    server_default=None,
                    postgresql_using=f'{column.name}::text',
                )
    for column in SEALED:
        _seal(column)
    _sender_countries()
    _passenger_keys()
    with op.batch_alter_table('returnees', schema=None) as batch_op:
        batch_op.create_index(
            'ix_returnees_document', ['document_type', 'document_number_index'], unique=False
        )
    for name, table, columns in INDEXES_MADE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def _by_table() -> dict:
    tables = {}
    for column in SEALED:
        tables.setdefault(column.table, []).append(column)
    return tables


def _seal(column: Column) -> None:
    """Seal every stored value of the column, batch after batch, in id order."""
    connection, keys = op.get_bind(), keyring()
    table = sa.table(
        column.table,
        sa.column('id', sa.Integer),
        sa.column(column.name, sa.Text),
        sa.column(f'{column.name}_index', sa.String),
    )
    values = {column.name: sa.bindparam('sealed')}
    if column.index:
        values[f'{column.name}_index'] = sa.bindparam('blind')
    update = table.update().where(table.c.id == sa.bindparam('row_id')).values(values)
    after = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, table.c[column.name])
            .where(table.c.id > after, table.c[column.name].is_not(None))
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changes = []
        for row_id, value in rows:
            plain = orjson.dumps(orjson.loads(value)).decode() if column.json else value
            empty = plain in ('{}', '[]', 'null') if column.json else plain == ''
            context = f'{column.table}.{column.name}.{row_id}'
            changes.append(
                {
                    'row_id': row_id,
                    'sealed': None if empty else str(keys.seal(plain, context)),
                    'blind': None if empty else INDEXES[column.index](plain) if column.index else None,
                }
            )
        connection.execute(update, changes)
        after = rows[-1][0]


def _sender_countries() -> None:
    """The country each stored inbound number calls from, read from its prefix."""
    from returnees.people.identity import country_of_phone

    connection, keys = op.get_bind(), keyring()
    rows = connection.execute(
        sa.text('SELECT id, from_number FROM inbound_messages WHERE from_number IS NOT NULL')
    ).all()
    changes = []
    for row_id, envelope in rows:
        number = keys.open(envelope, f'inbound_messages.from_number.{row_id}')
        country = country_of_phone(number) if number.startswith('+') else None
        if country:
            changes.append({'row_id': row_id, 'country': country})
    if changes:
        connection.execute(
            sa.text('UPDATE inbound_messages SET sender_country = :country WHERE id = :row_id'),
            changes,
        )


def _passenger_keys() -> None:
    """A passenger row's keys name its document, or names and birth date: kept as digests
    under the blind index's key (reception.manifests.passenger_key)."""
    connection, keys = op.get_bind(), keyring()
    rows = connection.execute(sa.text('SELECT id, row_key, source_key FROM expected_passengers'))
    changes = [
        {
            'row_id': row_id,
            'row_key': keys.index('passenger', row_key),
            'source_key': keys.index('passenger', source_key),
        }
        for row_id, row_key, source_key in rows.all()
    ]
    if changes:
        connection.execute(
            sa.text(
                'UPDATE expected_passengers SET row_key = :row_key, source_key = :source_key '
                'WHERE id = :row_id'
            ),
            changes,
        )


def downgrade() -> None:
    for name, table, _columns in INDEXES_MADE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    with op.batch_alter_table('returnees', schema=None) as batch_op:
        batch_op.drop_index('ix_returnees_document')
    for column in SEALED:
        _open(column)
    for table, columns in _by_table().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                if column.index:
                    batch_op.drop_column(f'{column.name}_index')
                batch_op.alter_column(column.name, existing_type=sa.Text(), type_=column.before)
                if column.indexed:
                    batch_op.create_index(column.indexed, [column.name], unique=False)
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_column('sender_country')
    with op.batch_alter_table('returnees', schema=None) as batch_op:
        batch_op.create_index(
            'ix_returnees_document', ['document_type', 'document_number'], unique=False
        )


def _open(column: Column) -> None:
    """Put the plaintext back (empty values stay NULL: the columns stay nullable). A passenger
    row's keys stay digests: a list uploaded again after a downgrade is read as new rows."""
    connection, keys = op.get_bind(), keyring()
    rows = connection.execute(
        sa.text(f'SELECT id, "{column.name}" FROM {column.table} WHERE "{column.name}" IS NOT NULL')
    ).all()
    changes = [
        {'row_id': row_id, 'plain': keys.open(envelope, f'{column.table}.{column.name}.{row_id}')}
        for row_id, envelope in rows
    ]
    if changes:
        connection.execute(
            sa.text(f'UPDATE {column.table} SET "{column.name}" = :plain WHERE id = :row_id'),
            changes,
        )
