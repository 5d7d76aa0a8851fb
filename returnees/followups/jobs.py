from __future__ import annotations

from returnees.core.scheduler import PeriodicJob
from returnees.followups.dispatch import dispatch_check_ins, read_replies

JOBS = [
    PeriodicJob("read-replies", read_replies, seconds=15),
    PeriodicJob("dispatch-check-ins", dispatch_check_ins, seconds=15),
]
