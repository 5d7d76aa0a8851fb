"""The pytest suite: the database comes from TEST_DATABASE_URL (see tests/conftest.py)."""

TESTING = True
SECRET_KEY = "test-secret"
PUBLIC_BASE_URL = "http://returnees.test"
SCHEDULER_IN_PROCESS = False
DEMO_PASSWORD = "demo-returnees"
