"""Who may use each duplicates route: merged into tests/auth/test_access_matrix.py's MATRIX."""

from __future__ import annotations

from returnees.auth.models import Role
from tests.roles import SUPERVISOR

ROUTES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/people/duplicates/"): SUPERVISOR,
    ("GET", "/people/duplicates/<int:pair_id>"): SUPERVISOR,
    ("POST", "/people/duplicates/<int:pair_id>/same"): SUPERVISOR,
    ("POST", "/people/duplicates/<int:pair_id>/different"): SUPERVISOR,
    ("GET", "/people/duplicates/merges/<int:merge_id>"): SUPERVISOR,
    ("POST", "/people/duplicates/merges/<int:merge_id>/undo"): SUPERVISOR,
    ("POST", "/api/v1/returnees/<int:returnee_id>/merge"): SUPERVISOR,
    ("GET", "/api/v1/duplicates"): SUPERVISOR,
}
