from __future__ import annotations

import click
from flask.cli import AppGroup

from returnees.auth.access import Actor
from returnees.auth.models import ApiToken, Role
from returnees.auth.on_call import move_user, set_on_call
from returnees.auth.services import NewUser, create_user, disable_user, list_users
from returnees.auth.tokens import (
    MAX_TOKEN_DAYS,
    TOKEN_DAYS,
    issue_api_token,
    list_api_tokens,
    revoke_api_tokens,
)
from returnees.core.cli import fail_on_domain_error
from returnees.core.clock import utcnow
from returnees.core.db import unit_of_work

users_cli = AppGroup("users", help="Staff accounts and API tokens.")
CLI = Actor.system("cli")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--centre", "centre_code", required=True, help="The code of the user's centre.")
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@fail_on_domain_error
def create(email: str, role: str, centre_code: str, name: str, password: str) -> None:
    """Create a staff account (prompts for the password when --password is not given)."""
    with unit_of_work() as session:
        user = create_user(session, CLI, NewUser(email, role, centre_code, password, name))
        click.echo(f"created {user.email} ({user.role.value} at {user.centre.code})")


@users_cli.command("list")
def list_command() -> None:
    """List staff accounts."""
    with unit_of_work() as session:
        for user in list_users(session, CLI):
            state = "enabled" if user.is_enabled else "disabled"
            click.echo(f"{user.email:40} {user.role.value:14} {user.centre.code:16} {state}")


@users_cli.command("disable")
@click.argument("email")
@fail_on_domain_error
def disable(email: str) -> None:
    """Disable an account, ending its sessions and API tokens."""
    with unit_of_work() as session:
        user = disable_user(session, CLI, email)
        click.echo(f"disabled {user.email}; its sessions and tokens have ended")


@users_cli.command("token")
@click.argument("email")
@click.option(
    "--days",
    default=TOKEN_DAYS,
    show_default=True,
    type=click.IntRange(1, MAX_TOKEN_DAYS),
    help="How many days the token opens the API.",
)
@fail_on_domain_error
def token(email: str, days: int) -> None:
    """Print a new API token for the account; only its hash is stored."""
    with unit_of_work() as session:
        issued = issue_api_token(session, CLI, email, days)
        click.echo(issued.secret)
        expires = issued.token.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(f"token {issued.token.id} expires {expires}", err=True)


class _ListByDefault(AppGroup):
    """`users tokens EMAIL` lists the account's tokens; `users tokens revoke ...` revokes."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@users_cli.group("tokens", cls=_ListByDefault)
def tokens() -> None:
    """An account's API tokens: `tokens EMAIL` lists them, `tokens revoke EMAIL ID...` ends them."""


@tokens.command("list")
@click.argument("email")
@fail_on_domain_error
def list_tokens(email: str) -> None:
    """List an account's tokens: id, created, expires, last used and state."""
    with unit_of_work() as session:
        click.echo(f"{'id':>6}  {'created':16}  {'expires':16}  {'last used':16}  state")
        for api_token in list_api_tokens(session, CLI, email):
            click.echo(_token_line(api_token))


@tokens.command("revoke")
@click.argument("email")
@click.argument("token_ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Revoke every token of the account.")
@fail_on_domain_error
def revoke_tokens(email: str, token_ids: tuple[int, ...], every: bool) -> None:
    """Revoke tokens of an account by id (as `tokens EMAIL` lists them), or all of them."""
    if every == bool(token_ids):
        raise click.UsageError("Give the ids of the tokens to revoke, or --all.")
    with unit_of_work() as session:
        revoked = revoke_api_tokens(session, CLI, email, None if every else token_ids)
        ids = ", ".join(str(api_token.id) for api_token in revoked) or "none (already revoked)"
        click.echo(f"revoked for {email}: {ids}")


def _token_line(api_token: ApiToken) -> str:
    def at(moment) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"

    if api_token.revoked_at is not None:
        state = f"revoked {at(api_token.revoked_at)}"
    elif api_token.expires_at <= utcnow():
        state = "expired"
    else:
        state = "active"
    return (
        f"{api_token.id:>6}  {at(api_token.created_at):16}  {at(api_token.expires_at):16}  "
        f"{at(api_token.last_used_at):16}  {state}"
    )


@users_cli.command("on-call")
@click.argument("email")
@click.option("--phone", default=None, help="The number alerts go to, e.g. +50255550000.")
@click.option("--off", is_flag=True, help="Take the social worker off call.")
@fail_on_domain_error
def on_call(email: str, phone: str | None, off: bool) -> None:
    """Put a social worker on call: urgent cases in their region send them a discreet SMS."""
    with unit_of_work() as session:
        user = set_on_call(session, CLI, email, not off, phone)
        state = f"on call at {user.phone}" if user.is_on_call else "off call"
        click.echo(f"{user.email} is {state}")


@users_cli.command("move")
@click.argument("email")
@click.option("--centre", required=True, help="The centre (an office) the account works at now.")
@fail_on_domain_error
def move(email: str, centre: str) -> None:
    """Move an account to another centre: a social worker to the office they work for."""
    with unit_of_work() as session:
        user = move_user(session, CLI, email, centre)
        click.echo(f"{user.email} works at {user.centre.code} now; their sessions have ended")
