"""Who may use each survey route: merged into tests/auth/test_access_matrix.py's MATRIX."""

from __future__ import annotations

from returnees.auth.models import Role
from tests.roles import ADMIN, CASEWORK

ROUTES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/returnees/<int:returnee_id>/surveys/<int:wave_id>"): CASEWORK,
    ("POST", "/returnees/<int:returnee_id>/surveys/<int:wave_id>"): CASEWORK,
    ("POST", "/returnees/<int:returnee_id>/surveys/<int:wave_id>/complete"): CASEWORK,
    ("POST", "/returnees/<int:returnee_id>/surveys/<int:wave_id>/call"): CASEWORK,
    ("GET", "/surveys/instrument"): ADMIN,
    ("POST", "/surveys/instrument"): ADMIN,
    ("GET", "/api/v1/returnees/<int:returnee_id>/surveys"): CASEWORK,
    ("GET", "/api/v1/surveys/instrument"): ADMIN,
    ("GET", "/api/v1/surveys/instrument/<int:version>"): ADMIN,
    ("PUT", "/api/v1/surveys/instrument"): ADMIN,
}
