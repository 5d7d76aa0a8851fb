from __future__ import annotations

from zoneinfo import available_timezones

from marshmallow import Schema, fields, validate

from returnees.centres.models import CentreKind, Country
from returnees.centres.services import CODE_PATTERN


class CentreSchema(Schema):
    # Checked by the service (its message names the field); documented with the same pattern.
    code = fields.String(required=True, metadata={"pattern": CODE_PATTERN.pattern})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(
        required=True, validate=validate.OneOf([kind.value for kind in CentreKind])
    )
    country = fields.String(
        required=True, validate=validate.OneOf([country.value for country in Country])
    )
    # "" (the country's) or a zone of the tz database the service checks against.
    timezone = fields.String(
        load_default="", metadata={"enum": ["", *sorted(available_timezones())]}
    )
    region = fields.String(load_default="")
    municipality = fields.String(load_default="")


class CoverageSchema(Schema):
    municipalities = fields.List(
        fields.String(validate=validate.Length(max=7)),
        required=True,
        metadata={"example": ["GT-1201", "GT-1217"]},
    )
    profiles = fields.List(
        fields.String(validate=validate.OneOf(["child", "adult"])),
        metadata={"description": "left out: both"},
    )
