"""The API's error shape: {"error": {"code", "message", "fields"}} with the right status."""

from __future__ import annotations

from returnees.auth.models import Role


def error_of(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


def test_no_token_is_401(app):
    response = app.test_client().get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_an_unknown_token_is_401(app):
    response = app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_a_token_answers_with_its_user(app, make_user, token_for):
    user = make_user(Role.SUPERVISOR)
    response = app.test_client().get("/api/v1/me", headers=token_for(user))
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email
    assert response.get_json()["role"] == "supervisor"


def test_a_role_outside_the_rule_is_403(app, make_user, token_for):
    response = app.test_client().get("/api/v1/users", headers=token_for(make_user(Role.RECEPTION)))
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_an_unknown_record_is_404(app, make_user, token_for):
    headers = token_for(make_user(Role.ADMIN))
    response = app.test_client().get("/api/v1/centres/XX-NONE", headers=headers)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unknown_api_path_is_404_json(app, make_user, token_for):
    response = app.test_client().get("/api/v1/nothing-here", headers=token_for(make_user()))
    assert response.status_code == 404
    error_of(response)


def test_a_body_that_is_not_json_is_400(app, make_user, token_for):
    headers = token_for(make_user(Role.ADMIN)) | {"Content-Type": "application/json"}
    response = app.test_client().post("/api/v1/centres", data="{not json", headers=headers)
    assert response.status_code == 400
    error_of(response)


def test_invalid_fields_are_422_each_named_and_nothing_is_created(app, make_user, token_for):
    headers = token_for(make_user(Role.ADMIN))
    client = app.test_client()
    body = {"code": "GT-BAD", "name": "", "kind": "castle", "country": "MX"}
    response = client.post("/api/v1/centres", json=body, headers=headers)
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"name", "kind", "country"}
    assert client.get("/api/v1/centres/GT-BAD", headers=headers).status_code == 404


def test_a_duplicate_is_409(app, make_user, make_centre, token_for):
    centre = make_centre()
    body = {"code": centre.code, "name": "Otra", "kind": "office", "country": "GT"}
    response = app.test_client().post(
        "/api/v1/centres", json=body, headers=token_for(make_user(Role.ADMIN))
    )
    assert response.status_code == 409
    assert error_of(response)["fields"] == {"code": ["Ya está en uso."]}


def test_a_created_centre_is_found_again(app, make_user, token_for):
    headers = token_for(make_user(Role.ADMIN))
    client = app.test_client()
    body = {"code": "hn-ceiba", "name": "La Ceiba", "kind": "office", "country": "HN"}
    assert client.post("/api/v1/centres", json=body, headers=headers).status_code == 201
    found = client.get("/api/v1/centres/HN-CEIBA", headers=headers).get_json()
    assert found["timezone"] == "America/Tegucigalpa"
    assert found["name"] == "La Ceiba"


def test_a_disabled_users_token_stops_working(app, make_user, token_for, in_app):
    from returnees.auth.access import Actor
    from returnees.auth.services import disable_user

    user = make_user(Role.SOCIAL_WORKER)
    headers = token_for(user)
    client = app.test_client()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with in_app() as session:
        disable_user(session, Actor.system("test"), user.email)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_method_the_api_path_does_not_take_is_405_naming_those_it_does(app, make_user, token_for):
    response = app.test_client().delete("/api/v1/centres", headers=token_for(make_user()))
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_method_a_page_does_not_take_is_405_naming_those_it_does(app):
    response = app.test_client().put("/auth/sign-in")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"].split(", ")
    assert response.mimetype == "text/html"
