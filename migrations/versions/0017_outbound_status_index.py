"""outbound messages: one index on their status, not two

ix_outbound_messages_due (status, priority, id) leads with the status, so every query that
ix_outbound_messages_status served it serves too; the second index only cost a write for
each message stored and for each change of its status (queued, sending, sent, delivered).

Revision ID: 0017_outbound_status_index
Revises: 0016_still_safe
Create Date: 2026-12-01
"""

from alembic import op

revision = "0017_outbound_status_index"
down_revision = "0016_still_safe"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_messages_status")


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outbound_messages_status", ["status"], unique=False)
