"""voice check-ins: a phone call that plays recorded prompts and reads the keypad

A phone's channel may be "voice" (no type change: channels are stored as text). The desk
records whether calls are welcome on a number (phones.calls_welcome; none were asked before,
so none are). Each plan says whom it asks by phone call (follow_up_plans.voice_rule: those
who chose calls at the desk, until an admin says more). A call not answered (busy, no answer,
an answering machine) is placed again at most twice (outbound_messages.redials). Every call
offers a key to stop the calls: the prompt "voice_stop_calls" says so (its wording here, for an
admin to record, or to let Twilio read aloud).

Revision ID: 0048_voice_check_ins
Revises: 0047_merging
Create Date: 2026-12-07
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0048_voice_check_ins"
down_revision = "0047_merging"
branch_labels = None
depends_on = None

STOP_CALLS = {
    "es": "Para no recibir más llamadas, marque 9.",
    "en": "To stop these calls, press 9.",
}
templates = sa.table(
    "message_templates",
    sa.column("key", sa.String),
    sa.column("language", sa.String),
    sa.column("body", sa.Text),
    sa.column("whatsapp_content_sid", sa.String),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


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
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        templates,
        [
            {
                "key": "voice_stop_calls",
                "language": language,
                "body": body,
                "whatsapp_content_sid": "",
                "updated_at": now,
            }
            for language, body in STOP_CALLS.items()
        ],
    )


def downgrade() -> None:
    op.execute(templates.delete().where(templates.c.key == "voice_stop_calls"))
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("redials")
    with op.batch_alter_table("follow_up_plans") as batch:
        batch.drop_column("voice_rule")
    with op.batch_alter_table("phones") as batch:
        batch.drop_column("calls_welcome")
