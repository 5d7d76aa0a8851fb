"""the type of each return (deported, assisted, voluntary), recorded at the arrival

Outcomes differ between a forced and a chosen return, so reports disaggregate by it. Every
arrival recorded before this was a deportation: they take "deported".

Revision ID: 0039_arrival_return_type
Revises: 0038_default_survey
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0039_arrival_return_type"
down_revision = "0038_default_survey"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("arrivals") as batch:
        batch.add_column(
            sa.Column(
                "return_type", sa.String(length=10), nullable=False, server_default="deported"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("arrivals") as batch:
        batch.drop_column("return_type")
