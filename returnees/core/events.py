"""In-process domain events, run in the caller's transaction, so that a lower package can tell
a higher one what happened without importing it (reception -> follow-ups, messaging -> follow-ups).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

# Each event and what its handlers receive besides the session.
ARRIVAL_REGISTERED = "arrival_registered"  # arrival_ids: list[int]
FOLLOW_UP_NUMBER_ADDED = "follow_up_number_added"  # arrival_id: int (a guardian's, say)
CONSENT_WITHDRAWN = "consent_withdrawn"  # number: str; returnee_id: int | None (None: anyone)
SCREENING_RECORDED = "screening_recorded"  # returnee_id: int
ANSWER_RECORDED = "answer_recorded"  # check_in: CheckIn (answered, with its answer)
CHECK_IN_UNANSWERED = "check_in_unanswered"  # check_in: CheckIn
CALL_UNANSWERED = "call_unanswered"  # message_id: int (a call answered, but no key pressed)
CASE_CLOSED = "case_closed"  # returnee_id: int
COVERAGE_CHANGED = "coverage_changed"  # country: Country (an office's places changed)
HOME_CHANGED = "home_changed"  # returnee_id: int; by: int | None (who changed it)
USER_MOVED = "user_moved"  # user_id: int (moved to another centre); actor: Actor (who moved them)

_handlers: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def subscribe(event: str, handler: Callable[..., Any]) -> None:
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def publish(event: str, session: Session, **payload: Any) -> None:
    """Run every handler of the event now, in the same transaction."""
    for handler in _handlers[event]:
        handler(session, **payload)
