"""The referrals endpoints of /api/v1."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import lazy_gettext as _
from marshmallow import Schema, ValidationError

from returnees.api import bp, load_body, load_query
from returnees.auth.access import current_actor, requires_role
from returnees.core.db import get_session
from returnees.core.errors import InvalidInput
from returnees.referrals.schemas import (
    PartnerOutSchema,
    PartnerQuerySchema,
    PartnerSchema,
    ReasonSchema,
    ReferralCreateSchema,
    ReferralSchema,
    RestrictedReferralSchema,
    StatusChangeSchema,
)
from returnees.referrals.services import (
    PARTNER_MANAGERS,
    PARTNER_READERS,
    REFERRAL_ROLES,
    PartnerEntry,
    ReferralListing,
    change_referral_status,
    create_partner,
    list_partners,
    list_referrals,
    make_referral,
    view_referral,
)


def _load_query(schema: Schema, values: object) -> dict:
    try:
        return schema.load(values)
    except ValidationError as error:
        raise InvalidInput(_("Some parameters are not valid."), error.messages) from error


def _listing(listing: ReferralListing) -> dict:
    if listing.restricted:
        return RestrictedReferralSchema().dump(listing)
    return ReferralSchema(exclude=("changes",)).dump(listing.referral)


@bp.get("/returnees/<int:returnee_id>/referrals")
@requires_role(*REFERRAL_ROLES)
def returnee_referrals(returnee_id: int) -> Response:
    """A person's referrals, newest first; a protection referral only as a restricted entry."""
    found = list_referrals(get_session(), current_actor(), returnee_id)
    return jsonify([_listing(listing) for listing in found])


@bp.post("/returnees/<int:returnee_id>/referrals")
@requires_role(*REFERRAL_ROLES)
def add_referral(returnee_id: int) -> tuple[Response, int]:
    """Refer a person to a partner's service; `has_consent` must be true."""
    body = load_body(ReferralCreateSchema())
    referral = make_referral(get_session(), current_actor(), returnee_id, **body)
    return jsonify(ReferralSchema().dump(referral)), 201


@bp.get("/referrals/<int:referral_id>")
@requires_role(*REFERRAL_ROLES)
def referral(referral_id: int) -> Response:
    """One referral with its history; a protection referral needs `reason` (query or body),
    written to the audit log each time."""
    body = request.get_json(silent=True) if request.content_length else None
    given = body if isinstance(body, dict) and "reason" in body else request.args
    reason = _load_query(ReasonSchema(), {"reason": given.get("reason", "")})["reason"]
    found = view_referral(get_session(), current_actor(), referral_id, reason)
    return jsonify(ReferralSchema().dump(found))


@bp.post("/referrals/<int:referral_id>/status")
@requires_role(*REFERRAL_ROLES)
def referral_status(referral_id: int) -> Response:
    """Move a referral: made -> accepted, declined or withdrawn; accepted -> attended, no_show
    or withdrawn. A protection referral needs `reason`."""
    body = load_body(StatusChangeSchema())
    changed = change_referral_status(get_session(), current_actor(), referral_id, **body)
    return jsonify(ReferralSchema().dump(changed))


@bp.get("/partners")
@requires_role(*PARTNER_READERS)
def partners() -> Response:
    """Partner organisations of the token's country, by `service` and `region`."""
    query = load_query(PartnerQuerySchema())
    found = list_partners(get_session(), current_actor(), **query)
    return jsonify(PartnerOutSchema(many=True).dump(found))


@bp.post("/partners")
@requires_role(*PARTNER_MANAGERS)
def add_partner() -> tuple[Response, int]:
    """Add a partner organisation with the services it offers."""
    body = load_body(PartnerSchema())
    entry = PartnerEntry(**(body | {"services": tuple(body["services"])}))
    created = create_partner(get_session(), current_actor(), entry)
    return jsonify(PartnerOutSchema().dump(created)), 201
