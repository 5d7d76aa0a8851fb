"""The whole API, as each role calls it, against its own OpenAPI document (schemathesis):
no answer is a server error, every answer is one the document describes (status, content type,
headers, body), and a request the document calls invalid is refused. Requests are valid by the
document and invalid by it, a bounded number for each operation, derandomized so that a run is
repeatable.

A request valid by the document is accepted (schemathesis' positive_data_acceptance: answered
2xx, or 401, 403, 404 or 409), so the document states every constraint the validators apply
(choices, patterns, the calendar's years, no NUL), but on the operations UNSTATABLE names: each
is refused with a 422 for what no OpenAPI document can state, a code, worker or record only the
database knows, or a rule across fields (since after until, a birth date against the arrival)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from returnees.auth.models import Role

EXAMPLES_PER_OPERATION = 10  # 12 before positive_data_acceptance: the same run time
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# positive_data_acceptance (a request valid by the document is accepted, or answered 401, 403,
# 404 or 409) holds on every operation but these, each refused with a 422 for what no OpenAPI
# document can state: what only the database decides, or a rule across fields.
UNSTATABLE = {
    "POST /api/v1/returnees": "the arrival's centre must exist; birth date against arrival",
    "POST /api/v1/returnees/{returnee_id}/arrivals": "the arrival's centre must exist",
    "PATCH /api/v1/returnees/{returnee_id}": "a name of letters of any script; birth date",
    "POST /api/v1/returnees/{returnee_id}/contacts": "the outcome must fit the kind (call, visit)",
    "POST /api/v1/returnees/{returnee_id}/referrals": "the organisation must exist; consent",
    "POST /api/v1/returnees/{returnee_id}/merge": "the record merged into must exist, not erased",
    "POST /api/v1/cases/assign": "a social worker of the caller's scope",
    "POST /api/v1/manifests": "a readable CSV or Excel file; expected within a year of today",
    "POST /api/v1/partners": "a country of the admin's own; a dialable phone number",
    "PUT /api/v1/centres/{code}/coverage": "the centre must be an office",
    "PUT /api/v1/plans/{profile}": "a template that exists; one step a day",
    "PUT /api/v1/risk/rules": "medium_from below high_from",
    "PUT /api/v1/surveys/instrument": "every dimension asked; options fit the item's kind",
    "GET /api/v1/reports/outcomes": "a centre, office or department that exists in scope",
    "GET /api/v1/reports/outcomes/monthly": "a centre or office that exists in scope",
}


def checks_of(label: str) -> list:
    """Every check; positive_data_acceptance too, but on the operations UNSTATABLE names."""
    return CHECKS if label in UNSTATABLE else [*CHECKS, positive_data_acceptance]


BOUNDED = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_answer_is_documented_and_none_is_a_server_error(
    app, demo, register, make_user, token_for, role
):
    person = register(phones=("+50255550101",)).returnee  # in the scope of GT-AURORA's desk
    headers = token_for(make_user(role, "GT-AURORA"))
    known = {"returnee_id": person.id, "code": "GT-AURORA", "profile": "adult"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    for found in schema.get_all_operations():
        operation = found.ok()
        names = {parameter.name for parameter in operation.path_parameters}
        existing = {name: value for name, value in known.items() if name in names}
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=existing),
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @BOUNDED
        @given(case=cases)
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=checks_of(case.operation.label))

        try:
            call()
        except (Exception, BaseExceptionGroup) as failure:  # every operation's failures
            failures[operation.label] = f"{type(failure).__name__}: {failure}"
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
