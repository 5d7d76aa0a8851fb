"""names alike: the match's keys, and trigrams of the folded name on PostgreSQL

A person's match keys (people.identity.match_keys: their names as they sound, paired, with the
year of birth, known or estimated) find people alike whom no birth date finds: those recorded
with an estimated age alone, or a person at the desk who gives none. On PostgreSQL they are an
array in a GIN index, and pg_trgm serves the match's comparison of names and the search by
part of a name (a GIN trigram index on the folded name). SQLite keeps them as JSON, unindexed.

Revision ID: 0043_match_keys
Revises: 0042_age_estimated_on_filled
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0043_match_keys"
down_revision = "0042_age_estimated_on_filled"
branch_labels = None
depends_on = None

MATCH_KEYS = postgresql.ARRAY(sa.String(60)).with_variant(sa.JSON(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("returnees") as batch:
        batch.add_column(sa.Column("match_keys", MATCH_KEYS, nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX ix_returnees_folded_name_trgm ON returnees "
        "USING gin (folded_name gin_trgm_ops)"
    )
    op.execute("CREATE INDEX ix_returnees_match_keys ON returnees USING gin (match_keys)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_returnees_match_keys", table_name="returnees")
        op.drop_index("ix_returnees_folded_name_trgm", table_name="returnees")
    with op.batch_alter_table("returnees") as batch:
        batch.drop_column("match_keys")
