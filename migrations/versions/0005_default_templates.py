"""ship the default message templates in Spanish and English

Revision ID: 0005_default_templates
Revises: 0004_message_templates
Create Date: 2026-12-01
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005_default_templates"
down_revision = "0004_message_templates"
branch_labels = None
depends_on = None

# Discreet on purpose: whoever holds the phone learns nothing from these words. Accents other
# than é make a text UCS-2 (70 characters a segment), so the Spanish ones are short.
DEFAULTS = {
    "confirm_number": (
        "Hola {first_name}, guarde este número. Responda 1 para confirmarlo.",
        "Hi {first_name}, please save this number. Reply 1 to confirm this is your phone.",
    ),
    "arrived_safe": (
        "Hola {first_name}, ¿llegó bien? Responda {options}.",
        "Hi {first_name}, did you get there well and are you fine? Reply {options}.",
    ),
    "school_or_work": (
        "Hola {first_name}, ¿ya estudia o trabaja? Responda {options}.",
        "Hi {first_name}, are you studying or working now? Reply {options}.",
    ),
    "travel_again": (
        "Hola {first_name}, ¿piensa viajar otra vez? Responda {options}.",
        "Hi {first_name}, are you thinking of travelling again soon? Reply {options}.",
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


def upgrade() -> None:
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    rows = [
        {"key": key, "language": language, "body": body, "whatsapp_content_sid": "",
         "updated_at": now}
        for key, bodies in DEFAULTS.items()
        for language, body in zip(("es", "en"), bodies, strict=True)
    ]
    op.bulk_insert(templates, rows)


def downgrade() -> None:
    op.execute(templates.delete().where(templates.c.key.in_(list(DEFAULTS))))
