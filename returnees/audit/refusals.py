"""Every refused access is written to the audit trail: who, which route, which record.

A 403 (a role that may not, a record outside the actor's scope) and a refusal answered 404 so
as not to tell that the record exists (`HiddenOutOfScope`) are both written, in a transaction
of their own: the request's own is rolled back, and the refusal must outlast it."""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask_login import current_user

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.core.db import separate_unit_of_work
from returnees.core.web import REFUSED_RECORD

# What a route's argument names, as the audit trail names records.
ARGUMENT_RECORDS = {
    "returnee_id": "returnee",
    "arrival_id": "arrival",
    "referral_id": "referral",
    "task_id": "task",
    "transfer_id": "transfer",
    "manifest_id": "manifest",
    "user_id": "user",
    "template_id": "message_template",
    "organisation_id": "partner_organisation",
    "filter_id": "saved_filter",
    "inbound_id": "inbound_message",
    "code": "centre",
}


def record_refusal(response: Response) -> Response:
    """After a refused request by a signed-in user, write who was refused what."""
    refused = g.get(REFUSED_RECORD)
    if response.status_code != 403 and refused is None:
        return response
    if not current_user.is_authenticated or request.url_rule is None:
        return response
    from returnees.auth.access import current_actor

    record_type, record_id = refused or _named_record()
    with separate_unit_of_work() as session:
        record_event(
            session,
            current_actor(),
            AuditAction.DENIED,
            record_type,
            record_id,
            route=f"{request.method} {request.url_rule.rule}",
            status=response.status_code,
        )
    return response


def _named_record() -> tuple[str, str]:
    """The first record the route names, by its argument."""
    for argument, value in (request.view_args or {}).items():
        if argument in ARGUMENT_RECORDS:
            return ARGUMENT_RECORDS[argument], str(value)
    return "", ""


def init_app(app: Flask) -> None:
    app.after_request(record_refusal)
