"""What this package adds to others: its panel on a person's record."""

from __future__ import annotations


def subscribe() -> None:
    """Add the export and erasure panel to a person's record."""
    from returnees.people.views import add_record_panel
    from returnees.rights.views import record_panel

    add_record_panel("rights/_record.html", record_panel)
