"""voice prompts: recorded audio per template key and language, and the Spanish <Say> switch

A voice call plays the recording of its template in the person's language, else the Spanish
one (voice_prompts; the audio itself is in the prompt storage under storage_key). Without any
recording, a call may have Twilio <Say> the Spanish wording only where an admin allowed it on
that template (message_templates.voice_say_allowed, on the Spanish row).

Revision ID: 0049_voice_prompts
Revises: 0048_voice_check_ins
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa

revision = "0049_voice_prompts"
down_revision = "0048_voice_check_ins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_key", sa.String(length=60), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_voice_prompts_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_prompts")),
        sa.UniqueConstraint(
            "template_key", "language", name=op.f("uq_voice_prompts_template_key_language")
        ),
    )
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("voice_say_allowed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.drop_column("voice_say_allowed")
    op.drop_table("voice_prompts")
