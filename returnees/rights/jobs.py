from __future__ import annotations

from sqlalchemy.orm import Session

from returnees.core.scheduler import PeriodicJob, drain
from returnees.rights.services import erase_closed_cases


def apply_case_retention(session: Session) -> int:
    """Erase, batch after batch, the people whose last case closed CASE_RETENTION_YEARS ago."""
    return drain(session, erase_closed_cases)


JOBS = [PeriodicJob("apply-case-retention", apply_case_retention, seconds=6 * 60 * 60)]
