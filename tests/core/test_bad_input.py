"""Input beyond what the database or the calendar holds is the caller's 404 or 422, naming the
field, with nothing changed; never a 500."""

from __future__ import annotations

from returnees.auth.models import Role

PAST_INTEGER = 2**31  # one past PostgreSQL's integer, the type of every id


def fields_of(response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.get_data(as_text=True)
    return response.get_json()["error"]["fields"]


def test_an_id_past_the_database_integer_in_a_path_is_404(
    app, demo, make_user, token_for, sign_in_as
):
    supervisor = make_user(Role.SUPERVISOR, "GT-AURORA")
    api = app.test_client().get(f"/api/v1/returnees/{PAST_INTEGER}", headers=token_for(supervisor))
    assert api.status_code == 404
    assert api.get_json()["error"]["code"] == "not_found"
    assert sign_in_as(supervisor).get(f"/returnees/{PAST_INTEGER}").status_code == 404


def test_an_id_past_the_database_integer_in_a_body_is_422_by_name(app, demo, make_user, token_for):
    headers = token_for(make_user(Role.SUPERVISOR, "GT-AURORA"))
    body = {"returnee_ids": [PAST_INTEGER], "worker_id": PAST_INTEGER}
    response = app.test_client().post("/api/v1/cases/assign", json=body, headers=headers)
    assert set(fields_of(response)) == {"returnee_ids.0", "worker_id"}


def test_a_page_past_any_is_422(app, demo, make_user, token_for):
    headers = token_for(make_user(Role.SUPERVISOR, "GT-AURORA"))
    response = app.test_client().get("/api/v1/audit?page=99999999999999999999", headers=headers)
    assert set(fields_of(response)) == {"page"}


def test_a_date_past_the_calendar_is_422_on_the_page_and_in_the_api(
    app, demo, make_user, token_for, sign_in_as
):
    desk = make_user(Role.RECEPTION, "GT-AURORA")
    page = sign_in_as(desk).get("/returnees/?arrived_to=9999-12-31")
    assert page.status_code == 422
    assert "Indique una fecha entre 1900 y 2199" in page.get_data(as_text=True)
    response = app.test_client().get(
        "/api/v1/returnees?arrived_to=9999-12-31T00:00:00Z", headers=token_for(desk)
    )
    assert set(fields_of(response)) == {"arrived_to"}


def test_a_nul_character_in_a_json_body_is_422_by_name_and_nothing_is_created(
    app, make_user, token_for
):
    headers = token_for(make_user(Role.ADMIN))
    client = app.test_client()
    body = {"code": "GT-NUL", "name": "Centro\x00", "kind": "office", "country": "GT"}
    assert set(fields_of(client.post("/api/v1/centres", json=body, headers=headers))) == {"name"}
    assert client.get("/api/v1/centres/GT-NUL", headers=headers).status_code == 404


def test_a_nul_character_in_a_query_or_a_form_is_422(app, demo, make_user, token_for, sign_in_as):
    desk = make_user(Role.RECEPTION, "GT-AURORA")
    response = app.test_client().get("/api/v1/returnees?q=Ana%00", headers=token_for(desk))
    assert set(fields_of(response)) == {"q"}
    assert sign_in_as(desk).get("/returnees/?q=Ana%00").status_code == 422
    webhook = app.test_client().post("/webhooks/twilio/inbound", data={"Body": "SI\x00"})
    assert webhook.status_code == 422
