from __future__ import annotations

from marshmallow import Schema, fields, validate

from returnees.core.bounds import MAX_ID


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    address = fields.String()
    action = fields.Function(lambda entry: entry.action.value)
    record_type = fields.String()
    record_id = fields.String()
    detail = fields.Dict()


class AuditQuerySchema(Schema):
    actor = fields.String(load_default="")
    record_type = fields.String(load_default="")
    record_id = fields.String(load_default="")
    since = fields.AwareDateTime(load_default=None, default_timezone=None)
    until = fields.AwareDateTime(load_default=None, default_timezone=None)
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_ID))
