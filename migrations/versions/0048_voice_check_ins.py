"""voice check-ins: a phone call that plays recorded prompts and reads the keypad

A phone's channel may be "voice" (no type change: channels are stored as text). The desk
records whether calls are welcome on a number (phones.calls_welcome; none were asked before,
so none are). Each plan says whom it asks by phone call (follow_up_plans.voice_rule: those
who chose calls at the desk, until an admin says more). A call not answered (busy, no answer,
an answering machine) is placed again at most twice (outbound_messages.redials).

Revision ID: 0048_voice_check_ins
Revises: 0047_merging
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0048_voice_check_ins"
down_revision = "0047_merging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("phones") as batch:
        batch.add_column(
            sa.Column("calls_welcome", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("follow_up_plans") as batch:
        batch.add_column(
            sa.Column(
                "voice_rule",
                sa.String(length=20),
                nullable=False,
                server_default="asked_for_calls",
            )
        )
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("redials", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("redials")
    with op.batch_alter_table("follow_up_plans") as batch:
        batch.drop_column("voice_rule")
    with op.batch_alter_table("phones") as batch:
        batch.drop_column("calls_welcome")
