"""`flask db ...`: Alembic, pointed at this app's database."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from flask import current_app
from flask.cli import AppGroup

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

db_cli = AppGroup("db", help="Apply and check the database schema (Alembic).")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", current_app.config["DATABASE_URL"])
    config.attributes["flask_app"] = current_app._get_current_object()
    return config


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Bring the database to REVISION (default: the latest), saying what each step did."""
    _say_each_step()
    command.upgrade(alembic_config(), revision)


def _say_each_step() -> None:
    """Print which revisions run, and what data migrations report of what they moved."""
    steps = logging.getLogger("alembic.runtime.migration")
    if not steps.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        steps.addHandler(handler)
    steps.setLevel(logging.INFO)


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Take the database back to REVISION."""
    command.downgrade(alembic_config(), revision)


@db_cli.command("current")
def current() -> None:
    """Show the revision the database is at."""
    command.current(alembic_config(), verbose=True)


@db_cli.command("check")
def check() -> None:
    """Fail when the models and the migrations disagree."""
    try:
        command.check(alembic_config())
    except CommandError as error:
        raise click.ClickException(f"The models and the migrations disagree: {error}") from error
    click.echo("The models and the migrations agree.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True, help="Compare the models with the database.")
def revision(message: str, autogenerate: bool) -> None:
    """Write a new migration."""
    command.revision(alembic_config(), message=message, autogenerate=autogenerate)
