"""The OpenAPI document of /api/v1, built from the routes and their marshmallow schemas."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response, current_app, jsonify
from marshmallow import Schema, fields

from returnees.api import bp

PATH_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
LISTS = {
    "api.users",
    "api.centres",
    "api.audit",
    "api.returnees",
    "api.returnee_referrals",
    "api.partners",
    "api.queue",
    "api.plans",
    "api.assign",
    "api.places",
    "api.cases",
    "api.transfers",
}


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.List(fields.String())
    )
    candidates = fields.List(fields.Dict())


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


def _schemas() -> dict[str, tuple[type[Schema] | None, type[Schema] | None, int]]:
    """endpoint -> (request body schema, response schema, success status)."""
    from returnees.audit.schemas import AuditEntrySchema
    from returnees.auth.schemas import UserSchema
    from returnees.casework import schemas as casework
    from returnees.centres.schemas import CentreSchema, CoverageSchema
    from returnees.followups.schemas import PlanSchema
    from returnees.people.schemas import ReturneeSchema, ReturneeSummarySchema
    from returnees.places.schemas import PlaceSchema
    from returnees.reception import schemas as reception
    from returnees.referrals import schemas as referrals
    from returnees.rights import schemas as rights
    from returnees.risk import schemas as risk

    return {
        "api.returnee_referrals": (None, referrals.ReferralSchema, 200),
        "api.add_referral": (referrals.ReferralCreateSchema, referrals.ReferralSchema, 201),
        "api.referral": (None, referrals.ReferralSchema, 200),
        "api.referral_status": (referrals.StatusChangeSchema, referrals.ReferralSchema, 200),
        "api.partners": (None, referrals.PartnerOutSchema, 200),
        "api.add_partner": (referrals.PartnerSchema, referrals.PartnerOutSchema, 201),
        "api.queue": (None, casework.QueueItemSchema, 200),
        "api.risk_rules": (None, risk.RulesSchema, 200),
        "api.change_risk_rules": (risk.RulesChangeSchema, risk.RulesSchema, 200),
        "api.returnee_risk": (None, risk.RiskSchema, 200),
        "api.set_risk_level": (risk.SetLevelSchema, risk.RiskSchema, 200),
        "api.add_contact": (casework.ContactSchema, None, 201),
        "api.reschedule": (casework.RescheduleSchema, casework.TaskSchema, 200),
        "api.close": (casework.CloseTaskSchema, casework.TaskSchema, 200),
        "api.assign": (casework.AssignSchema, casework.CaseSchema, 200),
        "api.close_returnee_case": (casework.CloseCaseSchema, casework.CaseSchema, 200),
        "api.approve": (None, casework.CaseSchema, 200),
        "api.plans": (None, PlanSchema, 200),
        "api.plan": (None, PlanSchema, 200),
        "api.replace_plan": (PlanSchema, PlanSchema, 200),
        "api.me": (None, UserSchema, 200),
        "api.users": (None, UserSchema, 200),
        "api.centres": (None, CentreSchema, 200),
        "api.centre": (None, CentreSchema, 200),
        "api.add_centre": (CentreSchema, CentreSchema, 201),
        "api.audit": (None, AuditEntrySchema, 200),
        "api.returnee_audit": (None, AuditEntrySchema, 200),
        "api.returnees": (None, ReturneeSummarySchema, 200),
        "api.returnee": (None, ReturneeSchema, 200),
        "api.create_returnee": (reception.ReturneeCreateSchema, ReturneeSchema, 201),
        "api.patch_returnee": (reception.ReturneePatchSchema, ReturneeSchema, 200),
        "api.add_arrival": (reception.NewArrivalSchema, ReturneeSchema, 201),
        "api.handover": (reception.HandoverSchema, ReturneeSchema, 200),
        "api.manifests": (reception.ManifestFormSchema, reception.ManifestResultSchema, 200),
        "api.discard_list": (None, None, 204),
        "api.places": (None, PlaceSchema, 200),
        "api.coverage": (None, CoverageSchema, 200),
        "api.change_coverage": (CoverageSchema, CoverageSchema, 200),
        "api.cases": (None, casework.OfficeCaseSchema, 200),
        "api.route": (casework.RouteSchema, casework.OfficeCaseSchema, 200),
        "api.propose": (casework.TransferCreateSchema, casework.TransferSchema, 201),
        "api.transfers": (None, casework.TransferListingSchema, 200),
        "api.accept": (None, casework.TransferSchema, 200),
        "api.decline": (casework.DeclineSchema, casework.TransferSchema, 200),
        "api.erasure_request": (rights.ErasureRequestSchema, rights.ErasureSchema, 201),
        "api.erasure_approve": (None, rights.ErasureSchema, 200),
        "api.erasure_refuse": (None, rights.ErasureSchema, 200),
    }


def build_spec(app: Flask) -> dict:
    spec = APISpec(
        title="returnees API", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()]
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    known = _schemas()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi":
            continue
        path = PATH_PARAMETER.sub(r"{\2}", rule.rule)
        operations = {
            method.lower(): _operation(app, rule, known.get(rule.endpoint))
            for method in rule.methods - {"HEAD", "OPTIONS"}
        }
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(app: Flask, rule, schemas) -> dict:
    view = app.view_functions[rule.endpoint]
    summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
    body, response, status = schemas or (None, None, 200)
    operation: dict = {
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": [
            {
                "in": "path",
                "name": name,
                "required": True,
                "schema": {"type": "integer" if kind == "int" else "string"},
            }
            for kind, name in PATH_PARAMETER.findall(rule.rule)
        ],
        "responses": {
            str(status): {"description": "OK"},
            "default": {
                "description": "Error",
                "content": {"application/json": {"schema": "Error"}},
            },
        },
    }
    if response is not None:
        schema = response(many=True) if rule.endpoint in LISTS else response
        operation["responses"][str(status)]["content"] = {"application/json": {"schema": schema}}
    if body is not None:
        kind = "multipart/form-data" if rule.endpoint == "api.manifests" else "application/json"
        operation["requestBody"] = {"required": True, "content": {kind: {"schema": body}}}
    return operation


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document of this API."""
    return jsonify(build_spec(current_app))
