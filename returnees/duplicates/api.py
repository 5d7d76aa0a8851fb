from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_body, load_query
from returnees.auth.access import current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.core.web import answers_merged_itself
from returnees.duplicates.merging import merge_returnees
from returnees.duplicates.models import PairStatus
from returnees.duplicates.schemas import (
    DuplicatePairSchema,
    DuplicateQuerySchema,
    MergeRequestSchema,
    MergeSchema,
)
from returnees.duplicates.services import pairs_to_review


@bp.post("/returnees/<int:returnee_id>/merge")
@requires_role(Role.SUPERVISOR)
@answers_merged_itself
def merge_returnee(returnee_id: int) -> Response:
    """Merge this record into another of the same person (`into`, the record kept): what it
    holds moves there. A supervisor may undo it on the web for MERGE_UNDO_DAYS."""
    into = load_body(MergeRequestSchema())["into"]
    merge = merge_returnees(get_session(), current_actor(), returnee_id, into)
    return jsonify(MergeSchema().dump(merge))


@bp.get("/duplicates")
@requires_role(Role.SUPERVISOR)
def duplicates() -> Response:
    """Pairs of records of the token's country that may be one person, strongest first
    (?status=pending, same or different)."""
    query = load_query(DuplicateQuerySchema())
    pairs = pairs_to_review(
        get_session(), current_actor(), PairStatus(query["status"]), query["limit"]
    )
    return jsonify(DuplicatePairSchema(many=True).dump(pairs))
