"""each arrival's outcome figures, kept for the reports, and the people whose figures changed

A cohort's report is a GROUP BY over arrival_figures (one row per arrival: its groups and its
figures), which the refresh job fills for the arrivals already held, in batches (reports.facts);
arrival_figures_stale lists the people whose figures must be worked out again.

Revision ID: 0052_arrival_figures
Revises: 0051_seal_error_messages
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = "0052_arrival_figures"
down_revision = "0051_seal_error_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "arrival_figures_stale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("returnee_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrival_figures_stale")),
    )
    op.create_table(
        "arrival_figures",
        sa.Column("arrival_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("returnee_id", sa.Integer(), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("returnee_centre_id", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=12), nullable=True),
        sa.Column("age_group", sa.String(length=12), nullable=True),
        sa.Column("unaccompanied", sa.String(length=12), nullable=True),
        sa.Column("earlier_returns", sa.String(length=12), nullable=True),
        sa.Column("return_type", sa.String(length=12), nullable=True),
        sa.Column("home_country", sa.String(length=12), nullable=True),
        sa.Column("home_department", sa.String(length=12), nullable=True),
        sa.Column("reached_day_3", sa.SmallInteger(), nullable=False),
        sa.Column("reached", sa.SmallInteger(), nullable=False),
        sa.Column("answered_any", sa.SmallInteger(), nullable=False),
        sa.Column("safe_answered", sa.SmallInteger(), nullable=False),
        sa.Column("safe_at_last_answer", sa.SmallInteger(), nullable=False),
        sa.Column("children", sa.SmallInteger(), nullable=False),
        sa.Column("in_school_day_30", sa.SmallInteger(), nullable=False),
        sa.Column("in_school_day_90", sa.SmallInteger(), nullable=False),
        sa.Column("in_school_day_180", sa.SmallInteger(), nullable=False),
        sa.Column("adults", sa.SmallInteger(), nullable=False),
        sa.Column("adults_working_or_referred", sa.SmallInteger(), nullable=False),
        sa.Column("returned_3_months", sa.SmallInteger(), nullable=False),
        sa.Column("returned_6_months", sa.SmallInteger(), nullable=False),
        sa.Column("returned_12_months", sa.SmallInteger(), nullable=False),
        sa.Column("referrals_school", sa.SmallInteger(), nullable=False),
        sa.Column("attended_school", sa.SmallInteger(), nullable=False),
        sa.Column("referrals_jobs", sa.SmallInteger(), nullable=False),
        sa.Column("attended_jobs", sa.SmallInteger(), nullable=False),
        sa.Column("referrals_training", sa.SmallInteger(), nullable=False),
        sa.Column("attended_training", sa.SmallInteger(), nullable=False),
        sa.Column("referrals_psychosocial", sa.SmallInteger(), nullable=False),
        sa.Column("attended_psychosocial", sa.SmallInteger(), nullable=False),
        sa.Column("referrals_health", sa.SmallInteger(), nullable=False),
        sa.Column("attended_health", sa.SmallInteger(), nullable=False),
        sa.Column("referrals_legal_aid", sa.SmallInteger(), nullable=False),
        sa.Column("attended_legal_aid", sa.SmallInteger(), nullable=False),
        sa.Column("referrals_protection", sa.SmallInteger(), nullable=False),
        sa.Column("attended_protection", sa.SmallInteger(), nullable=False),
        sa.Column("closed_reintegrated", sa.SmallInteger(), nullable=False),
        sa.Column("closed_moved", sa.SmallInteger(), nullable=False),
        sa.Column("closed_migrated_again", sa.SmallInteger(), nullable=False),
        sa.Column("closed_died", sa.SmallInteger(), nullable=False),
        sa.Column("closed_contact_lost", sa.SmallInteger(), nullable=False),
        sa.Column("closed_declined", sa.SmallInteger(), nullable=False),
        sa.Column("closed_merged", sa.SmallInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["arrival_id"],
            ["arrivals.id"],
            name=op.f("fk_arrival_figures_arrival_id_arrivals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("arrival_id", name=op.f("pk_arrival_figures")),
    )
    with op.batch_alter_table("arrival_figures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arrival_figures_returnee_id"), ["returnee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_arrival_figures_arrived_at"), ["arrived_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("arrival_figures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrival_figures_arrived_at"))
        batch_op.drop_index(batch_op.f("ix_arrival_figures_returnee_id"))

    op.drop_table("arrival_figures")
    op.drop_table("arrival_figures_stale")
