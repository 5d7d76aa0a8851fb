"""reasons given for openings, kept apart from the audit trail; break-glass grants

The reason a member of staff gives to open a protection referral (and now a record outside
their scope) was written into the audit entry's detail: it moves to its own table and the entry
names it by id. A break-glass grant lets one member of staff reach one person outside their
scope for BREAK_GLASS_HOURS.

Revision ID: 0034_break_glass
Revises: 0033_audit_chain
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = "0034_break_glass"
down_revision = "0033_audit_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_access_reasons_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_reasons")),
    )
    op.create_table(
        "break_glass_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("returnee_id", sa.Integer(), nullable=False),
        sa.Column("reason_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reason_id"],
            ["access_reasons.id"],
            name=op.f("fk_break_glass_grants_reason_id_access_reasons"),
        ),
        sa.ForeignKeyConstraint(
            ["returnee_id"],
            ["returnees.id"],
            name=op.f("fk_break_glass_grants_returnee_id_returnees"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_break_glass_grants_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_break_glass_grants")),
    )
    with op.batch_alter_table("break_glass_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_break_glass_grants_granted_at"), ["granted_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_break_glass_grants_returnee_id"), ["returnee_id"], unique=False
        )
        batch_op.create_index(
            "ix_break_glass_grants_user_returnee", ["user_id", "returnee_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("break_glass_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_break_glass_grants_user_returnee")
        batch_op.drop_index(batch_op.f("ix_break_glass_grants_returnee_id"))
        batch_op.drop_index(batch_op.f("ix_break_glass_grants_granted_at"))
    op.drop_table("break_glass_grants")
    op.drop_table("access_reasons")
