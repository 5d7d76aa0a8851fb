"""the living demo remembers when its history was placed and which rows are its own

`flask seed-demo --refresh` moves the demo's history to today by the days since it was seeded,
touching only the rows the demo wrote.

Revision ID: 0028_demo_seeds
Revises: 0027_transfers
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = "0028_demo_seeds"
down_revision = "0027_transfers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "demo_seeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seeded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_seeds")),
    )


def downgrade() -> None:
    op.drop_table("demo_seeds")
