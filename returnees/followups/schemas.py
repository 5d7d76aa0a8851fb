from __future__ import annotations

from flask_babel import lazy_gettext as _
from marshmallow import Schema, fields, validate

from returnees.core.bounds import record_id
from returnees.followups.models import AnswerType
from returnees.followups.plans import MAX_DAY


class PlanStepSchema(Schema):
    """A step; an unknown answer type or template is the service's clear error, not a 422 here."""

    id = fields.Integer(dump_only=True)
    step_id = record_id(load_only=True, load_default=None, allow_none=True)
    # The service checks the day (a whole number, digits in a string too) and names the step.
    day_offset = fields.Raw(
        required=True, metadata={"type": "integer", "minimum": 0, "maximum": MAX_DAY}
    )
    template = fields.String(required=True)
    answer_type = fields.String(
        required=True, metadata={"enum": [kind.value for kind in AnswerType]}
    )
    asked = fields.String(load_default="returnee")
    indicator = fields.String(load_default="", allow_none=True)


class PlanSchema(Schema):
    profile = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    voice_rule = fields.String(
        load_default=None,
        metadata={
            "description": "whom the plan asks by phone call: asked_for_calls (who chose calls "
            "at the desk), mayan_language (and Mayan-language speakers whose calls are "
            "welcome), calls_welcome (everyone whose calls are welcome); omitted: unchanged"
        },
    )
    updated_at = fields.DateTime(dump_only=True)
    steps = fields.List(
        fields.Nested(PlanStepSchema),
        required=True,
        validate=validate.Length(min=1, error=_("A plan needs at least one step.")),
    )
