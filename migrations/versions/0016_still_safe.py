"""an adult is asked whether they are safe, not whether they arrived well, after day 3

The shipped adult plan asked "¿llegó bien?" on days 30, 90 and 180 too: months after arriving
the question is whether the person is still well. Those steps now ask "¿está bien?"; the plan
takes a new version and its check-ins not yet sent follow it, as a plan edit does.

Revision ID: 0016_still_safe
Revises: 0015_guardian_questions
Create Date: 2026-12-01
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0016_still_safe"
down_revision = "0015_guardian_questions"
branch_labels = None
depends_on = None

STILL_SAFE = {
    "es": "Hola {first_name}, ¿está bien? Responda {options}.",
    "en": "Hi {first_name}, are you well and safe? Reply {options}.",
}
ADULT_LATER = (
    "SELECT s.id FROM plan_steps s JOIN follow_up_plans p ON p.id = s.plan_id "
    "WHERE p.profile = 'adult' AND s.day_offset > 3 AND s.retired_at IS NULL"
)

templates = sa.table(
    "message_templates",
    sa.column("key", sa.String),
    sa.column("language", sa.String),
    sa.column("body", sa.Text),
    sa.column("whatsapp_content_sid", sa.String),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else now


def upgrade() -> None:
    op.bulk_insert(templates, [
        {"key": "still_safe", "language": language, "body": body, "whatsapp_content_sid": "",
         "updated_at": _now()}
        for language, body in STILL_SAFE.items()
    ])
    _bump_adult_plan(1)
    op.execute(
        "UPDATE check_ins SET template = 'still_safe', plan_version = (SELECT version FROM "
        "follow_up_plans WHERE profile = 'adult') WHERE template = 'arrived_safe' "
        f"AND state = 'scheduled' AND reminded_at IS NULL AND step_id IN ({ADULT_LATER})"
    )
    op.execute(
        "UPDATE plan_steps SET template = 'still_safe' WHERE template = 'arrived_safe' "
        f"AND id IN (SELECT id FROM ({ADULT_LATER}) AS later)"
    )


def _bump_adult_plan(step: int) -> None:
    op.execute(sa.text(
        "UPDATE follow_up_plans SET version = version + :step, updated_at = :now "
        "WHERE profile = 'adult'"
    ).bindparams(step=step, now=_now()))


def downgrade() -> None:
    _bump_adult_plan(-1)
    for table in ("check_ins", "plan_steps"):  # every one, retired or sent: its template goes
        op.execute(f"UPDATE {table} SET template = 'arrived_safe' WHERE template = 'still_safe'")
    op.execute(templates.delete().where(templates.c.key == "still_safe"))
