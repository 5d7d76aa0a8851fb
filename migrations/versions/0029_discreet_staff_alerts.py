"""staff alerts in plain words: the on-call texts no longer begin with the programme's name

The SMS a member of staff on call receives began "Returnees:", in Spanish too: English on a
Spanish phone, and a word that tells whoever sees the screen what the work is about. Each
shipped text nobody has edited is replaced; an edited one is kept as its editor left it.

Revision ID: 0029_discreet_staff_alerts
Revises: 0028_demo_seeds
Create Date: 2026-12-08
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0029_discreet_staff_alerts"
down_revision = "0028_demo_seeds"
branch_labels = None
depends_on = None

# (key, language): (the text shipped before, the text shipped now)
TEXTS = {
    ("on_call_alert", "es"): (
        "Returnees: caso urgente en su cola, ref. {options}. Véalo ya.",
        "Tiene un caso urgente en su cola, ref. {options}. Revíselo ya.",
    ),
    ("on_call_alert", "en"): (
        "Returnees: an urgent case is in your queue, ref. {options}.",
        "An urgent case is in your queue, ref. {options}. Please look at it now.",
    ),
    ("on_call_acknowledged", "es"): (
        "Returnees: ref. {options} recibido. Gracias.",
        "Confirmado: la ref. {options} queda a su cargo. Gracias.",
    ),
    ("on_call_acknowledged", "en"): (
        "Returnees: ref. {options} acknowledged. Thank you.",
        "Ref. {options} acknowledged. Thank you.",
    ),
    ("on_call_not_understood", "es"): (
        "Returnees: para confirmar, responda con el número del caso.",
        "Para confirmar, responda con el número de referencia del caso.",
    ),
    ("on_call_not_understood", "en"): (
        "Returnees: to acknowledge, reply with the case's number.",
        "To acknowledge, reply with the case's reference number.",
    ),
}


def replace_unedited(connection, backwards: bool = False) -> int:
    """Replace each shipped text still as shipped (nobody has saved it since); how many were.
    Run by upgrade(), downgrade() and the test."""
    replaced = 0
    for (key, language), (before, now) in TEXTS.items():
        old, new = (now, before) if backwards else (before, now)
        result = connection.execute(
            sa.text(
                "UPDATE message_templates SET body = :new, updated_at = :at "
                "WHERE key = :key AND language = :language AND body = :old "
                "AND updated_by_id IS NULL"
            ).bindparams(sa.bindparam("at", type_=sa.DateTime(timezone=True))),
            {"new": new, "old": old, "key": key, "language": language, "at": _now(connection)},
        )
        replaced += result.rowcount
    return replaced


def _now(connection) -> datetime:
    now = datetime.now(timezone.utc)
    return now.replace(tzinfo=None) if connection.dialect.name == "sqlite" else now


def upgrade() -> None:
    replace_unedited(op.get_bind())


def downgrade() -> None:
    replace_unedited(op.get_bind(), backwards=True)
