"""Names of a message's states in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _

from returnees.messaging.models import MessageStatus

STATUS_LABELS = {
    MessageStatus.QUEUED: _("waiting to be sent"),
    MessageStatus.SENDING: _("sending"),
    MessageStatus.SENT: _("sent"),
    MessageStatus.DELIVERED: _("delivered"),
    MessageStatus.READ: _("read"),
    MessageStatus.UNDELIVERED: _("not delivered"),
    MessageStatus.FAILED: _("failed"),
}
# The same states of a call placed for a member of staff, as the one who placed it reads them.
CALL_STATUS_LABELS = {
    MessageStatus.QUEUED: _("about to be placed"),
    MessageStatus.SENDING: _("ringing"),
    MessageStatus.SENT: _("answered, put through to your phone"),
    MessageStatus.DELIVERED: _("ended"),
    MessageStatus.READ: _("ended"),
    MessageStatus.UNDELIVERED: _("not answered"),
    MessageStatus.FAILED: _("not answered"),
}
