from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import lazy_gettext as _
from marshmallow import ValidationError

from returnees.api import bp
from returnees.audit.queries import AuditFilter, search_audit
from returnees.audit.schemas import AuditEntrySchema, AuditQuerySchema
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.core.errors import InvalidInput


@bp.get("/audit")
@requires_role(Role.SUPERVISOR, Role.ADMIN)
def audit() -> Response:
    """Audit entries, newest first, filtered by actor, record and time (ISO-8601 with offset)."""
    try:
        wanted = AuditFilter(**AuditQuerySchema().load(request.args))
    except ValidationError as error:
        raise InvalidInput(_("Some filters are not valid."), error.messages) from error
    entries = search_audit(get_session(), current_actor(), wanted)
    return jsonify(AuditEntrySchema(many=True).dump(entries))
