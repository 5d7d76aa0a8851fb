from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import lazy_gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from returnees.api import bp
from returnees.audit.schemas import AuditEntrySchema
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.core.errors import InvalidInput
from returnees.people.schemas import ReturneeSchema, ReturneeSummarySchema
from returnees.people.services import (
    MAX_PAGE,
    PEOPLE_ROLES,
    ReturneeSearch,
    looks_at,
    search_returnees,
    view_returnee,
)


class PageQuerySchema(Schema):
    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=MAX_PAGE), strict=False
    )


class SearchQuerySchema(Schema):
    q = fields.String(load_default="")
    centre = fields.String(load_default="")
    arrived_from = fields.AwareDateTime(load_default=None)
    arrived_to = fields.AwareDateTime(load_default=None)


@bp.get("/returnees")
@requires_role(*PEOPLE_ROLES)
def returnees() -> Response:
    """Returnees inside the token's scope, by name, document or phone, centre and arrival time."""
    try:
        query = SearchQuerySchema().load(request.args)
    except ValidationError as error:
        raise InvalidInput(_("Some filters are not valid."), error.messages) from error
    search = ReturneeSearch(
        text=query["q"],
        centre=query["centre"],
        arrived_from=query["arrived_from"],
        arrived_to=query["arrived_to"],
    )
    found = search_returnees(get_session(), current_actor(), search)
    return jsonify(ReturneeSummarySchema(many=True).dump(found))


@bp.get("/returnees/<int:returnee_id>")
@requires_role(*PEOPLE_ROLES)
def returnee(returnee_id: int) -> Response:
    """One returnee's record; the view is written to the audit trail."""
    return jsonify(
        ReturneeSchema().dump(view_returnee(get_session(), current_actor(), returnee_id))
    )


@bp.get("/returnees/<int:returnee_id>/audit")
@requires_role(Role.SUPERVISOR)
def returnee_audit(returnee_id: int) -> Response:
    """Who looked at or changed this person: the audit entries that name them, newest first,
    100 a page (?page=2 for older ones). The reading is itself written to the trail."""
    try:
        page = PageQuerySchema().load(request.args)["page"]
    except ValidationError as error:
        raise InvalidInput(_("Some filters are not valid."), error.messages) from error
    _person, entries = looks_at(get_session(), current_actor(), returnee_id, page)
    return jsonify(AuditEntrySchema(many=True).dump(entries))
