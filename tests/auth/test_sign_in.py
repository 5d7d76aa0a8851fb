from __future__ import annotations

from sqlalchemy import func, select

from returnees.audit.models import AuditAction, AuditEntry
from returnees.auth.models import Role
from tests.conftest import PASSWORD, csrf_token


def sign_in(client, email: str, password: str, address: str = "10.0.0.1"):
    token = csrf_token(client, "/auth/sign-in")
    return client.post(
        "/auth/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_user_signs_in_and_reaches_their_home_page(app, make_user):
    user = make_user(Role.RECEPTION)
    client = app.test_client()
    response = sign_in(client, user.email.upper(), PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_with_a_message_and_audited(app, make_user, in_app):
    user = make_user()
    response = sign_in(app.test_client(), user.email, "wrong password")
    assert response.status_code == 401
    assert "la contraseña no son correctos" in response.get_data(as_text=True)
    with in_app() as session:
        failures = session.scalar(
            select(func.count()).where(
                AuditEntry.action == AuditAction.SIGN_IN_FAILED, AuditEntry.actor == user.email
            )
        )
    assert failures == 1


def test_the_session_cookie_is_httponly_and_samesite_lax(app, make_user):
    user = make_user()
    response = sign_in(app.test_client(), user.email, PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_sign_in_without_csrf_token_is_refused(app, make_user):
    user = make_user()
    client = app.test_client()
    response = client.post("/auth/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302, "a form without its token must not sign anyone in"


def test_a_state_changing_form_without_csrf_token_is_refused(app, make_user, sign_in_as):
    client = sign_in_as(make_user(Role.ADMIN))
    response = client.post("/centres/new", data={"code": "GT-NEW", "name": "Nuevo"})
    assert response.status_code == 400
    assert "token" in response.get_data(as_text=True)
    assert client.get("/centres/GT-NEW").status_code == 404


def test_signing_out_ends_the_session(app, make_user, sign_in_as):
    client = sign_in_as(make_user())
    response = client.post("/auth/sign-out", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_a_disabled_user_cannot_sign_in(app, make_user):
    user = make_user(is_enabled=False)
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 401


def test_an_outside_next_address_is_not_followed(app, make_user):
    user = make_user()
    client = app.test_client()
    token = csrf_token(client, "/auth/sign-in")
    response = client.post(
        "/auth/sign-in",
        data={
            "email": user.email,
            "password": PASSWORD,
            "next": "https://evil.example/",
            "csrf_token": token,
        },
    )
    assert response.headers["Location"] == "/"
