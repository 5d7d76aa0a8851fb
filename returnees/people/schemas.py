from __future__ import annotations

from marshmallow import Schema, fields, validate

from returnees.people.services import MAX_PAGE


class SearchQuerySchema(Schema):
    q = fields.String(load_default="", metadata={"description": "name, document or phone"})
    centre = fields.String(load_default="", metadata={"description": "a centre's code"})
    arrived_from = fields.AwareDateTime(load_default=None)
    arrived_to = fields.AwareDateTime(load_default=None)


class DocumentOutSchema(Schema):
    type = fields.Function(lambda person: person.document_type.value)
    number = fields.String(attribute="document_number")


class PhoneOutSchema(Schema):
    number = fields.String()
    owner = fields.Function(lambda phone: phone.owner.value)
    channel = fields.Function(lambda phone: phone.channel.value)
    consent = fields.Boolean(attribute="has_consent")
    calls_welcome = fields.Boolean()
    is_usable = fields.Boolean()


class CustodyOutSchema(Schema):
    status = fields.Function(lambda custody: custody.status.value)
    shelter = fields.Function(lambda custody: custody.shelter.code if custody.shelter else None)
    guardian_name = fields.String()
    guardian_relationship = fields.Function(
        lambda custody: (
            custody.guardian_relationship.value if custody.guardian_relationship else None
        )
    )
    is_guardian_verified = fields.Boolean()
    handed_over_at = fields.DateTime(allow_none=True)


class ArrivalOutSchema(Schema):
    id = fields.Integer()
    centre = fields.Function(lambda arrival: arrival.centre.code)
    arrived_at = fields.DateTime()
    mode = fields.Function(lambda arrival: arrival.mode.value)
    deporting_country = fields.String()
    return_type = fields.Function(lambda arrival: arrival.return_type.value)
    reference = fields.String()
    unaccompanied = fields.Boolean(attribute="is_unaccompanied")
    custody = fields.Nested(CustodyOutSchema, allow_none=True)


class ReturneeSummarySchema(Schema):
    id = fields.Integer()
    given_names = fields.String()
    family_names = fields.String()
    birth_date = fields.Date(allow_none=True)
    estimated_age = fields.Integer(allow_none=True)
    sex = fields.Function(lambda person: person.sex.value)
    nationality = fields.Function(lambda person: person.nationality.value)
    document = fields.Method("dump_document")
    centre = fields.Function(lambda person: person.centre.code)
    arrivals_count = fields.Integer()
    returns_count = fields.Integer()

    def dump_document(self, person) -> dict | None:
        return DocumentOutSchema().dump(person) if person.document_number else None


class ReturneeSchema(ReturneeSummarySchema):
    language = fields.String()
    municipality = fields.String(metadata={"description": "as typed before homes had codes"})
    home = fields.Method("dump_home", metadata={"description": "null: unknown"})
    office = fields.Function(
        lambda person: person.office.code if person.office else None,
        metadata={"description": "the office that follows the person up; null: to route"},
    )
    phones = fields.Nested(PhoneOutSchema, many=True)
    arrivals = fields.Method("dump_arrivals")

    def dump_home(self, person) -> dict | None:
        home = person.home
        if home is None:
            return None
        return {key: value for key, value in home.as_json().items() if key != "country"}

    def dump_arrivals(self, person) -> list[dict]:
        return ArrivalOutSchema(many=True).dump(self.context_arrivals(person))

    def context_arrivals(self, person) -> list:
        from returnees.core.db import get_session
        from returnees.reception.services import arrivals_of

        return arrivals_of(get_session(), person)


class CandidateSchema(ReturneeSummarySchema):
    reasons = fields.List(fields.String())
    arrivals = fields.List(fields.Dict())


class PageQuerySchema(Schema):
    """?page= of a list a hundred to a page (who looked at a person)."""

    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=MAX_PAGE), strict=False
    )
