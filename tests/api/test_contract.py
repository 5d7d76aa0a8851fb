"""The whole API, as each role calls it, against its own OpenAPI document (schemathesis):
no answer is a server error, and every answer is one the document describes (status, content
type, headers, body). Requests are valid by the document and invalid by it, a bounded number
for each operation, derandomized so that a run is repeatable."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
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
        except Exception as failure:  # every operation's, not only the first one's
            failures[operation.label] = f"{type(failure).__name__}: {failure}"
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
