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


def _on_coverage_changed(session: Session, country) -> None:
    from returnees.casework.routing import route_waiting

    route_waiting(session, country)


def _on_user_moved(session: Session, user_id: int, actor) -> None:
    from returnees.casework.services import unassign_elsewhere

    unassign_elsewhere(session, actor, user_id)


def _on_home_changed(session: Session, returnee_id: int, by: int | None = None) -> None:
    from returnees.casework.transfers import follow_the_home

    follow_the_home(session, returnee_id, by)


def subscribe() -> None:
    """Subscribe this package's handlers to the events it listens to."""
    from returnees.casework.views import record_panel
    from returnees.people.views import add_record_panel

    events.subscribe(events.ARRIVAL_REGISTERED, _on_arrival)
    events.subscribe(events.ANSWER_RECORDED, _on_answer)
    events.subscribe(events.COVERAGE_CHANGED, _on_coverage_changed)
    events.subscribe(events.HOME_CHANGED, _on_home_changed)
    events.subscribe(events.USER_MOVED, _on_user_moved)
    add_record_panel("casework/_record.html", record_panel)
