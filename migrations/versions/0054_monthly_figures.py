"""the outcome figures added up by month of arrival, for a year's trend read in a few rows

monthly_figures holds arrival_figures' sums by month (at UTC-6, the three countries' offset),
arrival's centre, person's centre and home department; reports.facts keeps it in step with
arrival_figures. Filled here from what arrival_figures holds.

Revision ID: 0054_monthly_figures
Revises: 0053_stop_offer_spoken
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = "0054_monthly_figures"
down_revision = "0053_stop_offer_spoken"
branch_labels = None
depends_on = None

FIGURES = (
    "reached_day_3",
    "reached",
    "answered_any",
    "safe_answered",
    "safe_at_last_answer",
    "children",
    "in_school_day_30",
    "in_school_day_90",
    "in_school_day_180",
    "adults",
    "adults_working_or_referred",
    "returned_3_months",
    "returned_6_months",
    "returned_12_months",
    "referrals_school",
    "attended_school",
    "referrals_jobs",
    "attended_jobs",
    "referrals_training",
    "attended_training",
    "referrals_psychosocial",
    "attended_psychosocial",
    "referrals_health",
    "attended_health",
    "referrals_legal_aid",
    "attended_legal_aid",
    "referrals_protection",
    "attended_protection",
    "closed_reintegrated",
    "closed_moved",
    "closed_migrated_again",
    "closed_died",
    "closed_contact_lost",
    "closed_declined",
    "closed_merged",
)

MONTH = {
    "postgresql": (
        "CAST(date_trunc('month', timezone('UTC', arrived_at) - interval '6 hours') AS date)"
    ),
    "sqlite": "date(arrived_at, '-360 minutes', 'start of month')",
}


def upgrade() -> None:
    op.create_table(
        "monthly_figures",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("returnee_centre_id", sa.Integer(), nullable=False),
        sa.Column("home_department", sa.String(length=12), nullable=False),
        sa.Column("arrivals", sa.Integer(), nullable=False),
        sa.Column("reached_day_3", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("answered_any", sa.Integer(), nullable=False),
        sa.Column("safe_answered", sa.Integer(), nullable=False),
        sa.Column("safe_at_last_answer", sa.Integer(), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("in_school_day_30", sa.Integer(), nullable=False),
        sa.Column("in_school_day_90", sa.Integer(), nullable=False),
        sa.Column("in_school_day_180", sa.Integer(), nullable=False),
        sa.Column("adults", sa.Integer(), nullable=False),
        sa.Column("adults_working_or_referred", sa.Integer(), nullable=False),
        sa.Column("returned_3_months", sa.Integer(), nullable=False),
        sa.Column("returned_6_months", sa.Integer(), nullable=False),
        sa.Column("returned_12_months", sa.Integer(), nullable=False),
        sa.Column("referrals_school", sa.Integer(), nullable=False),
        sa.Column("attended_school", sa.Integer(), nullable=False),
        sa.Column("referrals_jobs", sa.Integer(), nullable=False),
        sa.Column("attended_jobs", sa.Integer(), nullable=False),
        sa.Column("referrals_training", sa.Integer(), nullable=False),
        sa.Column("attended_training", sa.Integer(), nullable=False),
        sa.Column("referrals_psychosocial", sa.Integer(), nullable=False),
        sa.Column("attended_psychosocial", sa.Integer(), nullable=False),
        sa.Column("referrals_health", sa.Integer(), nullable=False),
        sa.Column("attended_health", sa.Integer(), nullable=False),
        sa.Column("referrals_legal_aid", sa.Integer(), nullable=False),
        sa.Column("attended_legal_aid", sa.Integer(), nullable=False),
        sa.Column("referrals_protection", sa.Integer(), nullable=False),
        sa.Column("attended_protection", sa.Integer(), nullable=False),
        sa.Column("closed_reintegrated", sa.Integer(), nullable=False),
        sa.Column("closed_moved", sa.Integer(), nullable=False),
        sa.Column("closed_migrated_again", sa.Integer(), nullable=False),
        sa.Column("closed_died", sa.Integer(), nullable=False),
        sa.Column("closed_contact_lost", sa.Integer(), nullable=False),
        sa.Column("closed_declined", sa.Integer(), nullable=False),
        sa.Column("closed_merged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month",
            "centre_id",
            "returnee_centre_id",
            "home_department",
            name=op.f("pk_monthly_figures"),
        ),
    )
    month = MONTH[op.get_bind().dialect.name]
    keys = "month, centre_id, returnee_centre_id, home_department"
    op.execute(
        f"INSERT INTO monthly_figures ({keys}, arrivals, {', '.join(FIGURES)}) "
        f"SELECT {month}, centre_id, returnee_centre_id, coalesce(home_department, 'unknown'), "
        f"count(*), {', '.join(f'sum({name})' for name in FIGURES)} "
        f"FROM arrival_figures WHERE true "
        f"GROUP BY {month}, centre_id, returnee_centre_id, coalesce(home_department, 'unknown')"
    )


def downgrade() -> None:
    op.drop_table("monthly_figures")
