"""check-ins: one key to their arrival and its person; two indexes fewer to write

A flight's plans insert 1,620 check-ins at once, and every foreign key is a trigger run for
each row (about 7 microseconds here). A check-in's person is its arrival's person, so the two
keys to arrivals and to returnees become one composite key to arrivals (id, returnee_id): one
trigger fewer a row, and a check-in can no longer name a person other than its arrival's.
queued_at is NULL until a check-in is queued and is only ever searched for times, so its index
leaves the NULLs out. And since the arrival fixes the person, "one check-in per step of an
arrival" is the same rule as unique (returnee_id, arrival_id, step_id), whose index also finds a
person's check-ins: it replaces both the unique (arrival_id, step_id) and the index on
returnee_id. A new check-in costs two index entries and one trigger fewer. Its answer defaults
to '' in the database, so a bulk insert need not send it.

Revision ID: 0013_check_in_keys
Revises: 0012_risk_computed_at
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0013_check_in_keys'
down_revision = '0012_risk_computed_at'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.alter_column('answer', server_default='')
    with op.batch_alter_table('arrivals', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_arrivals_id_returnee_id', ['id', 'returnee_id'])
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_constraint('fk_check_ins_returnee_id_returnees', type_='foreignkey')
        batch_op.drop_constraint('fk_check_ins_arrival_id_arrivals', type_='foreignkey')
        batch_op.create_foreign_key(
            'fk_check_ins_arrival_id_arrivals',
            'arrivals',
            ['arrival_id', 'returnee_id'],
            ['id', 'returnee_id'],
        )
        batch_op.drop_constraint('uq_check_ins_arrival_id_step_id', type_='unique')
        batch_op.drop_index('ix_check_ins_returnee_id')
        batch_op.create_unique_constraint(
            'uq_check_ins_returnee_id_arrival_id_step_id', ['returnee_id', 'arrival_id', 'step_id']
        )
        batch_op.drop_index('ix_check_ins_queued_at')
        batch_op.create_index(
            'ix_check_ins_queued_at',
            ['queued_at'],
            unique=False,
            postgresql_where=sa.text('queued_at IS NOT NULL'),
            sqlite_where=sa.text('queued_at IS NOT NULL'),
        )


def downgrade() -> None:
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_check_ins_queued_at')
        batch_op.create_index('ix_check_ins_queued_at', ['queued_at'], unique=False)
        batch_op.drop_constraint('uq_check_ins_returnee_id_arrival_id_step_id', type_='unique')
        batch_op.create_index('ix_check_ins_returnee_id', ['returnee_id'], unique=False)
        batch_op.create_unique_constraint(
            'uq_check_ins_arrival_id_step_id', ['arrival_id', 'step_id']
        )
        batch_op.drop_constraint('fk_check_ins_arrival_id_arrivals', type_='foreignkey')
        batch_op.create_foreign_key(
            'fk_check_ins_arrival_id_arrivals', 'arrivals', ['arrival_id'], ['id']
        )
        batch_op.create_foreign_key(
            'fk_check_ins_returnee_id_returnees', 'returnees', ['returnee_id'], ['id']
        )
    with op.batch_alter_table('arrivals', schema=None) as batch_op:
        batch_op.drop_constraint('uq_arrivals_id_returnee_id', type_='unique')
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.alter_column('answer', server_default=None)
