"""The whole API, as each role calls it, against its own OpenAPI document (schemathesis):
no answer is a server error, every answer is one the document describes (status, content type,
headers, body), and a request the document calls invalid is refused. Requests are valid by the
document and invalid by it, a bounded number for each operation, derandomized so that a run is
repeatable.

Not checked: schemathesis' positive_data_acceptance (a request valid by the document is
accepted). It cannot hold, because the document states what a JSON Schema can and the services
refuse with a 422 naming the field what only the database or several fields together decide:
a centre, office, organisation, template or place code that does not exist; a worker who is
not a social worker of the caller's scope; a birth date after the arrival or against the age;
since after until; a second step on the same day of a plan; and a date before 1900 or after
2199, which JSON Schema cannot bound for a `date-time` string."""

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
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from returnees.auth.models import Role

EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
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
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            call()
        except (Exception, BaseExceptionGroup) as failure:  # every operation's failures
            failures[operation.label] = f"{type(failure).__name__}: {failure}"
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
