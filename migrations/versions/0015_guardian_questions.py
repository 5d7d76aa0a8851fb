"""a child's questions are put to their parent or guardian

The shipped child plans said they ask the guardian, but their questions were the adult's,
worded to the person asked ("¿ya estudia o trabaja?"). Each now has a guardian's wording that
names the child, and day 14 asks whether the child is in school. The plans take a new version;
their check-ins not yet sent follow it, as a plan edit does. A handover records whether the
guardian agreed to be asked on the number they gave.

Revision ID: 0015_guardian_questions
Revises: 0014_risk_flags_touched_in_place
Create Date: 2026-12-01
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0015_guardian_questions"
down_revision = "0014_risk_flags_touched_in_place"
branch_labels = None
depends_on = None

CHILD_PLANS = ("child_with_family", "unaccompanied_child")
# The adult's question -> the guardian's, in Spanish and English. Discreet, as every template:
# nothing in the words tells whoever holds the phone what the child came back from.
GUARDIAN = {
    "confirm_number": (
        "guardian_confirm_number",
        "Hola, guarde este número para saber de {first_name}. Responda 1.",
        "Hello, please save this number to keep in touch about {first_name}. Reply 1.",
    ),
    "arrived_safe": (
        "guardian_arrived_safe",
        "Hola, ¿{first_name} está bien? Responda {options}.",
        "Hello, is {first_name} well? Reply {options}.",
    ),
    "school_or_work": (
        "guardian_in_school",
        "Hola, ¿{first_name} ya va a la escuela? Responda {options}.",
        "Hello, is {first_name} going to school now? Reply {options}.",
    ),
    "travel_again": (
        "guardian_travel_again",
        "Hola, ¿{first_name} piensa viajar otra vez? Responda {options}.",
        "Hello, is {first_name} thinking of travelling again? Reply {options}.",
    ),
}

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


PLANS = "SELECT id FROM follow_up_plans WHERE profile IN ({})".format(
    ", ".join(f"'{profile}'" for profile in CHILD_PLANS)
)
STEPS = f"SELECT id FROM plan_steps WHERE asked = 'guardian' AND plan_id IN ({PLANS})"
PENDING = "state = 'scheduled' AND reminded_at IS NULL"
# The number a child's question goes to, as followups.services.OWNERS_ASKED has it for a
# guardian: a relative's, the family's shared one, else the child's own.
GUARDIANS_PHONE = (
    "SELECT p.{column} FROM phones p WHERE p.returnee_id = check_ins.returnee_id "
    "AND p.has_consent AND p.is_usable AND p.channel <> 'none' "
    "ORDER BY CASE p.owner WHEN 'relative' THEN 0 WHEN 'shared' THEN 1 ELSE 2 END, p.id LIMIT 1"
)


def _retemplate(pairs: list[tuple[str, str]], version_step: int) -> None:
    """The child plans' steps in force that ask the guardian, and their check-ins not yet
    sent: template old -> new, at the plans' new version."""
    op.execute(sa.text(
        f"UPDATE follow_up_plans SET version = version + :step, updated_at = :now "
        f"WHERE id IN ({PLANS})"
    ).bindparams(step=version_step, now=_now()))
    for old, new in pairs:
        op.execute(sa.text(
            f"UPDATE check_ins SET template = :new, plan_version = (SELECT p.version FROM "
            f"plan_steps s JOIN follow_up_plans p ON p.id = s.plan_id WHERE s.id = "
            f"check_ins.step_id) WHERE template = :old AND {PENDING} AND step_id IN ({STEPS})"
        ).bindparams(new=new, old=old))
        op.execute(sa.text(
            f"UPDATE plan_steps SET template = :new WHERE template = :old "
            f"AND retired_at IS NULL AND id IN ({STEPS})"
        ).bindparams(new=new, old=old))


def _forget(pairs: list[tuple[str, str]]) -> None:
    """Every step and check-in, retired or sent, that names a template about to go: its old
    one again."""
    for old, new in pairs:
        for table in ("check_ins", "plan_steps"):
            op.execute(sa.text(f"UPDATE {table} SET template = :new WHERE template = :old")
                       .bindparams(new=new, old=old))


def _ask_the_guardians() -> None:
    """The child's check-ins not yet sent go to the guardian's number, where there is one."""
    op.execute(
        f"UPDATE check_ins SET phone = ({GUARDIANS_PHONE.format(column='number')}), "
        f"channel = ({GUARDIANS_PHONE.format(column='channel')}) "
        f"WHERE {PENDING} AND step_id IN ({STEPS}) "
        f"AND EXISTS ({GUARDIANS_PHONE.format(column='id')})"
    )


def upgrade() -> None:
    with op.batch_alter_table("custodies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("guardian_consents", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.bulk_insert(templates, [
        {"key": key, "language": language, "body": body, "whatsapp_content_sid": "",
         "updated_at": _now()}
        for key, spanish, english in GUARDIAN.values()
        for language, body in (("es", spanish), ("en", english))
    ])
    _retemplate([(old, new) for old, (new, _es, _en) in GUARDIAN.items()], 1)
    _ask_the_guardians()


def downgrade() -> None:
    op.execute(sa.text(
        f"UPDATE follow_up_plans SET version = version - 1, updated_at = :now "
        f"WHERE id IN ({PLANS})"
    ).bindparams(now=_now()))
    _forget([(new, old) for old, (new, _es, _en) in GUARDIAN.items()])
    keys = [key for key, _es, _en in GUARDIAN.values()]
    op.execute(templates.delete().where(templates.c.key.in_(keys)))
    with op.batch_alter_table("custodies", schema=None) as batch_op:
        batch_op.drop_column("guardian_consents")
