from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from returnees.auth.access import Actor
from returnees.core.db import unit_of_work
from returnees.reports.facts import REFRESH_BATCH, fill_missing, rebuild_months, refresh_stale
from returnees.reports.workbook import write_monthly_workbook

reports_cli = AppGroup("reports", help="Outcome reports.")


@reports_cli.command("monthly")
@click.option("--country", required=True, type=click.Choice(["GT", "HN", "SV"]))
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def monthly(country: str, month: str, output: Path | None) -> None:
    """Write the month's outcome workbook of a country (default: outcomes-GT-2026-11.xlsx)."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError as error:
        raise click.BadParameter("give the month as YYYY-MM, such as 2026-11") from error
    target = output or Path(f"outcomes-{country}-{month}.xlsx")
    with unit_of_work() as session, target.open("wb") as file:
        actor = Actor.system(f"cli:reports monthly {country} {month}")
        sheets = write_monthly_workbook(session, actor, country, first, file)
    click.echo(f"{target}: {sheets} sheets")


@reports_cli.command("refresh")
def refresh() -> None:
    """Work out the figures of the people listed as changed and of every arrival that has none
    (after `db upgrade` created the table, or a load past the app), committing batch by batch
    (the job does the same a batch at a time); then add up the months' sums anew."""
    people = arrivals = 0
    with unit_of_work() as session:
        while done := refresh_stale(session, REFRESH_BATCH):
            session.commit()
            people += done
        while done := fill_missing(session):
            session.commit()
            arrivals += done
        rebuild_months(session)
    click.echo(f"figures worked out again for {people} people, and for {arrivals} arrivals")
