"""risk flags: stamped in place each night

The nightly run stamps each unchanged flag with the time it was computed: on a million people,
that is most of what it writes. The index on computed_at (0012) served no query (the run walks
flags by person, and a run with nothing due reads them all either way), and an indexed column
that changes forbids PostgreSQL's in-place (HOT) update, which also needs room on the page: the
index goes, and a flag's page keeps 15% free.

Revision ID: 0014_risk_flags_touched_in_place
Revises: 0013_check_in_keys
Create Date: 2026-12-01
"""

from alembic import op


revision = '0014_risk_flags_touched_in_place'
down_revision = '0013_check_in_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('risk_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_flags_computed_at')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE risk_flags SET (fillfactor = 85)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE risk_flags RESET (fillfactor)')
    with op.batch_alter_table('risk_flags', schema=None) as batch_op:
        batch_op.create_index('ix_risk_flags_computed_at', ['computed_at'], unique=False)
