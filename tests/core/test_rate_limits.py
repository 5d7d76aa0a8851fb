"""Rate limits: the API per token and per address, with 429, Retry-After and the JSON error;
Twilio's webhooks only for requests whose signature fails. An app of its own with low limits:
config/test.py turns limits off for every other test."""

from __future__ import annotations

import os
import secrets

import pytest
import redis
from flask import Flask
from twilio.request_validator import RequestValidator

from returnees import create_app
from returnees.auth.models import Role
from returnees.core.db import EXTENSION as DB
from returnees.core.settings import SettingsError
from tests.conftest import unavailable
from tests.messaging.test_webhooks import INBOUND, PUBLIC, message

# The Redis production counts in (RATELIMIT_STORAGE_URI); .ci/run starts it when it is down.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

LOW_LIMITS = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_API_PER_TOKEN": "3 per hour",
    "RATELIMIT_API_PER_ADDRESS": "5 per hour",
    "RATELIMIT_WEBHOOK_FORGED": "2 per hour",
}


def limited_app(app: Flask, **settings: object) -> Flask:
    """An app with low limits (counted in its own memory unless told), on the test's
    transaction."""
    base = {"RETURNEES_ENV": "test", "DATABASE_URL": app.config["DATABASE_URL"]}
    own = create_app(base | LOW_LIMITS | settings)
    own.extensions[DB].engine.dispose()
    own.extensions[DB].sessionmaker = app.extensions[DB].sessionmaker
    return own


@pytest.fixture
def limited(app: Flask) -> Flask:
    return limited_app(app)


def get_me(app: Flask, headers: dict[str, str], address: str = "10.0.0.1"):
    return app.test_client().get(
        "/api/v1/me", headers=headers, environ_base={"REMOTE_ADDR": address}
    )


def test_the_api_refuses_a_token_past_its_rate_with_429_and_retry_after(
    limited, make_user, token_for
):
    headers = token_for(make_user(Role.RECEPTION))
    assert [get_me(limited, headers).status_code for _ in range(3)] == [200, 200, 200]
    refused = get_me(limited, headers)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    error = refused.get_json()["error"]
    assert error["code"] == "too_many_requests"
    assert "Retry-After" in error["message"]
    other = token_for(make_user(Role.RECEPTION))
    assert get_me(limited, other).status_code == 200, "another token has its own count"


def test_the_api_refuses_an_address_past_its_rate_whatever_the_tokens(
    limited, make_user, token_for
):
    tokens = [token_for(make_user(Role.RECEPTION)) for _ in range(3)]
    answers = [get_me(limited, headers).status_code for headers in tokens for _ in range(2)]
    assert answers == [200] * 5 + [429]
    assert get_me(limited, tokens[0], address="10.0.0.2").status_code == 200


def test_requests_without_a_valid_token_count_too(limited):
    wrong = {"Authorization": "Bearer guessed"}
    assert [get_me(limited, wrong).status_code for _ in range(4)] == [401, 401, 401, 429]


def signed(form: dict, token: str) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(PUBLIC + INBOUND, form)}


def post(app: Flask, form: dict, headers: dict[str, str], address: str = "54.0.0.1"):
    return app.test_client().post(
        INBOUND, data=form, headers=headers, environ_base={"REMOTE_ADDR": address}
    )


def test_webhooks_limit_only_requests_whose_signature_fails(limited, demo):
    with limited.app_context():
        from returnees.messaging.webhooks import signing_token

        token = signing_token()
    for number in range(10):
        form = message(sid=f"SMburst{number}")
        assert post(limited, form, signed(form, token)).status_code == 200
    forged = message(sid="SMforged", body="STOP")
    answers = [post(limited, forged, signed(forged, "guessed")).status_code for _ in range(3)]
    assert answers == [403, 403, 429]
    refused = post(limited, forged, signed(forged, "guessed"))
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
    genuine = message(sid="SMafter")
    assert post(limited, genuine, signed(genuine, token)).status_code == 200, (
        "a signed request from the same address is never refused"
    )


def test_the_rest_of_the_suite_runs_without_limits(app, make_user, token_for):
    headers = token_for(make_user(Role.RECEPTION))
    assert app.config["RATELIMIT_ENABLED"] is False
    assert {get_me(app, headers).status_code for _ in range(10)} == {200}


def test_a_limit_that_cannot_be_read_stops_the_start_and_says_which(monkeypatch):
    monkeypatch.setenv("RATELIMIT_API_PER_TOKEN", "lots")
    with pytest.raises(SettingsError, match="RATELIMIT_API_PER_TOKEN"):
        create_app({"RETURNEES_ENV": "test"})


def test_limits_are_counted_in_memory_here_and_where_production_says(
    monkeypatch, production_environment
):
    assert create_app({"RETURNEES_ENV": "development"}).config["RATELIMIT_STORAGE_URI"] == (
        "memory://"
    )
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    with pytest.raises(SettingsError, match="RATELIMIT_STORAGE_URI"):
        create_app({"RETURNEES_ENV": "production"})
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://redis.internal:6379/0")
    production = create_app({"RETURNEES_ENV": "production"})
    assert production.config["RATELIMIT_STORAGE_URI"] == "redis://redis.internal:6379/0"


def test_a_counter_that_cannot_be_reached_refuses_nothing(app, make_user, token_for, demo):
    down = limited_app(app, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    headers = token_for(make_user(Role.RECEPTION))
    assert {get_me(down, headers).status_code for _ in range(4)} == {200}
    forged = message(sid="SMforged", body="STOP")
    answers = {post(down, forged, signed(forged, "guessed")).status_code for _ in range(3)}
    assert answers == {403}


@pytest.fixture
def redis_client():
    """A client of the test's Redis; the test is skipped (failed in CI) when it is down."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError:
        client.close()
        unavailable(
            f"Redis is not reachable at {REDIS_URL}: start it (service redis-server start, or "
            "redis-server --daemonize yes), or set TEST_REDIS_URL"
        )
    yield client
    client.close()


def test_limits_counted_in_redis_refuse_with_429_and_are_shared_by_every_process(
    app, redis_client, make_user, token_for
):
    prefix = f"test-{secrets.token_hex(6)}"  # counts of their own, whatever ran before
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    web, other_web = limited_app(app, **settings), limited_app(app, **settings)
    headers = token_for(make_user(Role.RECEPTION))
    try:
        assert [get_me(web, headers).status_code for _ in range(3)] == [200, 200, 200]
        refused = get_me(web, headers)
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 3600
        assert refused.get_json()["error"]["code"] == "too_many_requests"
        assert get_me(other_web, headers).status_code == 429, "another process counts the same"
        assert redis_client.keys(f"*/{prefix}/*"), "the counts are in Redis"
    finally:
        for key in redis_client.scan_iter(f"*/{prefix}/*"):
            redis_client.delete(key)
