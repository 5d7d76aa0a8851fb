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
# Fixed keys, so a database built by one run opens in the next; never used anywhere else.
ENCRYPTION_KEYS = "t1=Q3hidmuyH7krwEkydXMV7sl95k5PgvnsdM6dRI4-nDA"
BLIND_INDEX_KEY = "YEGo5qjGq7YPnJXWEtJUXMz5w2o-1_7IW27wjAA0d_U"
