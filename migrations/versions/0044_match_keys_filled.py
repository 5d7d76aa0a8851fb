"""the match keys of the people registered so far

Computed in Python (people.identity.match_keys), a batch of people at a time; then every
person has them.

Revision ID: 0044_match_keys_filled
Revises: 0043_match_keys
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from returnees.people.identity import match_keys
from returnees.people.models import MATCH_KEYS, birth_year

revision = "0044_match_keys_filled"
down_revision = "0043_match_keys"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    connection = op.get_bind()
    read = sa.text(
        "SELECT id, given_names, family_names, birth_date, estimated_age, age_estimated_on "
        "FROM returnees WHERE id > :after ORDER BY id LIMIT :size"
    )
    returnees = sa.table("returnees", sa.column("id"), sa.column("match_keys", MATCH_KEYS))
    write = (
        returnees.update()
        .where(returnees.c.id == sa.bindparam("row_id"))
        .values(match_keys=sa.bindparam("keys"))
    )
    after = 0
    while rows := connection.execute(read, {"after": after, "size": BATCH}).all():
        changes = [
            {
                "row_id": row.id,
                "keys": match_keys(
                    row.given_names,
                    row.family_names,
                    birth_year(_day(row.birth_date), row.estimated_age, _day(row.age_estimated_on)),
                    estimated=row.birth_date is None,
                ),
            }
            for row in rows
        ]
        connection.execute(write, changes)
        after = rows[-1].id
    with op.batch_alter_table("returnees") as batch:
        batch.alter_column("match_keys", existing_type=MATCH_KEYS, nullable=False)


def _day(value):
    """SQLite hands dates back as text."""
    from datetime import date

    return date.fromisoformat(value) if isinstance(value, str) else value


def downgrade() -> None:
    pass
