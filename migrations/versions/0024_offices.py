"""offices follow people up where they live

An office (a centre of kind office) covers places, for children, adults or both; every case
gets the office covering the person's home, and its history keeps each change (from, to, when,
why, who). Existing cases wait to be routed until their home is known and covered.

Revision ID: 0024_offices
Revises: 0023_homes
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0024_offices'
down_revision = '0023_homes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('office_coverage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('place_code', sa.String(length=7), nullable=False),
    sa.Column('profile', sa.Enum('child', 'adult', name='profile', native_enum=False, length=5), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_office_coverage_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_coverage')),
    sa.UniqueConstraint('place_code', 'profile', name=op.f('uq_office_coverage_place_code_profile'))
    )
    with op.batch_alter_table('office_coverage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_coverage_centre_id'), ['centre_id'], unique=False)

    op.create_table('case_office_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_office_id', sa.Integer(), nullable=True),
    sa.Column('to_office_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_case_office_changes_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_office_changes_case_id_cases')),
    sa.ForeignKeyConstraint(['from_office_id'], ['centres.id'], name=op.f('fk_case_office_changes_from_office_id_centres')),
    sa.ForeignKeyConstraint(['to_office_id'], ['centres.id'], name=op.f('fk_case_office_changes_to_office_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_office_changes'))
    )
    with op.batch_alter_table('case_office_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_office_changes_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('office_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_office_id'), ['office_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cases_office_id_centres'), 'centres', ['office_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_office_id_centres'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cases_office_id'))
        batch_op.drop_column('office_id')

    with op.batch_alter_table('case_office_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_office_changes_case_id'))

    op.drop_table('case_office_changes')
    with op.batch_alter_table('office_coverage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_coverage_centre_id'))

    op.drop_table('office_coverage')
