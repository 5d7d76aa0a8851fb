"""What every package stands on: settings, database, clock, errors and the CLI base."""
