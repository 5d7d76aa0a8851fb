from __future__ import annotations

from returnees.core.scheduler import PeriodicJob
from returnees.tasks.alerts import escalate_unacknowledged

JOBS = [
    PeriodicJob("escalate-urgent-tasks", escalate_unacknowledged, seconds=60),
]
