from __future__ import annotations

import click
from flask.cli import AppGroup

from returnees.audit.chain import verify_chain
from returnees.core.db import unit_of_work

audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def verify() -> None:
    """Check the audit trail's hash chain from its first entry; exit 1 at the first broken link."""
    with unit_of_work() as session:
        report = verify_chain(session)
    if report.broken:
        link = report.broken
        where = f"position {link.position}" if link.position is not None else "outside the chain"
        click.echo(
            f"BROKEN at audit entry {link.entry_id} ({where}): {link.problem}. "
            f"The {report.entries} entries before it are intact.",
            err=True,
        )
        raise SystemExit(1)
    click.echo(f"audit trail intact: {report.entries} entries, last hash {report.head}")
