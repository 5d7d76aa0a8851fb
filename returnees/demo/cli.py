from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from returnees.core.cli import fail_on_domain_error
from returnees.core.db import unit_of_work
from returnees.demo.offices import DEMO_OFFICES, seed_demo_offices
from returnees.demo.services import DEMO_USERS, seed_demo


@click.command("seed-demo")
@click.option(
    "--password", default=None, help="Password of the demo users (default: DEMO_PASSWORD)."
)
@click.option(
    "--without-people",
    is_flag=True,
    help="Only the centres and users: no follow-up offices, nor people in them.",
)
@with_appcontext
@fail_on_domain_error
def seed_demo_command(password: str | None, without_people: bool) -> None:
    """Seed the demo: centres and one user per role, and (not in production) follow-up offices
    with their social workers and people at homes they cover."""
    password = password or current_app.config.get("DEMO_PASSWORD")
    if not password:
        raise click.UsageError("Give --password: this environment has no DEMO_PASSWORD.")
    living = not without_people and current_app.config["RETURNEES_ENV"] != "production"
    with unit_of_work() as session:
        report = seed_demo(session, password)
        offices = seed_demo_offices(session, password) if living else None
    click.echo(
        f"demo: {len(report.created_centres)} centres and {len(report.created_users)} users "
        "created; existing ones kept."
    )
    if offices is not None:
        click.echo(
            f"offices: {len(offices.offices)} offices, {len(offices.users)} social workers and "
            f"{len(offices.people)} people at home created; existing ones kept."
        )
    click.echo(f"sign-ins (password {password!r}; accounts that existed keep theirs):")
    for email, role, centre, _name in DEMO_USERS:
        click.echo(f"  {role.value:14} {email:38} at {centre}")
    if offices is not None:
        for demo in DEMO_OFFICES:
            email, _name = demo.worker
            click.echo(f"  {'social_worker':14} {email:38} at {demo.centre.code}")
