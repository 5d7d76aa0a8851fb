from __future__ import annotations

from marshmallow import Schema, fields, validate

from returnees.centres.models import Country


class PlaceQuerySchema(Schema):
    q = fields.String(load_default="", metadata={"description": "name, department or code"})
    country = fields.String(
        load_default="", validate=validate.OneOf(["", *(country.value for country in Country)])
    )


class PlaceSchema(Schema):
    code = fields.String(metadata={"example": "GT-1201"})
    municipality = fields.String()
    department = fields.String()
    country = fields.String()
    district = fields.String(metadata={"description": "El Salvador: the district people name"})
