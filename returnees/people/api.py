from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_query
from returnees.audit.schemas import AuditEntrySchema
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.core.web import answers_merged_itself
from returnees.people.schemas import (
    PageQuerySchema,
    ReturneeSchema,
    ReturneeSummarySchema,
    SearchQuerySchema,
)
from returnees.people.services import (
    PEOPLE_ROLES,
    ReturneeSearch,
    looks_at,
    search_returnees,
    view_returnee,
)


@bp.get("/returnees")
@requires_role(*PEOPLE_ROLES)
def returnees() -> Response:
    """Returnees inside the token's scope, by name, document or phone, centre and arrival time."""
    query = load_query(SearchQuerySchema())
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
@answers_merged_itself
def returnee_audit(returnee_id: int) -> Response:
    """Who looked at or changed this person: the audit entries that name them, newest first,
    100 a page (?page=2 for older ones). The reading is itself written to the trail."""
    page = load_query(PageQuerySchema())["page"]
    _person, entries = looks_at(get_session(), current_actor(), returnee_id, page)
    return jsonify(AuditEntrySchema(many=True).dump(entries))
