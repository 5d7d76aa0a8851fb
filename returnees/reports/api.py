"""The reports of /api/v1: a cohort's outcomes by group, and month by month."""

from __future__ import annotations

from flask import Response, jsonify

from returnees.api import bp, load_query
from returnees.auth.access import current_actor, requires_role
from returnees.core.db import get_session, statement_timeout
from returnees.reports.downloads import export_response
from returnees.reports.exports import PSEUDONYMISED_ROLES, ExportRequest, prepare_export
from returnees.reports.schemas import ExportQuerySchema, OutcomeQuerySchema, TrendQuerySchema
from returnees.reports.services import (
    REPORT_ROLES,
    OutcomeCriteria,
    monthly_outcome_table,
    outcome_table,
    parse_by,
)


@bp.get("/reports/outcomes")
@requires_role(*REPORT_ROLES)
def outcomes() -> Response:
    """Outcomes of the arrivals between two days, by the groups asked for; cells under 5 are
    "<5", and returns not yet measurable are "pending"."""
    query = load_query(OutcomeQuerySchema())
    criteria = OutcomeCriteria(
        first_day=query.pop("from_"),
        last_day=query.pop("to"),
        by=parse_by(query.pop("by")),
        **query,
    )
    return jsonify(outcome_table(get_session(), current_actor(), criteria).as_json())


@bp.get("/reports/outcomes/monthly")
@requires_role(*REPORT_ROLES)
def monthly_outcomes() -> Response:
    """The same figures month by month, for the twelve months ending with the month of `to`,
    with the survey's scores by month of arrival."""
    query = load_query(TrendQuerySchema())
    last_day = query.pop("to")
    criteria = OutcomeCriteria(first_day=last_day, last_day=last_day, **query)
    return jsonify(monthly_outcome_table(get_session(), current_actor(), criteria).as_json())


@bp.get("/exports/<what>")
@statement_timeout("BULK_EXPORT_STATEMENT_TIMEOUT_SECONDS")
@requires_role(*PSEUDONYMISED_ROLES)
def export(what: str) -> Response:
    """One row per record (cases, arrivals, check-ins, referrals, survey answers) or per group
    (outcomes), within the token user's scope and the period; identifying for supervisors and
    admins, pseudonymised (pseudonymised=true&recipient=...) for them and social workers."""
    query = load_query(ExportQuerySchema())
    file_format = query.pop("format")
    asked = export_request(what, query)
    return export_response(prepare_export(get_session(), current_actor(), asked), file_format)


def export_request(what: str, query: dict) -> ExportRequest:
    return ExportRequest(
        what=what,
        pseudonymised=query["pseudonymised"],
        recipient=query["recipient"],
        first_day=query["from_"],
        last_day=query["to"],
        by=parse_by(query["by"]),
        centre=query["centre"],
        office=query["office"],
        department=query["department"],
        country=query["country"],
    )
