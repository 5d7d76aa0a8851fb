from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_body
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session, statement_timeout
from returnees.rights.export import as_json, export_person
from returnees.rights.schemas import ErasureRequestSchema, ErasureSchema
from returnees.rights.services import approve_erasure, refuse_erasure, request_erasure


@bp.get("/returnees/<int:returnee_id>/export")
@requires_role(Role.SUPERVISOR)
@statement_timeout("EXPORT_STATEMENT_TIMEOUT_SECONDS")
def returnee_export(returnee_id: int) -> Response:
    """Everything held about one person; the export is written to the audit trail."""
    return jsonify(as_json(export_person(get_session(), current_actor(), returnee_id)))


@bp.post("/returnees/<int:returnee_id>/erasure")
@requires_role(Role.SUPERVISOR)
def erasure_request(returnee_id: int) -> tuple[Response, int]:
    """Ask for a person to be erased; another supervisor of the country must approve."""
    body = load_body(ErasureRequestSchema())
    erasure = request_erasure(get_session(), current_actor(), returnee_id, body["reason"])
    return jsonify(ErasureSchema().dump(erasure)), 201


@bp.post("/erasures/<int:erasure_id>/approve")
@requires_role(Role.SUPERVISOR)
def erasure_approve(erasure_id: int) -> Response:
    """Approve another supervisor's request: the person is erased."""
    erasure = approve_erasure(get_session(), current_actor(), erasure_id)
    return jsonify(ErasureSchema().dump(erasure))


@bp.post("/erasures/<int:erasure_id>/refuse")
@requires_role(Role.SUPERVISOR)
def erasure_refuse(erasure_id: int) -> Response:
    """Refuse (or, by the one who asked, withdraw) a request: nothing is erased."""
    erasure = refuse_erasure(get_session(), current_actor(), erasure_id)
    return jsonify(ErasureSchema().dump(erasure))
