"""ship the default follow-up plans

Revision ID: 0008_default_plans
Revises: 0007_follow_ups
Create Date: 2026-12-01
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008_default_plans"
down_revision = "0007_follow_ups"
branch_labels = None
depends_on = None

# (day after arrival, template, answer type). At most one step a day: one message a day at most.
ADULT = [
    (0, "confirm_number", "confirm"),
    (3, "arrived_safe", "yes_no"),
    (14, "school_or_work", "yes_no"),
    (30, "arrived_safe", "yes_no"),
    (31, "school_or_work", "yes_no"),
    (32, "travel_again", "yes_no"),
    (90, "arrived_safe", "yes_no"),
    (91, "school_or_work", "yes_no"),
    (92, "travel_again", "yes_no"),
    (180, "arrived_safe", "yes_no"),
    (181, "school_or_work", "yes_no"),
    (182, "travel_again", "yes_no"),
]
PLANS = {"adult": ("returnee", ADULT), "child_with_family": ("guardian", ADULT),
         "unaccompanied_child": ("guardian", ADULT)}

plans = sa.table("follow_up_plans", sa.column("id", sa.Integer), sa.column("profile", sa.String),
                 sa.column("version", sa.Integer),
                 sa.column("updated_at", sa.DateTime(timezone=True)))
steps = sa.table("plan_steps", sa.column("plan_id", sa.Integer), sa.column("position", sa.Integer),
                 sa.column("day_offset", sa.Integer), sa.column("template", sa.String),
                 sa.column("answer_type", sa.String), sa.column("asked", sa.String))


def upgrade() -> None:
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    for plan_id, (profile, (asked, plan_steps)) in enumerate(PLANS.items(), start=1):
        op.bulk_insert(plans, [{"id": plan_id, "profile": profile, "version": 1,
                                "updated_at": now}])
        op.bulk_insert(steps, [
            {"plan_id": plan_id, "position": position, "day_offset": day, "template": template,
             "answer_type": answer, "asked": asked}
            for position, (day, template, answer) in enumerate(plan_steps, start=1)
        ])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval('follow_up_plans_id_seq', (SELECT max(id) FROM follow_up_plans))")


def downgrade() -> None:
    op.execute(steps.delete())
    op.execute(plans.delete())
