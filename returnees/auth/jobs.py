from __future__ import annotations

from returnees.auth.services import prune_sign_in_attempts
from returnees.auth.sessions import prune_signed_in_sessions
from returnees.core.scheduler import PeriodicJob

JOBS = [
    PeriodicJob("prune-sign-in-attempts", prune_sign_in_attempts, seconds=6 * 60 * 60),
    PeriodicJob("prune-signed-in-sessions", prune_signed_in_sessions, seconds=6 * 60 * 60),
]
