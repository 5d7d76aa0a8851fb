from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_body
from returnees.auth.access import EVERY_ROLE, current_actor, requires_role
from returnees.auth.models import Role
from returnees.centres.schemas import CentreSchema
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
