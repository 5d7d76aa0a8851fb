from __future__ import annotations

from marshmallow import Schema, fields, validate

from returnees.core.bounds import record_id
from returnees.core.db import get_session
from returnees.duplicates.labels import reasons_in_words
from returnees.duplicates.merging import moved_by
from returnees.duplicates.models import PairStatus
from returnees.people.schemas import ReturneeSummarySchema

MAX_LISTED = 200


class MergeRequestSchema(Schema):
    into = record_id(required=True, metadata={"description": "the id of the record kept"})


class MergeSchema(Schema):
    id = fields.Integer()
    kept_id = fields.Integer()
    merged_id = fields.Integer()
    merged_by_id = fields.Integer(allow_none=True)
    merged_at = fields.DateTime()
    undone_at = fields.DateTime(allow_none=True)
    moved = fields.Function(
        lambda merge: moved_by(get_session(), merge),
        metadata={"description": "rows moved to the kept record, by table"},
    )


class DuplicateQuerySchema(Schema):
    status = fields.String(
        load_default=PairStatus.PENDING.value,
        validate=validate.OneOf([status.value for status in PairStatus]),
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LISTED), strict=False)


class DuplicatePairSchema(Schema):
    id = fields.Integer()
    country = fields.Function(lambda pair: pair.country.value)
    status = fields.Function(lambda pair: pair.status.value)
    weight = fields.Integer()
    reasons = fields.List(fields.String())
    reasons_text = fields.Function(
        lambda pair: reasons_in_words(pair.reasons),
        metadata={"description": "the reasons in the token user's language"},
    )
    found_at = fields.DateTime()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    merge_id = fields.Integer(allow_none=True)
    returnees = fields.Function(
        lambda pair: ReturneeSummarySchema(many=True).dump([pair.first, pair.second])
    )
