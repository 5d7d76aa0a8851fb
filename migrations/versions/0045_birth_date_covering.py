"""the birth-date index holds the folded name, the centre and the id (PostgreSQL)

The match compares the names of the people born on a few days with the probe's: with these in
the index it reads the index alone, and the rows of the few alike only.

Revision ID: 0045_birth_date_covering
Revises: 0044_match_keys_filled
Create Date: 2026-12-07
"""

from alembic import op

revision = "0045_birth_date_covering"
down_revision = "0044_match_keys_filled"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_returnees_birth_date", table_name="returnees")
    op.execute(
        "CREATE INDEX ix_returnees_birth_date ON returnees (birth_date) "
        "INCLUDE (folded_name, centre_id, id)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_returnees_birth_date", table_name="returnees")
    op.create_index("ix_returnees_birth_date", "returnees", ["birth_date"])
