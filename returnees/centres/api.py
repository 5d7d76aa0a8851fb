from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_body
from returnees.auth.access import EVERY_ROLE, current_actor, requires_role
from returnees.auth.models import Role
from returnees.centres.coverage import coverage_of, set_coverage
from returnees.centres.schemas import CentreSchema, CoverageSchema
from returnees.centres.services import NewCentre, create_centre, list_centres, view_centre
from returnees.core.db import get_session


@bp.get("/centres")
@requires_role(*EVERY_ROLE)
def centres() -> Response:
    """The centres inside the token's scope."""
    return jsonify(CentreSchema(many=True).dump(list_centres(get_session(), current_actor())))


@bp.get("/centres/<code>")
@requires_role(*EVERY_ROLE)
def centre(code: str) -> Response:
    """One centre inside the token's scope."""
    return jsonify(CentreSchema().dump(view_centre(get_session(), current_actor(), code)))


@bp.post("/centres")
@requires_role(Role.ADMIN)
def add_centre() -> tuple[Response, int]:
    """Create a centre."""
    new = NewCentre(**load_body(CentreSchema()))
    created = create_centre(get_session(), current_actor(), new)
    return jsonify(CentreSchema().dump(created)), 201


@bp.get("/centres/<code>/coverage")
@requires_role(*EVERY_ROLE)
def coverage(code: str) -> Response:
    """The places an office covers, and for whom (child, adult)."""
    session = get_session()
    return jsonify(coverage_of(session, view_centre(session, current_actor(), code)).as_json())


@bp.put("/centres/<code>/coverage")
@requires_role(Role.ADMIN)
def change_coverage(code: str) -> Response:
    """Set the places an office covers (codes), for children, adults or both (left out: both)."""
    body = load_body(CoverageSchema())
    changed = set_coverage(
        get_session(), current_actor(), code, body["municipalities"], body.get("profiles")
    )
    return jsonify(changed.as_json())
