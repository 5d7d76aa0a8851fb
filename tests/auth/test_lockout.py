from __future__ import annotations

from returnees.auth.models import Role
from tests.auth.test_sign_in import sign_in
from tests.conftest import PASSWORD


def fail_times(client, email: str, times: int, address: str = "10.0.0.1") -> None:
    for _ in range(times):
        assert sign_in(client, email, "not the password", address).status_code == 401


def test_five_failures_lock_the_account_for_fifteen_minutes(app, make_user, clock):
    user = make_user(Role.SOCIAL_WORKER)
    client = app.test_client()
    fail_times(client, user.email, 5)

    locked = sign_in(client, user.email, PASSWORD, "10.0.0.2")
    assert locked.status_code == 429
    assert "bloqueado" in locked.get_data(as_text=True).lower()

    clock.advance(minutes=14, seconds=59)
    assert sign_in(client, user.email, PASSWORD, "10.0.0.3").status_code == 429
    clock.advance(seconds=1)
    assert sign_in(client, user.email, PASSWORD, "10.0.0.3").status_code == 302


def test_four_failures_do_not_lock(app, make_user, clock):
    user = make_user()
    client = app.test_client()
    fail_times(client, user.email, 4)
    assert sign_in(client, user.email, PASSWORD).status_code == 302


def test_failures_spread_over_more_than_the_window_do_not_lock(app, make_user, clock):
    user = make_user()
    client = app.test_client()
    for _ in range(5):
        fail_times(client, user.email, 1)
        clock.advance(minutes=4)
    assert sign_in(client, user.email, PASSWORD).status_code == 302


def test_a_success_clears_the_account_count(app, make_user, clock):
    user = make_user()
    client = app.test_client()
    fail_times(client, user.email, 4)
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 302
    fail_times(client, user.email, 4, address="10.0.0.5")
    assert sign_in(app.test_client(), user.email, PASSWORD).status_code == 302


def test_five_failures_from_one_address_lock_that_address(app, make_user, clock):
    victims = [make_user() for _ in range(5)]
    other = make_user()
    client = app.test_client()
    for victim in victims:
        fail_times(client, victim.email, 1, address="203.0.113.9")
    assert sign_in(client, other.email, PASSWORD, "203.0.113.9").status_code == 429
    assert sign_in(app.test_client(), other.email, PASSWORD, "198.51.100.7").status_code == 302


def test_attempts_while_locked_do_not_extend_the_lock(app, make_user, clock):
    user = make_user()
    client = app.test_client()
    fail_times(client, user.email, 5)
    clock.advance(minutes=10)
    assert sign_in(client, user.email, "still wrong").status_code == 429
    clock.advance(minutes=5)
    assert sign_in(client, user.email, PASSWORD).status_code == 302


def test_attempts_keep_no_typed_email_and_still_lock_an_address_typed_differently(
    app, make_user, in_app
):
    from sqlalchemy import text

    user = make_user()
    client = app.test_client()
    fail_times(client, "Stranger.Typed@Example.org", 2)
    fail_times(client, user.email.upper(), 5, address="10.0.0.7")
    with in_app() as session:
        rows = session.execute(text("SELECT * FROM sign_in_attempts")).all()
    stored = " ".join(str(value) for row in rows for value in row).lower()
    assert len(rows) == 7
    assert "stranger" not in stored and "example.org" not in stored
    assert user.email.split("@")[0].lower() not in stored
    assert sign_in(app.test_client(), user.email, PASSWORD, "10.0.0.8").status_code == 429
