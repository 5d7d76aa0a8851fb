from __future__ import annotations

from returnees.core.scheduler import PeriodicJob
from returnees.referrals.services import open_referral_follow_up_tasks

JOBS: list[PeriodicJob] = [
    PeriodicJob("referral-follow-up-tasks", open_referral_follow_up_tasks, seconds=60 * 60),
]
