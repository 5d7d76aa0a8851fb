"""The pytest suite: the database comes from TEST_DATABASE_URL (see tests/conftest.py)."""

TESTING = True
SECRET_KEY = "test-secret"
PUBLIC_BASE_URL = "http://returnees.test"
SCHEDULER_IN_PROCESS = False
DEMO_PASSWORD = "demo-returnees"
# Cheap hashes keep the suite fast; the rules around them are what the tests check.
ARGON2_TIME_COST = 1
ARGON2_MEMORY_COST = 1024
ARGON2_PARALLELISM = 1
# No request is refused for its rate here; tests/core/test_rate_limits.py builds its own app
# with low limits.
RATELIMIT_ENABLED = False
# Tests move the clock by days between a sign-in and the next page; tests/auth/test_sessions.py
# sets the real limits where it checks them.
SESSION_IDLE_MINUTES = 10 * 365 * 24 * 60
SESSION_MAX_HOURS = 10 * 365 * 24
# Fixed keys, so a database built by one run opens in the next; never used anywhere else.
ENCRYPTION_KEYS = "t1=Q3hidmuyH7krwEkydXMV7sl95k5PgvnsdM6dRI4-nDA"
BLIND_INDEX_KEY = "YEGo5qjGq7YPnJXWEtJUXMz5w2o-1_7IW27wjAA0d_U"
# Two recipients of pseudonymised exports, with fixed keys for the tests.
EXPORT_RECIPIENT_KEYS = (
    "donor=3Yk1dNwqTIxR0dJ2u9P1q1b3Vt8vYtW0hQeQzBq0y1E,"
    "research=r3o2Vb2Q9gYkq3xJm4H6Yt0c8dLw5ZsE1aN7pK2uF9Q"
)
