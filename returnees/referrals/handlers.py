"""What referrals does when another package reports an event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from returnees.core import events
from returnees.followups.models import CheckIn


def _on_answer(session: Session, check_in: CheckIn) -> None:
    from returnees.referrals.services import record_attendance_answer

    record_attendance_answer(session, check_in)


def subscribe() -> None:
    """Subscribe this package's handlers to the events it listens to, and show the person's
    referrals on their record."""
    from returnees.people.views import add_record_panel
    from returnees.referrals.views import record_panel

    events.subscribe(events.ANSWER_RECORDED, _on_answer)
    add_record_panel("referrals/_record.html", record_panel)
