from __future__ import annotations

from returnees.core.scheduler import PeriodicJob
from returnees.risk.services import recompute_due

# Cheap when nothing is due: each run takes only flags older than a day (or from older rules).
JOBS = [PeriodicJob("recompute-risk", recompute_due, seconds=5 * 60)]
