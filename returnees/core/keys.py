"""`flask keys ...`: the encryption keys of personal data (see core/encryption.py)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from returnees.core.db import get_session
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
    walked = rotate_keys(get_session(), batch_size, limit)
    _say(walked, f"sealed again under key {keyring().current}")


@keys_cli.command("reindex")
@click.option("--batch-size", default=500, show_default=True, help="Values indexed per commit.")
def reindex_command(batch_size: int) -> None:
    """Compute every phone's and document's blind index again, after BLIND_INDEX_KEY changed."""
    _say(reindex(get_session(), batch_size), "indexed again")


def _say(walked: Walked, what: str) -> None:
    for column, count in walked.changed.items():
        click.echo(f"  {column}: {count:,}")
    click.echo(f"{walked.total:,} values {what}.")
