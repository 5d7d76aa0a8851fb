"""Follow-up plans and the check-ins they turn into: rows, not jobs."""
