"""Sessions end on the server: signing out, a password change, idleness and age end them, and a
cookie copied before, or made with the SECRET_KEY, opens nothing after."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from returnees import create_app
from returnees.audit.models import AuditAction, AuditEntry
from returnees.auth.models import Role, User
from returnees.auth.passwords import verify_password
from returnees.core.settings import SettingsError
from tests.auth.test_sign_in import sign_in
from tests.conftest import PASSWORD, csrf_token

NEW_PASSWORD = "a new long passphrase"


@pytest.fixture
def real_limits(app, monkeypatch):
    """The shipped limits (config/test.py lifts them for tests that move the clock by days)."""
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 30)
    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", 12)


def signed_in(app, user, address: str = "10.0.0.1"):
    client = app.test_client()
    assert sign_in(client, user.email, PASSWORD, address).status_code == 302
    return client


def copy_of(app, client):
    """Another browser holding a copy of this client's session cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def test_a_cookie_copied_before_sign_out_is_refused_after(app, make_user):
    client = signed_in(app, make_user(Role.SUPERVISOR))
    copied = copy_of(app, client)
    assert copied.get("/audit/").status_code == 200, "the copy works while the session lives"
    client.post("/auth/sign-out", data={"csrf_token": csrf_token(client)})
    response = copied.get("/audit/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/sign-in")


def test_signing_out_in_one_browser_leaves_the_users_other_sessions(app, make_user):
    user = make_user(Role.SUPERVISOR)
    desk, home = signed_in(app, user), signed_in(app, user)
    desk.post("/auth/sign-out", data={"csrf_token": csrf_token(desk)})
    assert home.get("/audit/").status_code == 200


def test_a_cookie_made_with_the_secret_key_opens_nothing(app, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    serializer = app.session_interface.get_signing_serializer(app)
    forged = serializer.dumps({"_user_id": supervisor.get_id(), "_fresh": True})
    client = app.test_client()
    client.set_cookie("session", forged)
    assert client.get("/audit/").status_code == 302


def test_a_session_ends_after_thirty_minutes_without_a_request(app, make_user, clock, real_limits):
    client = signed_in(app, make_user(Role.SUPERVISOR))
    clock.advance(minutes=29)
    assert client.get("/audit/").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/audit/").status_code == 200, "each request restarts the idle time"
    clock.advance(minutes=31)
    response = client.get("/audit/")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Su sesión terminó tras un tiempo sin actividad" in page
    clock.advance(minutes=1)
    assert client.get("/audit/").status_code == 302, "a lapsed session does not come back"


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(app, make_user, clock, real_limits):
    client = signed_in(app, make_user(Role.SUPERVISOR))
    for _ in range(11 * 3):
        clock.advance(minutes=20)
        assert client.get("/audit/").status_code == 200
    clock.advance(minutes=61)
    assert client.get("/audit/").status_code == 302


def test_the_session_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "10")
    monkeypatch.setenv("SESSION_MAX_HOURS", "8")
    config = create_app({"RETURNEES_ENV": "development"}).config
    assert (config["SESSION_IDLE_MINUTES"], config["SESSION_MAX_HOURS"]) == (10, 8)
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "0")
    with pytest.raises(SettingsError, match="SESSION_IDLE_MINUTES"):
        create_app({"RETURNEES_ENV": "development"})


def test_the_shipped_limits_are_thirty_minutes_and_twelve_hours(monkeypatch):
    for name in ("SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS"):
        monkeypatch.delenv(name, raising=False)
    config = create_app({"RETURNEES_ENV": "development"}).config
    assert (config["SESSION_IDLE_MINUTES"], config["SESSION_MAX_HOURS"]) == (30, 12)


def change_password(client, current: str, new: str, again: str | None = None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "repeat_password": new if again is None else again,
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_user_changes_their_password_and_their_other_sessions_end(
    app, make_user, in_app, role
):
    user = make_user(role)
    here, elsewhere = signed_in(app, user), signed_in(app, user)
    response = change_password(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert here.get("/").status_code == 200, "the session that changed it goes on"
    assert elsewhere.get("/").status_code == 302, "another browser is signed out"
    assert sign_in(app.test_client(), user.email, NEW_PASSWORD).status_code == 302
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 401
    with in_app() as session:
        entry = session.scalar(
            select(AuditEntry).where(AuditEntry.action == AuditAction.CHANGE_PASSWORD)
        )
    assert (entry.user_id, entry.record_id, entry.detail["sessions_ended"]) == (
        user.id,
        str(user.id),
        1,
    )


@pytest.mark.parametrize(
    ("current", "new", "again", "said"),
    [
        ("not my password", NEW_PASSWORD, None, "no es su contraseña actual"),
        (PASSWORD, "short", None, "al menos 10 caracteres"),
        (PASSWORD, NEW_PASSWORD, "something else", "no son iguales"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    app, make_user, in_app, current, new, again, said
):
    user = make_user(Role.RECEPTION)
    here, elsewhere = signed_in(app, user), signed_in(app, user)
    response = change_password(here, current, new, again)
    assert response.status_code == 422
    assert said in response.get_data(as_text=True)
    assert elsewhere.get("/").status_code == 200
    with in_app() as session:
        assert verify_password(session.get(User, user.id).password_hash, PASSWORD)


def test_the_password_page_is_reached_from_the_header(app, make_user):
    client = signed_in(app, make_user(Role.SOCIAL_WORKER))
    page = client.get("/").get_data(as_text=True)
    assert 'href="/account/password"' in page
    assert "Cambiar contraseña" in client.get("/account/password").get_data(as_text=True)
