from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from returnees.core.cli import fail_on_domain_error
from returnees.core.db import unit_of_work
from returnees.demo.services import DEMO_USERS, seed_demo


@click.command("seed-demo")
@click.option(
    "--password", default=None, help="Password of the demo users (default: DEMO_PASSWORD)."
)
@with_appcontext
@fail_on_domain_error
def seed_demo_command(password: str | None) -> None:
    """Seed the demo centres and one user per role into the configured database."""
    password = password or current_app.config.get("DEMO_PASSWORD")
    if not password:
        raise click.UsageError("Give --password: this environment has no DEMO_PASSWORD.")
    with unit_of_work() as session:
        report = seed_demo(session, password)
    click.echo(
        f"demo: {len(report.created_centres)} centres and {len(report.created_users)} users "
        "created; existing ones kept."
    )
    click.echo(f"sign-ins (password {password!r}; accounts that existed keep theirs):")
    for email, role, centre, _name in DEMO_USERS:
        click.echo(f"  {role.value:14} {email:38} at {centre}")
