"""The append-only log of who did what, when, from where, to which record."""
