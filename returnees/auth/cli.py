from __future__ import annotations

import click
from flask.cli import AppGroup

from returnees.auth.access import Actor
from returnees.auth.models import Role
from returnees.auth.on_call import move_user, set_on_call
from returnees.auth.services import (
    NewUser,
    create_user,
    disable_user,
    issue_api_token,
    list_users,
)
from returnees.core.cli import fail_on_domain_error
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
@fail_on_domain_error
def token(email: str) -> None:
    """Print a new API token for the account; only its hash is stored."""
    with unit_of_work() as session:
        click.echo(issue_api_token(session, CLI, email))


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
