from __future__ import annotations

from marshmallow import Schema, fields


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.Function(lambda user: user.role.value)
    centre = fields.Function(lambda user: user.centre.code)
    country = fields.Function(lambda user: user.centre.country.value)
    locale = fields.String()
    is_enabled = fields.Boolean()
