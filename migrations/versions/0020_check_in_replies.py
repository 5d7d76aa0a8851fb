"""a check-in keeps the reply that answered it

A conversation belongs to a number: a guardian, or anyone holding a shared phone, may answer a
question about someone else. The record shows which number answered.

Revision ID: 0020_check_in_replies
Revises: 0019_urgent_alerts
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_check_in_replies"
down_revision = "0019_urgent_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_check_ins_reply_id_inbound_messages"), "inbound_messages", ["reply_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_check_ins_reply_id_inbound_messages"), type_="foreignkey")
        batch_op.drop_column("reply_id")
