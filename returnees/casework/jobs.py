from __future__ import annotations

from returnees.core.scheduler import PeriodicJob

JOBS: list[PeriodicJob] = []
