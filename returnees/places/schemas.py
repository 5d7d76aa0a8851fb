from __future__ import annotations

from marshmallow import Schema, fields


class PlaceSchema(Schema):
    code = fields.String(metadata={"example": "GT-1201"})
    municipality = fields.String()
    department = fields.String()
    country = fields.String()
    district = fields.String(metadata={"description": "El Salvador: the district people name"})
