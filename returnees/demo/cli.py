"""The demo that `make run` seeds: the region's centres and one sign-in per role; outside
production, follow-up offices and the living demo (a flight and what happened since, and a
person registered twice that the nightly search proposes to the supervisor)."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from returnees.core.cli import fail_on_domain_error
from returnees.core.clock import utcnow
from returnees.core.db import unit_of_work
from returnees.demo.flight import FLIGHT
from returnees.demo.living import LANDED_DAYS_AGO, ZONE, living_demo, seed_living_demo
from returnees.demo.offices import DEMO_OFFICES, seed_demo_offices
from returnees.demo.refresh import move_to_today
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
@click.option(
    "--refresh",
    is_flag=True,
    help="Move the demo's history to today, by the days since it was seeded.",
)
@with_appcontext
@fail_on_domain_error
def seed_demo_command(password: str | None, without_people: bool, refresh: bool) -> None:
    """Seed the demo: centres and one user per role, and (not in production) follow-up offices
    with their social workers on call, and a flight of people with days of history."""
    password = password or current_app.config.get("DEMO_PASSWORD")
    if not password:
        raise click.UsageError("Give --password: this environment has no DEMO_PASSWORD.")
    living = not without_people and current_app.config["RETURNEES_ENV"] != "production"
    with unit_of_work() as session:
        report = seed_demo(session, password)
        offices = seed_demo_offices(session, password) if living else None
        story = seed_living_demo(session) if living else None
        moved = move_to_today(session, living_demo(session), utcnow()) if story and refresh else 0
        seeded_at = living_demo(session).seeded_at if story else None
    click.echo(
        f"demo: {len(report.created_centres)} centres and {len(report.created_users)} users "
        "created; existing ones kept."
    )
    if offices is not None:
        click.echo(
            f"offices: {len(offices.offices)} offices and {len(offices.users)} social workers "
            "created; existing ones kept."
        )
    if story is not None and story.is_new:
        click.echo(
            f"people: flight {FLIGHT} landed at GT-AURORA {LANDED_DAYS_AGO} days ago with "
            f"{story.people} people (one came back a second time), with their check-ins, "
            "answers, tasks, a referral and an urgent case; a woman registered twice waits at "
            "/people/duplicates/; on call: "
            f"{', '.join(story.on_call) or 'as it was'}."
        )
    elif story is not None:
        click.echo(f"people: the demo seeded {_day(seeded_at)} is kept.")
    if moved:
        click.echo(f"history moved {moved} days forward, to today.")
    elif story is not None and not refresh and _days_old(seeded_at) > 0:
        click.echo(
            f"Its history is {_days_old(seeded_at)} days old: "
            "`flask --app wsgi seed-demo --refresh` moves it to today."
        )
    click.echo(f"sign-ins (password {password!r}; accounts that existed keep theirs):")
    for email, role, centre, _name in DEMO_USERS:
        click.echo(f"  {role.value:14} {email:38} at {centre}")
    if offices is not None:
        for demo in DEMO_OFFICES:
            email, _name = demo.worker
            click.echo(f"  {'social_worker':14} {email:38} at {demo.centre.code}")


def _day(moment: datetime) -> str:
    return moment.astimezone(ZONE).date().isoformat()


def _days_old(seeded_at: datetime) -> int:
    return (utcnow().astimezone(ZONE).date() - seeded_at.astimezone(ZONE).date()).days
