"""Who may use each casework route: merged into tests/auth/test_access_matrix.py's MATRIX."""

from __future__ import annotations

from returnees.auth.models import Role
from tests.roles import ADMIN, CASEWORK, SUPERVISOR

ROUTES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/queue"): CASEWORK,
    ("POST", "/tasks/<int:task_id>/contact"): CASEWORK,
    ("POST", "/tasks/<int:task_id>/reschedule"): CASEWORK,
    ("POST", "/tasks/<int:task_id>/close"): CASEWORK,
    ("POST", "/tasks/<int:task_id>/acknowledge"): CASEWORK,
    ("POST", "/queue/filters"): CASEWORK,
    ("POST", "/queue/filters/<int:filter_id>/delete"): CASEWORK,
    ("GET", "/cases/assign"): SUPERVISOR,
    ("POST", "/cases/assign"): SUPERVISOR,
    ("POST", "/returnees/<int:returnee_id>/assign"): SUPERVISOR,
    ("POST", "/returnees/<int:returnee_id>/close"): CASEWORK,
    ("POST", "/returnees/<int:returnee_id>/contacts"): CASEWORK,
    ("POST", "/api/v1/returnees/<int:returnee_id>/contacts"): CASEWORK,
    ("POST", "/returnees/<int:returnee_id>/close/approve"): SUPERVISOR,
    ("GET", "/api/v1/queue"): CASEWORK,
    ("GET", "/api/v1/cases"): CASEWORK | ADMIN,
    ("POST", "/api/v1/returnees/<int:returnee_id>/route"): SUPERVISOR,
    ("POST", "/api/v1/returnees/<int:returnee_id>/transfers"): CASEWORK,
    ("GET", "/api/v1/transfers"): CASEWORK,
    ("POST", "/api/v1/transfers/<int:transfer_id>/accept"): CASEWORK,
    ("POST", "/api/v1/transfers/<int:transfer_id>/decline"): CASEWORK,
    ("POST", "/returnees/<int:returnee_id>/route"): SUPERVISOR,
    ("POST", "/returnees/<int:returnee_id>/transfers"): CASEWORK,
    ("POST", "/transfers/<int:transfer_id>/accept"): CASEWORK,
    ("POST", "/transfers/<int:transfer_id>/decline"): CASEWORK,
    ("POST", "/api/v1/tasks/<int:task_id>/contacts"): CASEWORK,
    ("POST", "/api/v1/tasks/<int:task_id>/reschedule"): CASEWORK,
    ("POST", "/api/v1/tasks/<int:task_id>/close"): CASEWORK,
    ("POST", "/api/v1/tasks/<int:task_id>/acknowledge"): CASEWORK,
    ("POST", "/api/v1/cases/assign"): SUPERVISOR,
    ("GET", "/api/v1/caseloads"): SUPERVISOR,
    ("POST", "/api/v1/returnees/<int:returnee_id>/close"): CASEWORK,
    ("POST", "/api/v1/returnees/<int:returnee_id>/close/approve"): SUPERVISOR,
}
