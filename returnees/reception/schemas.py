from __future__ import annotations

from flask_babel import lazy_gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from returnees.core.bounds import MAX_ID, record_id
from returnees.people.identity import DocumentType
from returnees.people.models import LANGUAGES, Channel, PhoneOwner, Sex
from returnees.reception.models import GuardianRelationship, ReturnType, TravelMode


def _values(kind) -> list[str]:
    return [member.value for member in kind]


class DocumentSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(_values(DocumentType)))
    number = fields.String(required=True)


class PhoneSchema(Schema):
    number = fields.String(required=True)
    owner = fields.String(load_default="self", validate=validate.OneOf(_values(PhoneOwner)))
    channel = fields.String(load_default="sms", validate=validate.OneOf(_values(Channel)))
    consent = fields.Boolean(load_default=False)
    calls_welcome = fields.Boolean(
        load_default=False,
        metadata={"description": "calls are welcome (a plan may ask by phone call); voice is"},
    )


class HomeSchema(Schema):
    """Where the person will live: a place's code, from GET /api/v1/places."""

    municipality = fields.String(required=True, metadata={"example": "GT-1201"})


class ArrivalSchema(Schema):
    centre = fields.String(required=True)
    arrived_at = fields.AwareDateTime(load_default=None)
    mode = fields.String(load_default="flight", validate=validate.OneOf(_values(TravelMode)))
    deporting_country = fields.String(load_default="US", validate=validate.Length(equal=2))
    reference = fields.String(load_default="")
    return_type = fields.String(
        load_default=ReturnType.DEPORTED.value,
        validate=validate.OneOf(_values(ReturnType)),
        metadata={"description": "deported (forced), assisted (a programme), voluntary"},
    )


class MatchField(fields.Field):
    """'new', or the id of the earlier record this person is."""

    def _deserialize(self, value, attr, data, **kwargs):
        is_id = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
        if value == "new" or is_id:
            return value
        raise ValidationError('Use "new" or the id of the earlier record.')


class ReturneeCreateSchema(Schema):
    given_names = fields.String(required=True)
    family_names = fields.String(required=True)
    birth_date = fields.Date(load_default=None, allow_none=True)
    estimated_age = fields.Integer(load_default=None, allow_none=True)
    sex = fields.String(required=True, validate=validate.OneOf(_values(Sex)))
    nationality = fields.String(required=True, validate=validate.OneOf(["GT", "HN", "SV"]))
    document = fields.Nested(DocumentSchema, load_default=None, allow_none=True)
    phones = fields.List(fields.Nested(PhoneSchema), load_default=list)
    # Checked by the intake (its message names the field); documented with the same choices.
    language = fields.String(load_default="es", metadata={"enum": sorted(LANGUAGES)})
    unaccompanied = fields.Boolean(load_default=False)
    municipality = fields.String(load_default="", metadata={"description": "as typed; not read"})
    home = fields.Nested(HomeSchema, load_default=None, allow_none=True)
    arrival = fields.Nested(ArrivalSchema, required=True)
    match = MatchField(
        load_default=None,
        metadata={
            "oneOf": [
                {"type": "string", "enum": ["new"]},
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            ],
            "description": "new, or the id of the earlier record this person is",
        },
    )
    # The id of a person who arrived with this one (same centre, within a day): one household.
    household_with = record_id(load_default=None, allow_none=True)


class ReturneePatchSchema(Schema):
    given_names = fields.String()
    family_names = fields.String()
    birth_date = fields.Date(allow_none=True)
    estimated_age = fields.Integer(allow_none=True)
    sex = fields.String(validate=validate.OneOf(_values(Sex)))
    document = fields.Nested(DocumentSchema, allow_none=True)
    phones = fields.List(fields.Nested(PhoneSchema))
    language = fields.String(metadata={"enum": sorted(LANGUAGES)})
    municipality = fields.String()
    home = fields.Nested(HomeSchema, allow_none=True)


class NewArrivalSchema(Schema):
    arrival = fields.Nested(ArrivalSchema, required=True)
    unaccompanied = fields.Boolean(load_default=False)
    phones = fields.List(fields.Nested(PhoneSchema), load_default=list)
    household_with = record_id(load_default=None, allow_none=True)


class HandoverSchema(Schema):
    arrival_id = record_id(load_default=None)
    guardian_name = fields.String(required=True)
    relationship = fields.String(
        required=True, validate=validate.OneOf(_values(GuardianRelationship))
    )
    document = fields.String(load_default="")
    phone = fields.String(load_default="")
    document_checked = fields.Boolean(load_default=False)
    # The guardian agrees to be asked about the child on `phone`.
    phone_consent = fields.Boolean(load_default=False)


class ManifestFormSchema(Schema):
    file = fields.Raw(
        required=True,
        error_messages={"required": [_("Attach the list.")]},  # a list: kept lazy
        metadata={"type": "string", "format": "binary", "description": "CSV or XLSX"},
    )
    centre = fields.String(required=True)
    reference = fields.String(required=True)
    mode = fields.String(load_default="flight")
    deporting_country = fields.String(load_default="US")
    expected_at = fields.AwareDateTime(required=True)
    confirm = fields.Boolean(load_default=False, data_key="import")


class PassengerRowSchema(Schema):
    id = fields.Integer()
    row_number = fields.Integer()
    status = fields.Function(lambda row: row.status.value)
    values = fields.Dict()
    problems = fields.Dict()
    earlier_record_ids = fields.List(fields.Integer())
    earlier_match_reasons = fields.List(fields.String())


class ManifestResultSchema(Schema):
    manifest_id = fields.Integer()
    added = fields.Integer()
    duplicates = fields.Integer()
    needs_fixing = fields.Integer()
    imported = fields.Integer()
    rows = fields.Nested(PassengerRowSchema, many=True)
