"""The OpenAPI document states what the validators check: query parameters, required fields,
choices, lengths and ranges, generated from the schemas the views load."""

from __future__ import annotations


def document(app) -> dict:
    return app.test_client().get("/api/v1/openapi.json").get_json()


def parameter(operation: dict, name: str) -> dict:
    found = [p for p in operation["parameters"] if p["name"] == name]
    assert found, (
        f"{name} is not documented; documented: {[p['name'] for p in operation['parameters']]}"
    )
    return found[0]


def test_the_query_parameters_are_documented_with_their_constraints(app):
    paths = document(app)["paths"]
    page = parameter(paths["/api/v1/audit"]["get"], "page")
    assert page["in"] == "query" and page["schema"]["minimum"] == 1
    limit = parameter(paths["/api/v1/queue"]["get"], "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 200)
    status = parameter(paths["/api/v1/transfers"]["get"], "status")["schema"]
    assert set(status["enum"]) == {"pending", "accepted", "declined"}
    assert parameter(paths["/api/v1/cases"]["get"], "office")["required"] is True
    for path in ("/api/v1/returnees", "/api/v1/places", "/api/v1/partners"):
        assert parameter(paths[path]["get"], "q" if path != "/api/v1/partners" else "service")


def test_path_ids_are_documented_as_database_ids(app):
    operation = document(app)["paths"]["/api/v1/returnees/{returnee_id}"]["get"]
    assert parameter(operation, "returnee_id")["schema"]["maximum"] == 2**31 - 1


def test_a_plan_without_steps_is_invalid_by_the_document_as_by_the_server(
    app, make_user, token_for
):
    from returnees.auth.models import Role

    spec = document(app)
    body = spec["paths"]["/api/v1/plans/{profile}"]["put"]["requestBody"]
    reference = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert spec["components"]["schemas"][reference]["properties"]["steps"]["minItems"] == 1
    refused = app.test_client().put(
        "/api/v1/plans/adult", json={"steps": []}, headers=token_for(make_user(Role.ADMIN))
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {
        "steps": ["Un plan necesita al menos un paso."]
    }


def test_ids_in_bodies_are_documented_within_the_database_integer(app):
    schemas = document(app)["components"]["schemas"]
    worker = schemas["Assign"]["properties"]["worker_id"]
    assert (worker["minimum"], worker["maximum"]) == (1, 2**31 - 1)
    assert schemas["Assign"]["properties"]["returnee_ids"]["minItems"] == 1
