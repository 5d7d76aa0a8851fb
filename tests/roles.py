"""Sets of roles, for the access matrix and each area's route table."""

from __future__ import annotations

from returnees.auth.models import Role

EVERY = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
OVERSIGHT = frozenset({Role.SUPERVISOR, Role.ADMIN})
DESK = frozenset({Role.RECEPTION, Role.SUPERVISOR})
PEOPLE = frozenset({Role.RECEPTION, Role.SOCIAL_WORKER, Role.SUPERVISOR})
SUPERVISOR = frozenset({Role.SUPERVISOR})
CASEWORK = frozenset({Role.SOCIAL_WORKER, Role.SUPERVISOR})
STAFF_WITHOUT_RECORDS = frozenset({Role.RECEPTION, Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.ADMIN})
