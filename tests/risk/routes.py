"""Who may use each risk route: merged into tests/auth/test_access_matrix.py's MATRIX."""

from __future__ import annotations

from returnees.auth.models import Role
from tests.roles import ADMIN, CASEWORK, EVERY, OVERSIGHT, PEOPLE, SUPERVISOR  # noqa: F401

ROUTES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/risk/rules"): EVERY,
    ("POST", "/risk/rules"): ADMIN,
    ("POST", "/returnees/<int:returnee_id>/risk/level"): CASEWORK,
    ("GET", "/api/v1/risk/rules"): EVERY,
    ("PUT", "/api/v1/risk/rules"): ADMIN,
    ("GET", "/api/v1/returnees/<int:returnee_id>/risk"): CASEWORK,
    ("POST", "/api/v1/returnees/<int:returnee_id>/risk/level"): CASEWORK,
}
