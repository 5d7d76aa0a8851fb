"""Who may use each route of a person's rights: merged into tests/auth/test_access_matrix.py's
MATRIX."""

from __future__ import annotations

from returnees.auth.models import Role
from tests.roles import SUPERVISOR

ROUTES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/returnees/<int:returnee_id>/export"): SUPERVISOR,
    ("GET", "/returnees/<int:returnee_id>/export.json"): SUPERVISOR,
    ("POST", "/returnees/<int:returnee_id>/erasure"): SUPERVISOR,
    ("POST", "/erasures/<int:erasure_id>/approve"): SUPERVISOR,
    ("POST", "/erasures/<int:erasure_id>/refuse"): SUPERVISOR,
    ("GET", "/api/v1/returnees/<int:returnee_id>/export"): SUPERVISOR,
    ("POST", "/api/v1/returnees/<int:returnee_id>/erasure"): SUPERVISOR,
    ("POST", "/api/v1/erasures/<int:erasure_id>/approve"): SUPERVISOR,
    ("POST", "/api/v1/erasures/<int:erasure_id>/refuse"): SUPERVISOR,
}
