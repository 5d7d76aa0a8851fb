from __future__ import annotations

import click
from flask.cli import AppGroup

from returnees.auth.access import Actor
from returnees.centres.models import CentreKind, Country
from returnees.centres.services import NewCentre, create_centre, list_centres
from returnees.core.cli import fail_on_domain_error
from returnees.core.db import unit_of_work

centres_cli = AppGroup("centres", help="Reception centres, shelters and offices.")


@centres_cli.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice([kind.value for kind in CentreKind]))
@click.option(
    "--country", required=True, type=click.Choice([c.value for c in Country], case_sensitive=False)
)
@click.option("--timezone", default="", help="Default: the country's timezone.")
@click.option("--region", default="", help="Department or region, for social workers' scope.")
@click.option("--municipality", default="")
@fail_on_domain_error
def create(code: str, **fields: str) -> None:
    """Add a centre."""
    with unit_of_work() as session:
        centre = create_centre(session, Actor.system("cli"), NewCentre(code=code, **fields))
        click.echo(
            f"created {centre.code}: {centre.name} ({centre.kind.value}, {centre.country.value})"
        )


@centres_cli.command("list")
def list_command() -> None:
    """List every centre."""
    with unit_of_work() as session:
        for centre in list_centres(session, Actor.system("cli")):
            click.echo(
                f"{centre.code:16} {centre.country.value} {centre.kind.value:12} "
                f"{centre.timezone:22} {centre.name}"
            )
