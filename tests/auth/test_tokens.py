"""API tokens expire (`users token EMAIL --days N`, 90 by default), and are listed and revoked
per user (`users tokens EMAIL`, `users tokens revoke EMAIL ID... | --all`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from returnees.audit.models import AuditAction, AuditEntry
from returnees.auth.models import ApiToken


def issue(cli, email: str, *options: str) -> str:
    result = cli("users", "token", email, *options)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def me(app, token: str):
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_a_token_lasts_ninety_days_unless_told_otherwise(app, cli, make_user, in_app, clock):
    user = make_user()
    issue(cli, user.email)
    issue(cli, user.email, "--days", "7")
    with in_app() as session:
        lifetimes = [t.expires_at - t.created_at for t in session.scalars(select(ApiToken))]
    assert sorted(lifetimes) == [timedelta(days=7), timedelta(days=90)]


def test_an_expired_token_gets_401_saying_it_expired(app, cli, make_user, clock):
    user = make_user()
    token = issue(cli, user.email, "--days", "7")
    clock.advance(days=6, hours=23)
    assert me(app, token).status_code == 200
    clock.advance(hours=1)
    response = me(app, token)
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["code"] == "token_expired"
    assert "2026-12-08" in error["message"]


def test_a_token_cannot_last_beyond_a_year(cli, make_user, in_app):
    user = make_user()
    for days in ("0", "366"):
        result = cli("users", "token", user.email, "--days", days)
        assert result.exit_code != 0 and "--days" in result.output
    with in_app() as session:
        assert session.scalar(select(ApiToken)) is None


def test_the_tokens_of_a_user_are_listed_with_their_dates_and_state(app, cli, make_user, clock):
    user, other = make_user(), make_user()
    used, expired = issue(cli, user.email), issue(cli, user.email, "--days", "1")
    issue(cli, other.email)
    me(app, used)
    clock.advance(days=2)
    listed = cli("users", "tokens", user.email)
    assert listed.exit_code == 0, listed.output
    header, *rows = listed.output.strip().splitlines()
    assert header.split() == ["id", "created", "expires", "last", "used", "state"]
    assert len(rows) == 2, "only this user's tokens"
    newest, oldest = rows
    assert newest.split()[1:] == ["2026-12-01", "14:00", "2026-12-02", "14:00", "-", "expired"]
    assert oldest.split()[1:] == [
        "2026-12-01",
        "14:00",
        "2027-03-01",
        "14:00",
        "2026-12-01",
        "14:00",
        "active",
    ]
    assert expired not in listed.output and used not in listed.output


def test_a_revoked_token_opens_nothing_and_the_list_says_so(app, cli, make_user, in_app, clock):
    user = make_user()
    kept, revoked = issue(cli, user.email), issue(cli, user.email)
    with in_app() as session:
        revoked_id = session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()))
    result = cli("users", "tokens", "revoke", user.email, str(revoked_id))
    assert result.exit_code == 0, result.output
    assert f"revoked for {user.email}: {revoked_id}" in result.output
    assert me(app, revoked).status_code == 401
    assert me(app, kept).status_code == 200
    listed = cli("users", "tokens", user.email).output
    assert "revoked 2026-12-01 14:00" in listed
    with in_app() as session:
        entry = session.scalar(
            select(AuditEntry).where(AuditEntry.action == AuditAction.REVOKE_TOKEN)
        )
    assert (entry.record_id, entry.detail["token"]) == (str(user.id), revoked_id)


def test_all_tokens_of_a_user_are_revoked_at_once(app, cli, make_user):
    user, other = make_user(), make_user()
    first, second, theirs = issue(cli, user.email), issue(cli, user.email), issue(cli, other.email)
    assert cli("users", "tokens", "revoke", user.email, "--all").exit_code == 0
    assert me(app, first).status_code == me(app, second).status_code == 401
    assert me(app, theirs).status_code == 200


def test_revoking_another_users_token_is_refused_and_revokes_nothing(app, cli, make_user, in_app):
    user, other = make_user(), make_user()
    mine, theirs = issue(cli, user.email), issue(cli, other.email)
    with in_app() as session:
        their_id = session.scalar(select(ApiToken.id).where(ApiToken.user_id == other.id))
    result = cli("users", "tokens", "revoke", user.email, "999999", str(their_id))
    assert result.exit_code == 1
    assert f"{user.email} no tiene el token {their_id}, 999999" in result.output
    assert me(app, theirs).status_code == me(app, mine).status_code == 200


@pytest.mark.parametrize("arguments", [(), ("--all", "1")])
def test_revoke_needs_ids_or_all_but_not_both(cli, make_user, arguments):
    result = cli("users", "tokens", "revoke", make_user().email, *arguments)
    assert result.exit_code == 2 and "ids of the tokens to revoke, or --all" in result.output
