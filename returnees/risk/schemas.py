from __future__ import annotations

from marshmallow import Schema, fields

from returnees.risk.models import RiskLevel
from returnees.risk.rules import DESCRIPTIONS, NAMES, RULES


class RulesSchema(Schema):
    """The rules in force: each rule with its plain-language description and its weight."""

    version = fields.Integer()
    weights = fields.Dict(keys=fields.String(), values=fields.Integer())
    medium_from = fields.Integer()
    high_from = fields.Integer()
    note = fields.String()
    created_by = fields.String()
    created_at = fields.DateTime()
    rules = fields.Function(
        lambda rules: [
            {
                "key": key,
                "name": str(NAMES[key]),
                "description": str(DESCRIPTIONS[key]),
                "weight": int(rules.weights.get(key) or 0),
            }
            for key in RULES
        ]
    )


# What the service accepts (risk.services._check_rules); null keeps the value in force.
_WEIGHT = {"type": "integer", "minimum": 0, "maximum": 100, "nullable": True}
_THRESHOLD = {"type": "integer", "minimum": 1, "maximum": 100, "nullable": True}


class RulesChangeSchema(Schema):
    """A change of the rules; what is left out keeps its value. The service checks the values,
    so that a bad one gets the same message here as on the page."""

    weights = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        metadata={
            # The rules' own names; the service refuses another, naming it.
            "properties": {name: _WEIGHT for name in RULES},
            "additionalProperties": False,
        },
    )
    medium_from = fields.Raw(load_default=None, allow_none=True, metadata=_THRESHOLD)
    high_from = fields.Raw(load_default=None, allow_none=True, metadata=_THRESHOLD)
    note = fields.String(load_default="", metadata={"maxLength": 500})


class ReasonSchema(Schema):
    rule = fields.String()
    points = fields.Integer()
    evidence = fields.Dict()
    text = fields.String()


class LevelChangeSchema(Schema):
    from_level = fields.String(allow_none=True)
    to_level = fields.String()
    score = fields.Integer()
    reasons = fields.List(fields.Nested(ReasonSchema))
    rules_version = fields.Integer()
    changed_by = fields.String()
    changed_at = fields.DateTime()


class RiskSchema(Schema):
    """A person's flag: the level in force, the score and each reason with its evidence."""

    returnee_id = fields.Integer()
    level = fields.String()
    computed_level = fields.String()
    score = fields.Integer()
    reasons = fields.List(fields.Nested(ReasonSchema))
    set_level = fields.String(allow_none=True)
    set_reason = fields.String()
    set_by = fields.String()
    rules_version = fields.Integer()
    computed_at = fields.DateTime()
    changes = fields.List(fields.Nested(LevelChangeSchema))


class SetLevelSchema(Schema):
    # Checked by the service (its message names the field); documented with the same choices.
    level = fields.String(required=True, metadata={"enum": [level.value for level in RiskLevel]})
    reason = fields.String(required=True)
