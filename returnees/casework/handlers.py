"""What casework does when another package reports an event."""

from __future__ import annotations


def subscribe() -> None:
    """Subscribe this package's handlers to the events it listens to."""
