"""a family's children are asked about together, in one message that names them all

A mother followed about three children on her one phone got three messages for one step, on
three days (one routine message a number a day). A question with a family wording (its key and
_household) is now asked once for the children of one household on one number: "¿Ana y Luis
están bien? Responda 1 si todos, 2 si alguno no". Whether one of them thinks of leaving again is
still asked child by child: "1" there would not say which.

Revision ID: 0021_family_questions
Revises: 0020_check_in_replies
Create Date: 2026-12-07
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0021_family_questions"
down_revision = "0020_check_in_replies"
branch_labels = None
depends_on = None

# Discreet, as every template: nothing in the words tells whoever holds the phone what the
# children came back from.
FAMILY = {
    "guardian_confirm_number_household": (
        "Hola, guarde este número para saber de {names}. Responda 1.",
        "Hello, please save this number to keep in touch about {names}. Reply 1.",
    ),
    "guardian_arrived_safe_household": (
        "¿{names} están bien? Responda 1 si todos, 2 si alguno no.",
        "Are {names} well? Reply 1 if all are, 2 if any is not.",
    ),
    "guardian_in_school_household": (
        "¿{names} ya van a la escuela? Responda 1 si todos, 2 si alguno no.",
        "Are {names} going to school now? Reply 1 if all are, 2 if any is not.",
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


def upgrade() -> None:
    op.bulk_insert(templates, [
        {"key": key, "language": language, "body": body, "whatsapp_content_sid": "",
         "updated_at": _now()}
        for key, (spanish, english) in FAMILY.items()
        for language, body in (("es", spanish), ("en", english))
    ])


def downgrade() -> None:
    op.execute(templates.delete().where(templates.c.key.in_(list(FAMILY))))
