"""scope follows the office: a person's office and latest arrival on their record

A social worker reaches the people their office follows up (and those assigned to them), a
desk the people it registered for RECEPTION_SCOPE_DAYS after their arrival. The record keeps
what the rule reads: the office of the current case, and when the latest arrival was (filled
in from the arrivals).

Revision ID: 0026_scope_by_office
Revises: 0025_homes_from_free_text
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_scope_by_office"
down_revision = "0025_homes_from_free_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("returnees", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_arrival_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_returnees_office_id"), ["office_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_returnees_office_id_centres"), "centres", ["office_id"], ["id"]
        )
    op.execute(
        "UPDATE returnees SET last_arrival_at = "
        "(SELECT max(a.arrived_at) FROM arrivals a WHERE a.returnee_id = returnees.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("returnees", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_returnees_office_id_centres"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_returnees_office_id"))
        batch_op.drop_column("office_id")
        batch_op.drop_column("last_arrival_at")
