"""each completed survey wave's scores beside its arrival's copies, for a year's medians by month

wave_figures holds one row per completed wave: its day and scores, and arrival_figures' copies
of the arrival's time, centre, person's centre and home department; reports.facts writes it
with arrival_figures. Filled here from what the two tables hold.

Revision ID: 0055_wave_figures
Revises: 0054_monthly_figures
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0055_wave_figures"
down_revision = "0054_monthly_figures"
branch_labels = None
depends_on = None

SCORES = ("economic_score", "social_score", "psychosocial_score", "composite_score")


def upgrade() -> None:
    op.create_table(
        "wave_figures",
        sa.Column("wave_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("arrival_id", sa.Integer(), nullable=False),
        sa.Column("returnee_id", sa.Integer(), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("returnee_centre_id", sa.Integer(), nullable=False),
        sa.Column("home_department", sa.String(length=12), nullable=True),
        sa.Column("day", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=True) for name in SCORES),
        sa.ForeignKeyConstraint(
            ["wave_id"],
            ["survey_waves.id"],
            name=op.f("fk_wave_figures_wave_id_survey_waves"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("wave_id", name=op.f("pk_wave_figures")),
    )
    with op.batch_alter_table("wave_figures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wave_figures_arrival_id"), ["arrival_id"])
        batch_op.create_index(batch_op.f("ix_wave_figures_arrived_at"), ["arrived_at"])
    scores = ", ".join(SCORES)
    waves = ", ".join(f"w.{name}" for name in SCORES)
    op.execute(
        "INSERT INTO wave_figures (wave_id, arrival_id, returnee_id, arrived_at, centre_id, "
        f"returnee_centre_id, home_department, day, {scores}) "
        "SELECT w.id, f.arrival_id, f.returnee_id, f.arrived_at, f.centre_id, "
        f"f.returnee_centre_id, f.home_department, w.day, {waves} "
        "FROM survey_waves w JOIN arrival_figures f ON f.arrival_id = w.arrival_id "
        "WHERE w.status = 'completed'"
    )


def downgrade() -> None:
    with op.batch_alter_table("wave_figures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wave_figures_arrived_at"))
        batch_op.drop_index(batch_op.f("ix_wave_figures_arrival_id"))
    op.drop_table("wave_figures")
