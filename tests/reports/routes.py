"""Who may use each report and export route: merged into tests/auth/test_access_matrix.py's
MATRIX. A social worker may take pseudonymised exports within their scope; identifying files
and the outcome tables are for supervisors and admins (checked in tests/reports)."""

from __future__ import annotations

from returnees.auth.models import Role
from tests.roles import OVERSIGHT

EXPORTERS = frozenset({Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.ADMIN})

ROUTES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/reports/"): OVERSIGHT,
    ("GET", "/reports/export"): EXPORTERS,
    ("POST", "/reports/export"): EXPORTERS,
    ("GET", "/api/v1/reports/outcomes"): OVERSIGHT,
    ("GET", "/api/v1/reports/outcomes/monthly"): OVERSIGHT,
    ("GET", "/api/v1/exports/<what>"): EXPORTERS,
}
