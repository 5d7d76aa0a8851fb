"""Who may use each referrals route: merged into tests/auth/test_access_matrix.py's MATRIX."""

from __future__ import annotations

from returnees.auth.models import Role
from tests.roles import ADMIN, CASEWORK, EVERY, OVERSIGHT, PEOPLE, SUPERVISOR  # noqa: F401

# Partner organisations: everyone in casework reads them; admins and supervisors manage them.
PARTNER_READERS = CASEWORK | ADMIN

ROUTES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/returnees/<int:returnee_id>/referrals/new"): CASEWORK,
    ("POST", "/returnees/<int:returnee_id>/referrals/new"): CASEWORK,
    ("GET", "/referrals/<int:referral_id>"): CASEWORK,
    ("POST", "/referrals/<int:referral_id>"): CASEWORK,
    ("POST", "/referrals/<int:referral_id>/status"): CASEWORK,
    ("GET", "/partners/"): PARTNER_READERS,
    ("GET", "/partners/new"): OVERSIGHT,
    ("POST", "/partners/new"): OVERSIGHT,
    ("GET", "/partners/<int:organisation_id>"): OVERSIGHT,
    ("POST", "/partners/<int:organisation_id>"): OVERSIGHT,
    ("POST", "/partners/<int:organisation_id>/deactivate"): OVERSIGHT,
    ("POST", "/partners/<int:organisation_id>/reactivate"): OVERSIGHT,
    ("GET", "/api/v1/returnees/<int:returnee_id>/referrals"): CASEWORK,
    ("POST", "/api/v1/returnees/<int:returnee_id>/referrals"): CASEWORK,
    ("GET", "/api/v1/referrals/<int:referral_id>"): CASEWORK,
    ("POST", "/api/v1/referrals/<int:referral_id>/status"): CASEWORK,
    ("GET", "/api/v1/partners"): PARTNER_READERS,
    ("POST", "/api/v1/partners"): OVERSIGHT,
}
