from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_query
from returnees.audit.queries import AuditFilter, search_audit
from returnees.audit.schemas import AuditEntrySchema, AuditQuerySchema
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session


@bp.get("/audit")
@requires_role(Role.SUPERVISOR, Role.ADMIN)
def audit() -> Response:
    """Audit entries, newest first, filtered by actor, record and time (ISO-8601 with offset)."""
    wanted = AuditFilter(**load_query(AuditQuerySchema()))
    entries = search_audit(get_session(), current_actor(), wanted)
    return jsonify(AuditEntrySchema(many=True).dump(entries))
