"""What the survey package adds to other pages, and what it does when a case closes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from returnees.core import events
from returnees.surveys.services import close_waves_of_closed_case


def subscribe() -> None:
    """Show a person's survey waves on their record; close the open ones when a case closes."""
    from returnees.people.views import add_record_panel
    from returnees.surveys.views import record_panel

    add_record_panel("surveys/_record.html", record_panel)
    events.subscribe(events.CASE_CLOSED, _on_case_closed)


def _on_case_closed(session: Session, returnee_id: int) -> None:
    close_waves_of_closed_case(session, returnee_id)
