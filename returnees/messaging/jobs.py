from __future__ import annotations

from returnees.core.scheduler import PeriodicJob
from returnees.messaging.services import dispatch_messages

JOBS = [PeriodicJob("send-due-messages", dispatch_messages, seconds=15)]
