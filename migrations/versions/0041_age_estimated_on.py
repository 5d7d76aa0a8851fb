"""the day an estimated age was true

A person recorded with an estimated age alone is older at every later return: the match
compares ages on the day the age was estimated (the arrival it was estimated at).

Revision ID: 0041_age_estimated_on
Revises: 0040_seal_staff_notes
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0041_age_estimated_on"
down_revision = "0040_seal_staff_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("returnees") as batch:
        batch.add_column(sa.Column("age_estimated_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("returnees") as batch:
        batch.drop_column("age_estimated_on")
