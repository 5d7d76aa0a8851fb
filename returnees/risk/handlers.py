"""What risk does when another package reports an event: score the person again at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from returnees.core import events
from returnees.followups.models import CheckIn
from returnees.reception.models import Arrival


def _on_arrival(session: Session, arrival_ids: list[int]) -> None:
    from returnees.risk.services import assess

    assess(session, session.scalars(select(Arrival.returnee_id).where(Arrival.id.in_(arrival_ids))))


def _on_screening(session: Session, returnee_id: int) -> None:
    from returnees.risk.services import assess

    assess(session, [returnee_id])


def _on_check_in(session: Session, check_in: CheckIn) -> None:
    from returnees.risk.services import assess

    assess(session, [check_in.returnee_id])


def subscribe() -> None:
    """Subscribe this package's handlers to the events it listens to."""
    from returnees.people.views import add_record_panel
    from returnees.risk.views import record_panel

    events.subscribe(events.ARRIVAL_REGISTERED, _on_arrival)
    events.subscribe(events.SCREENING_RECORDED, _on_screening)
    events.subscribe(events.ANSWER_RECORDED, _on_check_in)
    events.subscribe(events.CHECK_IN_UNANSWERED, _on_check_in)
    add_record_panel("risk/_record.html", record_panel)
