"""What casework does when reception or follow-ups report an event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from returnees.core import events
from returnees.followups.models import CheckIn


def _on_arrival(session: Session, arrival_ids: list[int]) -> None:
    from returnees.casework.services import open_cases_for

    open_cases_for(session, arrival_ids)


def _on_answer(session: Session, check_in: CheckIn) -> None:
    from returnees.casework.services import close_tasks_answered

    close_tasks_answered(session, check_in)


def subscribe() -> None:
    """Subscribe this package's handlers to the events it listens to."""
    from returnees.casework.views import record_panel
    from returnees.people.views import add_record_panel

    events.subscribe(events.ARRIVAL_REGISTERED, _on_arrival)
    events.subscribe(events.ANSWER_RECORDED, _on_answer)
    add_record_panel("casework/_record.html", record_panel)
