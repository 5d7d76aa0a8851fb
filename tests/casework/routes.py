"""Who may use each casework route: merged into tests/auth/test_access_matrix.py's MATRIX."""

from __future__ import annotations

from returnees.auth.models import Role
from tests.roles import ADMIN, CASEWORK, EVERY, OVERSIGHT, PEOPLE, SUPERVISOR  # noqa: F401

ROUTES: dict[tuple[str, str], frozenset[Role]] = {}
