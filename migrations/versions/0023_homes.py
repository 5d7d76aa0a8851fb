"""a returnee's home: a place with its official code

The destination was free text that nothing read. A home is now one of the places shipped in
returnees/places/data (GT-1201 San Marcos, San Marcos; a district in El Salvador), or unknown.
The free text is kept as typed.

Revision ID: 0023_homes
Revises: 0022_unmatched_replies
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_homes"
down_revision = "0022_unmatched_replies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("returnees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_code", sa.String(length=7), nullable=True))
        batch_op.create_index(batch_op.f("ix_returnees_home_code"), ["home_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("returnees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_returnees_home_code"))
        batch_op.drop_column("home_code")
