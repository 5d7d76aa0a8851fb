"""transfers of cases between offices of a country

A case moves when the person does: proposed to another office with a reason, accepted or
declined (with a reason) by the receiving office; the case's history keeps the move.

Revision ID: 0027_transfers
Revises: 0026_scope_by_office
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0027_transfers'
down_revision = '0026_scope_by_office'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('returnee_id', sa.Integer(), nullable=False),
    sa.Column('from_office_id', sa.Integer(), nullable=False),
    sa.Column('to_office_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', name='transferstatus', native_enum=False, length=20), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_transfers_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_transfers_decided_by_id_users')),
    sa.ForeignKeyConstraint(['from_office_id'], ['centres.id'], name=op.f('fk_transfers_from_office_id_centres')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_transfers_proposed_by_id_users')),
    sa.ForeignKeyConstraint(['returnee_id'], ['returnees.id'], name=op.f('fk_transfers_returnee_id_returnees')),
    sa.ForeignKeyConstraint(['to_office_id'], ['centres.id'], name=op.f('fk_transfers_to_office_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_returnee_id'), ['returnee_id'], unique=False)
        batch_op.create_index('ix_transfers_to_office_status', ['to_office_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_transfers_to_office_status')
        batch_op.drop_index(batch_op.f('ix_transfers_returnee_id'))
        batch_op.drop_index(batch_op.f('ix_transfers_case_id'))

    op.drop_table('transfers')
