"""The app under gunicorn for bench/messaging.py: every setting comes from the environment.

`gunicorn bench.webhook_app:app` with RETURNEES_ENV, DATABASE_URL, SECRET_KEY and PUBLIC_BASE_URL
set by the bench (PUBLIC_BASE_URL is the gunicorn address, as Twilio's signatures cover it).
"""

from __future__ import annotations

from returnees import create_app

app = create_app()
