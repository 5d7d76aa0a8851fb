from __future__ import annotations

from marshmallow import Schema, fields, validate

from returnees.centres.models import CentreKind, Country


class CentreSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(
        required=True, validate=validate.OneOf([kind.value for kind in CentreKind])
    )
    country = fields.String(
        required=True, validate=validate.OneOf([country.value for country in Country])
    )
    timezone = fields.String(load_default="")
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
