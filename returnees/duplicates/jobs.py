from __future__ import annotations

from sqlalchemy.orm import Session

from returnees.core.scheduler import PeriodicJob
from returnees.duplicates.finding import find_duplicates_everywhere


def find_duplicates(session: Session) -> dict[str, int]:
    """Search each country's registry for people registered twice; pairs found, by country."""
    return {result.country.value: result.found for result in find_duplicates_everywhere(session)}


# Once a day: a million people take minutes (bench duplicates), and a pair waits for a
# supervisor anyway.
JOBS = [PeriodicJob("find-duplicates", find_duplicates, seconds=24 * 60 * 60)]
