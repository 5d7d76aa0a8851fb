"""erasures: a supervisor's request to erase a person, decided by a second supervisor

Also the case-retention job's own erasures (asked and decided by nobody).

Revision ID: 0032_erasures
Revises: 0031_sessions_and_token_expiry
Create Date: 2026-12-08
"""

from alembic import op
import sqlalchemy as sa


revision = '0032_erasures'
down_revision = '0031_sessions_and_token_expiry'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('returnee_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'refused', 'done', name='erasurestatus', native_enum=False, length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('age_band', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_erasures_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_erasures_requested_by_id_users')),
    sa.ForeignKeyConstraint(['returnee_id'], ['returnees.id'], name=op.f('fk_erasures_returnee_id_returnees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasures'))
    )
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.create_index('ix_erasures_returnee_status', ['returnee_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_erasures_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasures_status'))
        batch_op.drop_index('ix_erasures_returnee_status')

    op.drop_table('erasures')
