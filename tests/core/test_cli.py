"""The operator's commands: `centres`, `users`, `seed-demo`, `db check`, `worker --once`."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from returnees.auth.models import ApiToken, User
from returnees.centres.models import Centre
from returnees.people.models import Returnee


def count(in_app, model) -> int:
    with in_app() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_centre_is_created_and_listed(cli):
    result = cli(
        "centres",
        "create",
        "GT-QUETZAL",
        "--name",
        "Oficina Quetzaltenango",
        "--kind",
        "office",
        "--country",
        "gt",
        "--region",
        "Quetzaltenango",
    )
    assert result.exit_code == 0, result.output
    listed = cli("centres", "list").output
    assert "GT-QUETZAL" in listed and "America/Guatemala" in listed


def test_a_bad_timezone_is_refused_and_nothing_is_created(cli, in_app):
    result = cli(
        "centres",
        "create",
        "GT-X",
        "--name",
        "X",
        "--kind",
        "office",
        "--country",
        "GT",
        "--timezone",
        "Mars/Olympus",
    )
    assert result.exit_code == 1
    assert "Mars/Olympus" in result.output
    assert count(in_app, Centre) == 0


def test_a_user_is_created_with_a_prompted_password(cli, make_centre, in_app):
    centre = make_centre()
    result = cli(
        "users",
        "create",
        "Nueva@Example.org",
        "--role",
        "social_worker",
        "--centre",
        centre.code,
        input="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "nueva@example.org" in cli("users", "list").output
    with in_app() as session:
        user = session.scalar(select(User))
        assert user.password_hash.startswith("$argon2")


def test_a_user_at_an_unknown_centre_is_refused(cli, in_app):
    result = cli(
        "users",
        "create",
        "x@example.org",
        "--role",
        "reception",
        "--centre",
        "NOPE",
        "--password",
        "a long password",
    )
    assert result.exit_code == 1 and "NOPE" in result.output
    assert count(in_app, User) == 0


def test_a_printed_token_opens_the_api_and_only_its_hash_is_stored(app, cli, make_user, in_app):
    user = make_user()
    result = cli("users", "token", user.email)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.get_json()["email"] == user.email
    with in_app() as session:
        stored = session.scalar(select(ApiToken.digest))
    assert token not in stored and len(stored) == 64


def test_disabling_a_user_ends_their_sessions_and_tokens(
    app, cli, make_user, sign_in_as, token_for
):
    user = make_user()
    browser, headers = sign_in_as(user), token_for(user)
    assert browser.get("/").status_code == 200
    assert cli("users", "disable", user.email).exit_code == 0
    assert browser.get("/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401


def test_seed_demo_twice_keeps_what_was_entered(cli, in_app):
    assert cli("seed-demo", "--without-people").exit_code == 0
    with in_app() as session:
        session.scalar(
            select(User).where(User.email == "reception@demo.returnees.test")
        ).name = "Ana"
    second = cli("seed-demo", "--without-people")
    assert "0 centres and 0 users created" in second.output
    with in_app() as session:
        assert session.scalar(select(func.count()).select_from(Centre)) == 8, "no offices"
        assert session.scalar(select(func.count()).select_from(Returnee)) == 0
        names = session.scalars(select(User.name).where(User.email.like("reception@%"))).all()
    assert names == ["Ana"]


def test_worker_once_runs_every_job_at_the_given_time(cli):
    result = cli("worker", "--once", "--now", "2026-12-01T08:00:00-06:00")
    assert result.exit_code == 0, result.output
    assert "prune-sign-in-attempts" in result.output


def test_worker_once_acts_as_if_it_were_the_time_given(cli, register, in_app, clock):
    from datetime import UTC, datetime

    from returnees.messaging.models import OutboundMessage

    clock.at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 02:00 in Guatemala
    register(phones=("5555 1234",))  # its day-0 check-in is due now
    night = cli("worker", "--once", "--now", "2026-12-01T02:30:00-06:00")
    assert night.exit_code == 0, night.output
    assert "dispatch-check-ins: 0\n" in night.output, "02:30 there: it waits for the morning"
    morning = cli("worker", "--once", "--now", "2026-12-01T08:00:00-06:00")
    assert "dispatch-check-ins: 1\n" in morning.output
    assert "send-due-messages: 1\n" in morning.output
    with in_app() as session:
        [sent] = session.scalars(select(OutboundMessage)).all()
        assert sent.created_at == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01T08:00", "2026-12-01T08:00"])
def test_worker_refuses_a_bad_now(cli, register, in_app, bad):
    from returnees.followups.models import CheckIn, CheckInState

    register(phones=("5555 1234",))  # a check-in due now, 08:00 in Guatemala
    result = cli("worker", "--once", "--now", bad)
    assert result.exit_code == 2
    assert "--now" in result.output or bad in result.output
    with in_app() as session:
        states = set(session.scalars(select(CheckIn.state)))
    assert states == {CheckInState.SCHEDULED}, "no job ran"


def test_a_social_worker_goes_on_call_and_off_and_others_are_refused(cli, make_user, in_app):
    worker, desk = make_user("social_worker"), make_user("reception")
    result = cli("users", "on-call", worker.email, "--phone", "+50255550101")
    assert result.exit_code == 0 and "on call at +50255550101" in result.output
    refused = cli("users", "on-call", desk.email, "--phone", "+50255550102")
    assert refused.exit_code != 0 and "social" in refused.output
    assert cli("users", "on-call", worker.email, "--off").exit_code == 0
    with in_app() as session:
        stored = {u.email: (u.phone, u.is_on_call) for u in session.scalars(select(User))}
    assert stored[worker.email] == ("+50255550101", False)
    assert stored[desk.email] == ("", False)
