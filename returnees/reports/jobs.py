from __future__ import annotations

from returnees.core.scheduler import PeriodicJob
from returnees.reports.facts import refresh_figures

# Cheap when nothing changed: each run takes the people listed as changed, then any arrival
# without figures.
JOBS = [PeriodicJob("refresh-outcome-figures", refresh_figures, seconds=60)]
