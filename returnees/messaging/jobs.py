from __future__ import annotations

from returnees.core.scheduler import PeriodicJob
from returnees.messaging.services import apply_retention, dispatch_messages

JOBS = [
    PeriodicJob("send-due-messages", dispatch_messages, seconds=15, urgent=True),
    PeriodicJob("apply-retention", apply_retention, seconds=6 * 60 * 60),
]
