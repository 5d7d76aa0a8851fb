"""Production: every secret comes from the environment; the app refuses to start without them."""

DATABASE_URL = None
SECRET_KEY = None
PUBLIC_BASE_URL = None

SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_SECURE = True
PREFERRED_URL_SCHEME = "https"
# Browsers reach the site only over HTTPS for a year after a visit, its subdomains too.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

# Web processes never run jobs; `flask --app wsgi worker` does.
SCHEDULER_IN_PROCESS = False
DEMO_PASSWORD = None

# Where rate limits are counted: Redis, shared by every web process (redis://host:6379/0).
RATELIMIT_STORAGE_URI = None

REQUIRED_SETTINGS = ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL", "RATELIMIT_STORAGE_URI")
# Production never falls back silently to the simulated gateway; set MESSAGING_REQUIRES_TWILIO
# to "false" in the environment to run without messaging.
MESSAGING_REQUIRES_TWILIO = True
SIMULATOR_ENABLED = False
