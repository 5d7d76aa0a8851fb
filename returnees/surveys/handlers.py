"""What the survey package adds to other pages."""

from __future__ import annotations


def subscribe() -> None:
    """Show a person's survey waves on their record."""
    from returnees.people.views import add_record_panel
    from returnees.surveys.views import record_panel

    add_record_panel("surveys/_record.html", record_panel)
