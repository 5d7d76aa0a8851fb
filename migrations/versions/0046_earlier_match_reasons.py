"""why a passenger on a list may have come back before

The passenger-list review shows, beside "may have come back before", why the likeliest earlier
record may be this passenger (people.matching's reasons, in words).

Revision ID: 0046_earlier_match_reasons
Revises: 0045_birth_date_covering
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0046_earlier_match_reasons"
down_revision = "0045_birth_date_covering"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("expected_passengers") as batch:
        batch.add_column(
            sa.Column("earlier_match_reasons", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("expected_passengers") as batch:
        batch.drop_column("earlier_match_reasons")
