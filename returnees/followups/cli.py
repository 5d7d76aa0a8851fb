from __future__ import annotations

import click
from flask.cli import AppGroup

from returnees.core.db import unit_of_work
from returnees.followups.reading import read_replies

replies_cli = AppGroup("replies", help="Replies to check-ins.")


@replies_cli.command("read")
def read_command() -> None:
    """Read every reply waiting now, as the worker's next run would: among them those a
    version before 0018 left unread in the unmatched inbox (a number held by several people),
    each read against the latest question its number awaits an answer to."""
    total = 0
    with unit_of_work() as session:
        while read := read_replies(session):
            session.commit()
            total += read
    click.echo(f"{total} replies read")
