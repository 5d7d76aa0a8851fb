"""The OpenAPI document of /api/v1, built from the routes and their marshmallow schemas."""

from __future__ import annotations

import re
from dataclasses import dataclass

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response, current_app, jsonify
from marshmallow import Schema, fields

from returnees.api import bp
from returnees.core.bounds import EARLIEST_DATE, LATEST_DATE, MAX_ID

PATH_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
# What every request is held to, whatever its schema (core.web, api._load): no text holds NUL,
# and a date or time lies in the calendar's years (whole centuries: 1900-2199 is "^(19|20|21)").
NO_NUL = "^[^\\u0000]*$"
CENTURIES = range(EARLIEST_DATE.year // 100, LATEST_DATE.year // 100 + 1)
IN_CALENDAR = f"^({'|'.join(map(str, CENTURIES))})[0-9]{{2}}-"
LISTS = {
    "api.users",
    "api.returnee_audit",
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
    "api.loads",
    "api.duplicates",
}


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.List(fields.String())
    )
    candidates = fields.List(fields.Dict())
    merged_into = fields.Integer(
        metadata={"description": "the record a merged one was merged into (301, 409)"}
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


@dataclass(frozen=True)
class Contract:
    """What an operation reads (query string, body) and answers, by marshmallow schema."""

    response: type[Schema] | None = None
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    statuses: tuple[int, ...] = (200,)


def _contracts() -> dict[str, Contract]:
    """endpoint -> its contract: the schemas the view itself loads and dumps with."""
    from returnees.audit.schemas import AuditEntrySchema, AuditQuerySchema
    from returnees.auth.schemas import UserSchema
    from returnees.casework import schemas as casework
    from returnees.centres.schemas import CentreSchema, CoverageSchema
    from returnees.duplicates import schemas as duplicates
    from returnees.followups.schemas import PlanSchema
    from returnees.people.schemas import (
        PageQuerySchema,
        ReturneeSchema,
        ReturneeSummarySchema,
        SearchQuerySchema,
    )
    from returnees.places.schemas import PlaceQuerySchema, PlaceSchema
    from returnees.reception import schemas as reception
    from returnees.referrals import schemas as referrals
    from returnees.reports import schemas as reports
    from returnees.rights import schemas as rights
    from returnees.risk import schemas as risk
    from returnees.surveys.schemas import InstrumentSchema

    created = (201,)
    return {
        "api.returnee_referrals": Contract(referrals.ReferralSchema),
        "api.add_referral": Contract(
            referrals.ReferralSchema, referrals.ReferralCreateSchema, statuses=created
        ),
        "api.referral": Contract(referrals.ReferralSchema, query=referrals.ReasonSchema),
        "api.referral_status": Contract(referrals.ReferralSchema, referrals.StatusChangeSchema),
        "api.partners": Contract(referrals.PartnerOutSchema, query=referrals.PartnerQuerySchema),
        "api.add_partner": Contract(
            referrals.PartnerOutSchema, referrals.PartnerSchema, statuses=created
        ),
        "api.queue": Contract(casework.QueueItemSchema, query=casework.QueueQuerySchema),
        "api.risk_rules": Contract(risk.RulesSchema),
        "api.change_risk_rules": Contract(risk.RulesSchema, risk.RulesChangeSchema),
        "api.returnee_risk": Contract(risk.RiskSchema),
        "api.set_risk_level": Contract(risk.RiskSchema, risk.SetLevelSchema),
        "api.add_contact": Contract(
            casework.ContactOutSchema, casework.ContactSchema, statuses=created
        ),
        "api.add_contact_with_person": Contract(
            casework.ContactOutSchema, casework.ContactSchema, statuses=created
        ),
        "api.reschedule": Contract(casework.TaskSchema, casework.RescheduleSchema),
        "api.acknowledge": Contract(casework.TaskSchema),
        "api.close": Contract(casework.TaskSchema, casework.CloseTaskSchema),
        "api.assign": Contract(casework.CaseSchema, casework.AssignSchema),
        "api.loads": Contract(casework.CaseloadSchema),
        "api.close_returnee_case": Contract(casework.CaseSchema, casework.CloseCaseSchema),
        "api.approve": Contract(casework.CaseSchema, casework.ApproveSchema),
        "api.plans": Contract(PlanSchema),
        "api.plan": Contract(PlanSchema),
        "api.replace_plan": Contract(PlanSchema, PlanSchema),
        "api.me": Contract(UserSchema),
        "api.users": Contract(UserSchema),
        "api.centres": Contract(CentreSchema),
        "api.centre": Contract(CentreSchema),
        "api.add_centre": Contract(CentreSchema, CentreSchema, statuses=created),
        "api.audit": Contract(AuditEntrySchema, query=AuditQuerySchema),
        "api.returnees": Contract(ReturneeSummarySchema, query=SearchQuerySchema),
        "api.returnee": Contract(ReturneeSchema),
        "api.create_returnee": Contract(
            ReturneeSchema, reception.ReturneeCreateSchema, statuses=created
        ),
        "api.patch_returnee": Contract(ReturneeSchema, reception.ReturneePatchSchema),
        "api.add_arrival": Contract(ReturneeSchema, reception.NewArrivalSchema, statuses=created),
        "api.handover": Contract(ReturneeSchema, reception.HandoverSchema),
        "api.manifests": Contract(
            reception.ManifestResultSchema, reception.ManifestFormSchema, statuses=(200, 201)
        ),
        "api.places": Contract(PlaceSchema, query=PlaceQuerySchema),
        "api.coverage": Contract(CoverageSchema),
        "api.change_coverage": Contract(CoverageSchema, CoverageSchema),
        "api.cases": Contract(casework.OfficeCaseSchema, query=casework.OfficeCasesQuerySchema),
        "api.route": Contract(casework.OfficeCaseSchema, casework.RouteSchema),
        "api.propose": Contract(
            casework.TransferSchema, casework.TransferCreateSchema, statuses=created
        ),
        "api.transfers": Contract(
            casework.TransferListingSchema, query=casework.TransferQuerySchema
        ),
        "api.accept": Contract(casework.TransferSchema),
        "api.decline": Contract(casework.TransferSchema, casework.DeclineSchema),
        "api.returnee_audit": Contract(AuditEntrySchema, query=PageQuerySchema),
        "api.discard_list": Contract(statuses=(204,)),
        "api.erasure_request": Contract(
            rights.ErasureSchema, rights.ErasureRequestSchema, statuses=created
        ),
        "api.erasure_approve": Contract(rights.ErasureSchema),
        "api.erasure_refuse": Contract(rights.ErasureSchema),
        "api.merge_returnee": Contract(duplicates.MergeSchema, duplicates.MergeRequestSchema),
        "api.duplicates": Contract(
            duplicates.DuplicatePairSchema, query=duplicates.DuplicateQuerySchema
        ),
        "api.outcomes": Contract(reports.OutcomeReportSchema, query=reports.OutcomeQuerySchema),
        "api.export": Contract(query=reports.ExportQuerySchema),
        "api.replace_survey_instrument": Contract(body=InstrumentSchema),
        "api.monthly_outcomes": Contract(
            reports.OutcomeReportSchema, query=reports.TrendQuerySchema
        ),
    }


def _app_wide_rules(converter, field: fields.Field, ret: dict, **kwargs) -> dict:
    """The apispec attribute function that states, on every string field of every schema, the
    rules core.web and api._load apply to every request: a date or time in the calendar's
    years, and no NUL in a text. A field's own pattern (a validator's) is left as it is."""
    if isinstance(field, fields.Dict) and "properties" in field.metadata:
        return {"additionalProperties": False}  # a dict that names its keys takes no other
    if "anyOf" in ret:  # apispec's null branch of a nullable Nested: null, not any object
        null = {"type": "object", "nullable": True}
        return {
            "anyOf": [dict(null, enum=[None]) if kind == null else kind for kind in ret["anyOf"]]
        }
    if "pattern" in ret or "enum" in ret or ret.get("format") == "binary" or field.dump_only:
        return {}
    if isinstance(field, fields.Date | fields.DateTime):
        return {"pattern": IN_CALENDAR}
    kind = ret.get("type")
    if kind == "string" or (isinstance(kind, list) and "string" in kind):
        return {"pattern": NO_NUL}
    return {}


def build_spec(app: Flask) -> dict:
    """The document: every /api/v1 rule, its path, query and body parameters and its answers
    generated from the marshmallow schemas the views load and dump with, so the document
    states the validators' own constraints (required fields, choices, lengths, ranges)."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title="returnees API", version="1", openapi_version="3.0.3", plugins=[plugin])
    plugin.converter.add_attribute_function(_app_wide_rules)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    contracts = _contracts()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi":
            continue
        path = PATH_PARAMETER.sub(r"{\2}", rule.rule)
        contract = contracts.get(rule.endpoint, Contract())
        operations = {
            method.lower(): _operation(app, rule, contract)
            for method in rule.methods - {"HEAD", "OPTIONS"}
        }
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _path_parameter(kind: str, name: str) -> dict:
    """A path parameter; an <int:...> id is a database id, so one past MAX_ID finds nothing."""
    schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID} if kind == "int" else {}
    return {"in": "path", "name": name, "required": True, "schema": schema or {"type": "string"}}


def _operation(app: Flask, rule, contract: Contract) -> dict:
    view = app.view_functions[rule.endpoint]
    summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
    parameters: list = [
        _path_parameter(kind, name) for kind, name in PATH_PARAMETER.findall(rule.rule)
    ]
    if contract.query is not None:
        parameters.append({"in": "query", "schema": contract.query})
    responses: dict = {
        "default": {"description": "Error", "content": {"application/json": {"schema": "Error"}}}
    }
    for status in contract.statuses:
        responses[str(status)] = {"description": "OK"}
        if contract.response is not None:
            many = rule.endpoint in LISTS
            content = {"schema": contract.response(many=True) if many else contract.response}
            responses[str(status)]["content"] = {"application/json": content}
    operation: dict = {
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": parameters,
        "responses": responses,
    }
    if contract.body is not None:
        kind = "multipart/form-data" if rule.endpoint == "api.manifests" else "application/json"
        operation["requestBody"] = {"required": True, "content": {kind: {"schema": contract.body}}}
    return operation


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document of this API."""
    return jsonify(build_spec(current_app))
