from __future__ import annotations

from marshmallow import Schema, fields, validate


class ErasureRequestSchema(Schema):
    reason = fields.String(
        required=True,
        # Some text, no NUL byte: what the service accepts, so the document says the same.
        validate=[validate.Length(min=1, max=1000), validate.Regexp(r"^[^\x00]*\S[^\x00]*$")],
        metadata={"example": "the person asked, in writing, to be erased"},
    )


class ErasureSchema(Schema):
    id = fields.Integer()
    returnee_id = fields.Integer()
    status = fields.Function(lambda erasure: erasure.status.value)
    reason = fields.String()
    requested_by_id = fields.Integer(allow_none=True)
    requested_at = fields.DateTime()
    decided_by_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    age_band = fields.String()
