"""The survey's JSON: waves of a person, and the instrument an admin reads and replaces."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from marshmallow import Schema, fields, validate


class OptionSchema(Schema):
    value = fields.String(required=True)
    label_es = fields.String(required=True)
    label_en = fields.String(required=True)
    score = fields.Raw(load_default=None, allow_none=True)


class ItemSchema(Schema):
    """An item; an unknown dimension or kind, or a bad weight, is the service's clear error."""

    code = fields.String(required=True)
    dimension = fields.String(required=True)
    weight = fields.Raw(load_default=1.0)
    question_es = fields.String(required=True)
    question_en = fields.String(required=True)
    kind = fields.String(required=True)
    options = fields.List(fields.Nested(OptionSchema), required=True)
    is_safe_by_sms = fields.Boolean(load_default=False)
    indicator = fields.String(load_default="", allow_none=True)


class InstrumentSchema(Schema):
    version = fields.Integer(dump_only=True)
    is_active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    items = fields.List(
        fields.Nested(ItemSchema),
        required=True,
        validate=validate.Length(min=1, error=_("The survey needs at least one item.")),
    )


class AnswerSchema(Schema):
    item = fields.Function(lambda answer: answer.item.code)
    dimension = fields.Function(lambda answer: answer.item.dimension.value)
    value = fields.String()
    score = fields.Float(allow_none=True)
    source = fields.Function(lambda answer: answer.source.value)
    answered_at = fields.DateTime()


class WaveSchema(Schema):
    id = fields.Integer()
    returnee_id = fields.Integer()
    arrival_id = fields.Integer()
    day = fields.Integer()
    version = fields.Function(lambda wave: wave.instrument.version)
    status = fields.Function(lambda wave: wave.status.value)
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    economic_score = fields.Float(allow_none=True)
    social_score = fields.Float(allow_none=True)
    psychosocial_score = fields.Float(allow_none=True)
    composite_score = fields.Float(allow_none=True)
    answers = fields.List(fields.Nested(AnswerSchema))
