"""What follow-ups do when reception or messaging report an event."""

from __future__ import annotations

from sqlalchemy.orm import Session

from returnees.core import events
from returnees.followups.services import (
    cancel_pending_for_number,
    follow_up_on_new_number,
    schedule_follow_ups,
)


def _on_arrival(session: Session, arrival_ids: list[int]) -> None:
    schedule_follow_ups(session, arrival_ids)


def _on_consent_withdrawn(session: Session, number: str, returnee_id: int | None = None) -> None:
    cancel_pending_for_number(session, number, returnee_id)


def _on_call_unanswered(session: Session, message_id: int) -> None:
    from returnees.followups.dispatch import give_up_on_call

    give_up_on_call(session, message_id)


def _on_number_added(session: Session, arrival_id: int) -> None:
    follow_up_on_new_number(session, arrival_id)


def subscribe() -> None:
    """Subscribe this package's handlers, and show a person's follow-up on their record."""
    from returnees.followups.views import record_panel
    from returnees.people.views import add_record_panel

    add_record_panel("followups/_record.html", record_panel)
    events.subscribe(events.ARRIVAL_REGISTERED, _on_arrival)
    events.subscribe(events.FOLLOW_UP_NUMBER_ADDED, _on_number_added)
    events.subscribe(events.CONSENT_WITHDRAWN, _on_consent_withdrawn)
    events.subscribe(events.CALL_UNANSWERED, _on_call_unanswered)
