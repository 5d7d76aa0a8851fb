from __future__ import annotations

from flask import Response, jsonify
from flask_login import current_user

from returnees.api import bp
from returnees.auth.access import EVERY_ROLE, current_actor, requires_role
from returnees.auth.models import Role
from returnees.auth.schemas import UserSchema
from returnees.auth.services import list_users
from returnees.core.db import get_session


@bp.get("/me")
@requires_role(*EVERY_ROLE)
def me() -> Response:
    """The token's user, role and centre."""
    return jsonify(UserSchema().dump(current_user))


@bp.get("/users")
@requires_role(Role.ADMIN)
def users() -> Response:
    """Every staff account."""
    return jsonify(UserSchema(many=True).dump(list_users(get_session(), current_actor())))
