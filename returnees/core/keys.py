"""`flask keys ...`: the encryption keys of personal data (see core/encryption.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from returnees.core.db import get_session, limit_statements, ran_out_of_time
from returnees.core.encryption import Walked, keyring, new_key, reindex, rotate_keys

keys_cli = AppGroup("keys", help="Rotate the keys that seal personal data.")


@keys_cli.command("new")
def new() -> None:
    """Print a new random key, for ENCRYPTION_KEYS (as ID=KEY) or BLIND_INDEX_KEY."""
    click.echo(new_key())


@keys_cli.command("rotate")
@click.option("--batch-size", default=500, show_default=True, help="Values sealed per commit.")
@click.option("--limit", type=int, default=None, help="Stop after this many values.")
def rotate(batch_size: int, limit: int | None) -> None:
    """Seal every value under the first key of ENCRYPTION_KEYS; run again to resume."""
    with batches_in_time() as session:
        walked = rotate_keys(session, batch_size, limit)
    _say(walked, f"sealed again under key {keyring().current}")


@keys_cli.command("reindex")
@click.option("--batch-size", default=500, show_default=True, help="Values indexed per commit.")
def reindex_command(batch_size: int) -> None:
    """Compute every phone's and document's blind index again, after BLIND_INDEX_KEY changed."""
    with batches_in_time() as session:
        walked = reindex(session, batch_size)
    _say(walked, "indexed again")


@contextmanager
def batches_in_time() -> Iterator[Session]:
    """The command's session, each statement of its batches limited to
    KEY_ROTATION_STATEMENT_TIMEOUT_SECONDS: a batch stuck behind a lock, or on a database that
    stopped answering, is cancelled and the command says so instead of waiting for ever. The
    batches committed before it stay done, so running the command again goes on from there."""
    session = get_session()
    limit_statements(session, "KEY_ROTATION_STATEMENT_TIMEOUT_SECONDS")
    try:
        yield session
    except DBAPIError as error:
        if not ran_out_of_time(error):
            raise
        session.rollback()
        seconds = current_app.config["KEY_ROTATION_STATEMENT_TIMEOUT_SECONDS"]
        raise click.ClickException(
            f"A statement ran longer than KEY_ROTATION_STATEMENT_TIMEOUT_SECONDS ({seconds} s) "
            "and was cancelled (a lock held elsewhere, or a database too slow for --batch-size). "
            "The batches before it are done: run the command again to go on."
        ) from error


def _say(walked: Walked, what: str) -> None:
    for column, count in walked.changed.items():
        click.echo(f"  {column}: {count:,}")
    click.echo(f"{walked.total:,} values {what}.")
