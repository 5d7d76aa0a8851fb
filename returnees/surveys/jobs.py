from __future__ import annotations

from returnees.core.scheduler import PeriodicJob
from returnees.surveys.services import open_survey_waves

JOBS: list[PeriodicJob] = [
    PeriodicJob("survey-waves", open_survey_waves, seconds=60 * 60),
]
