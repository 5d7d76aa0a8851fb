"""Staff accounts, roles and their scope, sign-in with lock-out, and API tokens."""
