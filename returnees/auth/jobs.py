from __future__ import annotations

from returnees.auth.services import prune_sign_in_attempts
from returnees.core.scheduler import PeriodicJob

JOBS = [PeriodicJob("prune-sign-in-attempts", prune_sign_in_attempts, seconds=6 * 60 * 60)]
