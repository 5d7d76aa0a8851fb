"""estimated ages recorded so far were estimated at the first arrival

An estimated age is written when a record is made (a later return keeps it), so for the
records there are the day it was true is the day of their first arrival, else of the record.

Revision ID: 0042_age_estimated_on_filled
Revises: 0041_age_estimated_on
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0042_age_estimated_on_filled"
down_revision = "0041_age_estimated_on"
branch_labels = None
depends_on = None


def upgrade() -> None:
    day = "CAST({} AS DATE)" if op.get_bind().dialect.name == "postgresql" else "DATE({})"
    first = "(SELECT min(a.arrived_at) FROM arrivals a WHERE a.returnee_id = returnees.id)"
    op.execute(
        sa.text(
            f"UPDATE returnees SET age_estimated_on = "
            f"{day.format(f'coalesce({first}, returnees.created_at)')} "
            "WHERE estimated_age IS NOT NULL AND age_estimated_on IS NULL"
        )
    )


def downgrade() -> None:
    pass
