"""The referrals API's bodies, in and out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from returnees.centres.models import Country
from returnees.core.bounds import record_id
from returnees.referrals.models import OrganisationKind, ReferralStatus, ServiceKind
from returnees.referrals.services import changes_of, next_statuses

SERVICES = [kind.value for kind in ServiceKind]


class PartnerServiceOutSchema(Schema):
    kind = fields.Function(lambda service: service.kind.value)


class PartnerSchema(Schema):
    """A partner organisation: in (POST) without id and is_active, out with them."""

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(
        required=True, validate=validate.OneOf([kind.value for kind in OrganisationKind])
    )
    country = fields.String(
        required=True, validate=validate.OneOf([country.value for country in Country])
    )
    region = fields.String(load_default="")
    municipality = fields.String(load_default="")
    phone = fields.String(load_default="")
    services = fields.List(
        fields.String(validate=validate.OneOf(SERVICES)),
        required=True,
        validate=validate.Length(min=1),
    )
    is_active = fields.Boolean(dump_only=True)


class PartnerOutSchema(PartnerSchema):
    kind = fields.Function(lambda organisation: organisation.kind.value)
    country = fields.Function(lambda organisation: organisation.country.value)
    services = fields.Function(
        lambda organisation: sorted(service.kind.value for service in organisation.services)
    )


class PartnerQuerySchema(Schema):
    service = fields.String(load_default="", validate=validate.OneOf(["", *SERVICES]))
    region = fields.String(load_default="")
    country = fields.String(
        load_default="", validate=validate.OneOf(["", *(country.value for country in Country)])
    )
    include_inactive = fields.Boolean(load_default=False)


class OrganisationRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String()
    region = fields.String()
    municipality = fields.String()


class ReferralChangeSchema(Schema):
    from_status = fields.Function(
        lambda change: change.from_status.value if change.from_status else None
    )
    to_status = fields.Function(lambda change: change.to_status.value)
    note = fields.String()
    changed_by = fields.String()
    changed_at = fields.DateTime()


class ReferralCreateSchema(Schema):
    organisation_id = record_id(required=True)
    service = fields.String(required=True, validate=validate.OneOf(SERVICES))
    has_consent = fields.Boolean(required=True)
    is_protection = fields.Boolean(load_default=False)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class ReferralSchema(Schema):
    """A referral in full: only for those who may open it."""

    id = fields.Integer()
    returnee_id = fields.Integer()
    restricted = fields.Constant(False)
    is_protection = fields.Boolean()
    organisation = fields.Nested(OrganisationRefSchema)
    service = fields.Function(lambda referral: referral.service.value)
    status = fields.Function(lambda referral: referral.status.value)
    has_consent = fields.Boolean()
    note = fields.String()
    outcome = fields.String()
    made_by = fields.Function(lambda referral: referral.made_by.email)
    made_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    next_statuses = fields.Function(
        lambda referral: [status.value for status in next_statuses(referral)]
    )
    changes = fields.Method("dump_changes")

    def dump_changes(self, referral) -> list[dict]:
        from returnees.core.db import get_session

        return ReferralChangeSchema(many=True).dump(changes_of(get_session(), referral))


class RestrictedReferralSchema(Schema):
    """A protection referral in a list: that it exists, and whether the reader may open it
    (GET /referrals/<id> with a `reason`)."""

    id = fields.Integer()
    restricted = fields.Constant(True)
    made_at = fields.DateTime()
    can_open = fields.Boolean()


class ReasonSchema(Schema):
    """Why a protection referral is opened: required for one, written to the audit log."""

    reason = fields.String(load_default="", validate=validate.Length(max=300))


class StatusChangeSchema(Schema):
    status = fields.String(
        required=True, validate=validate.OneOf([status.value for status in ReferralStatus])
    )
    outcome = fields.String(load_default="", validate=validate.Length(max=2000))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    reason = fields.String(load_default="", validate=validate.Length(max=300))
