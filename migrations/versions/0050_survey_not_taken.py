"""a survey wave not taken: why (the person's case closed while it was open)

A wave still open when the person's case closes is closed with the status "not_taken" and the
reason in survey_waves.not_taken_reason ("case_closed"); the statuses are plain text, so the new
one needs no type change.

Revision ID: 0050_survey_not_taken
Revises: 0049_voice_prompts
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa

revision = "0050_survey_not_taken"
down_revision = "0049_voice_prompts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("survey_waves") as batch:
        batch.add_column(sa.Column("not_taken_reason", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("survey_waves") as batch:
        batch.drop_column("not_taken_reason")
