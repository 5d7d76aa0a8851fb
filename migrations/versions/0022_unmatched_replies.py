"""replies left in the unmatched inbox: read by the number's rule where a question awaits

Before 0020 a reply from a number several people hold waited in the unmatched inbox, unread.
Now a reply is read against the latest question sent to its number that still awaits an
answer: those waiting from such numbers are left for the worker to read (a danger word among
them then opens its urgent task). The others, from numbers no question explains, stay in the
inbox as they were, for staff to say whose they are; they are marked read so that the worker
does not take weeks-old messages for new ones.

Revision ID: 0022_unmatched_replies
Revises: 0021_family_questions
Create Date: 2026-12-07
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0022_unmatched_replies"
down_revision = "0021_family_questions"
branch_labels = None
depends_on = None

AWAITING = (
    "SELECT 1 FROM check_ins c WHERE c.phone = inbound_messages.from_number AND ("
    "c.state IN ('sending', 'sent', 'delivered') "
    "OR (c.state = 'scheduled' AND c.reminded_at IS NOT NULL))"
)
LEFT_UNREAD = "handled_at IS NULL AND returnee_id IS NULL AND keyword = ''"
# Run by upgrade(), and by the test that shows what it does.
KEEP_IN_THE_INBOX = (
    f"UPDATE inbound_messages SET handled_at = received_at "
    f"WHERE {LEFT_UNREAD} AND NOT EXISTS ({AWAITING})"
)
COUNT_TO_READ = f"SELECT count(*) FROM inbound_messages WHERE {LEFT_UNREAD} AND EXISTS ({AWAITING})"


def upgrade() -> None:
    connection = op.get_bind()
    kept = connection.execute(sa.text(KEEP_IN_THE_INBOX)).rowcount
    to_read = connection.execute(sa.text(COUNT_TO_READ)).scalar()
    logging.getLogger("alembic.runtime.migration").info(
        "0022: %s waiting replies to be read by their number's question, %s left in the "
        "unmatched inbox", to_read, kept,
    )


def downgrade() -> None:
    pass  # the version before read no reply that nobody held: nothing to undo
