"""Every package's models, imported together for Alembic and for tests that build a schema."""

from __future__ import annotations


def import_all_models() -> None:
    """Register every table on Base.metadata."""
    from returnees.audit import models as audit  # noqa: F401
    from returnees.auth import models as auth  # noqa: F401
    from returnees.casework import models as casework  # noqa: F401
    from returnees.centres import models as centres  # noqa: F401
    from returnees.demo import models as demo  # noqa: F401
    from returnees.duplicates import models as duplicates  # noqa: F401
    from returnees.followups import models as followups  # noqa: F401
    from returnees.messaging import models as messaging  # noqa: F401
    from returnees.people import models as people  # noqa: F401
    from returnees.reception import models as reception  # noqa: F401
    from returnees.referrals import models as referrals  # noqa: F401
    from returnees.reports import models as reports  # noqa: F401
    from returnees.rights import models as rights  # noqa: F401
    from returnees.risk import models as risk  # noqa: F401
    from returnees.surveys import models as surveys  # noqa: F401
    from returnees.tasks import models as tasks  # noqa: F401
