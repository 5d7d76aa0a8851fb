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
