"""every call offers key 9: the Spanish wording of the offer may be read aloud from the start

A call is placed only when it can offer the key that stops the calls (a recording of
"voice_stop_calls" in the person's language or in Spanish, or its Spanish wording read aloud).
No recording exists on a new installation, so the offer's Spanish wording is allowed to be read
aloud; an admin may record it, and may stop the reading (calls then wait for a recording).

Revision ID: 0053_stop_offer_spoken
Revises: 0052_arrival_figures
Create Date: 2026-12-07
"""

from alembic import op

revision = "0053_stop_offer_spoken"
down_revision = "0052_arrival_figures"
branch_labels = None
depends_on = None

OFFER = "UPDATE message_templates SET voice_say_allowed = {} WHERE key = 'voice_stop_calls'"


def upgrade() -> None:
    op.execute(OFFER.format("true") + " AND language = 'es'")


def downgrade() -> None:
    op.execute(OFFER.format("false"))
