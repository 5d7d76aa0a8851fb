from __future__ import annotations

import pytest

from returnees import create_app
from returnees.core.settings import SettingsError

SECRET = "s3cret-from-the-environment-and-long-enough"


def test_health_answers_200_when_the_database_answers(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_health_answers_503_when_the_database_does_not():
    down = create_app({"RETURNEES_ENV": "test", "DATABASE_URL": "postgresql://127.0.0.1:1/none"})
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_production_refuses_to_start_without_its_secrets_naming_them(monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError, match="SECRET_KEY, DATABASE_URL"):
        create_app({"RETURNEES_ENV": "production"})


def test_production_names_only_what_is_missing(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SettingsError) as refused:
        create_app({"RETURNEES_ENV": "production"})
    assert "DATABASE_URL" in str(refused.value) and "SECRET_KEY" not in str(refused.value)


def test_production_refuses_to_start_without_twilio_unless_told_to(
    monkeypatch, keys_in_the_environment
):
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.internal/returnees")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://returnees.example.org")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://redis.internal:6379/0")
    with pytest.raises(SettingsError, match="TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"):
        create_app({"RETURNEES_ENV": "production"})
    monkeypatch.setenv("MESSAGING_REQUIRES_TWILIO", "false")
    assert create_app({"RETURNEES_ENV": "production"}).config["MESSAGING_REQUIRES_TWILIO"] is False


def test_production_reads_its_settings_from_the_environment(monkeypatch, keys_in_the_environment):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token-from-the-environment")
    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", "MG" + "1" * 32)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.internal/returnees")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://returnees.example.org")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://redis.internal:6379/0")
    app = create_app({"RETURNEES_ENV": "production"})
    assert app.config["SECRET_KEY"] == SECRET
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PUBLIC_BASE_URL"] == "https://returnees.example.org"
    assert app.config["SCHEDULER_IN_PROCESS"] is False


PRODUCTION = {
    "RETURNEES_ENV": "production",
    "DATABASE_URL": "postgresql://db.internal/returnees",
    "PUBLIC_BASE_URL": "https://returnees.example.org",
    "MESSAGING_REQUIRES_TWILIO": "false",
    "RATELIMIT_STORAGE_URI": "redis://redis.internal:6379/0",
}


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("embedded-default-not-secret", "SECRET_KEY is a value shipped in config/"),
        ("test-secret", "SECRET_KEY is a value shipped in config/"),
        ("k", "SECRET_KEY is shorter than 32 bytes"),
        ("x" * 31, "SECRET_KEY is shorter than 32 bytes"),
    ],
)
def test_production_refuses_a_short_or_shipped_secret_key_naming_it(key, said):
    with pytest.raises(SettingsError, match=said):
        create_app(PRODUCTION | {"SECRET_KEY": key})


def test_production_takes_a_key_of_32_bytes_and_development_its_shipped_one(
    keys_in_the_environment,
):
    key = "ñ" * 16  # 32 bytes in UTF-8
    assert create_app(PRODUCTION | {"SECRET_KEY": key}).config["SECRET_KEY"] == key
    development = create_app({"RETURNEES_ENV": "development"})
    assert development.config["SECRET_KEY"] == "embedded-default-not-secret"


def test_an_unknown_environment_is_refused(monkeypatch):
    with pytest.raises(SettingsError, match="RETURNEES_ENV"):
        create_app({"RETURNEES_ENV": "staging"})


def test_pages_carry_security_headers_and_no_third_party_assets(app):
    response = app.test_client().get("/auth/sign-in")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert "http://" not in page and "https://" not in page, "every asset is served by the app"


def test_every_answer_refuses_the_browsers_powerful_features(app, make_user, token_for):
    client = app.test_client()
    for response in (
        client.get("/auth/sign-in"),
        client.get("/api/v1/me", headers=token_for(make_user())),
        client.get("/healthz"),
    ):
        policy = dict(
            feature.strip().split("=")
            for feature in response.headers["Permissions-Policy"].split(",")
        )
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert policy[feature] == "()", f"{feature} is not refused on {response.request.path}"


def test_only_production_tells_browsers_to_keep_to_https(
    app, monkeypatch, tmp_path, production_environment
):
    assert "Strict-Transport-Security" not in app.test_client().get("/auth/sign-in").headers
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'production.sqlite3'}")
    production = create_app({"RETURNEES_ENV": "production"})
    hsts = production.test_client().get("/auth/sign-in").headers["Strict-Transport-Security"]
    directives = [directive.strip() for directive in hsts.split(";")]
    assert int(directives[0].removeprefix("max-age=")) >= 365 * 24 * 60 * 60
    assert "includeSubDomains" in directives


def test_the_first_load_of_a_page_stays_under_200_kb(app):
    client = app.test_client()
    page = client.get("/auth/sign-in")
    with client.get("/static/app.css") as css:
        assert css.status_code == 200
        assert len(page.data) + len(css.data) < 200 * 1024


def test_follow_up_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DANGER_WORDS", "Socorro, me siguen ,")
    monkeypatch.setenv("SENDING_WINDOW", "HN=9-18")
    monkeypatch.setenv("REPLY_WAIT_HOURS", "24")
    monkeypatch.setenv("FOLLOW_UP_GRACE_HOURS", "48")
    config = create_app({"RETURNEES_ENV": "test"}).config
    assert config["DANGER_WORDS"] == ("socorro", "me siguen")
    assert config["SENDING_WINDOW"] == {"GT": (8, 19), "HN": (9, 18), "SV": (8, 19)}
    assert (config["REPLY_WAIT_HOURS"], config["FOLLOW_UP_GRACE_HOURS"]) == (24, 48)


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("SENDING_WINDOW", "GT=8", "GT=8"),
        ("SENDING_WINDOW", "GT=19-8", "GT 19-8"),
        ("SENDING_WINDOW", "MX=8-19", "'MX'"),
        ("SENDING_WINDOW", "SV=8-25", "SV 8-25"),
        ("REPLY_WAIT_HOURS", "two days", "REPLY_WAIT_HOURS"),
        ("DANGER_WORDS", " , ", "DANGER_WORDS names nothing"),
        ("JOB_STATEMENT_TIMEOUT_SECONDS", "-1", "JOB_STATEMENT_TIMEOUT_SECONDS must be 0 or more"),
        ("DATABASE_KEEPALIVE_COUNT", "three", "DATABASE_KEEPALIVE_COUNT must be a whole number"),
    ],
)
def test_a_bad_setting_stops_the_start_and_says_which(monkeypatch, name, value, said):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=said):
        create_app({"RETURNEES_ENV": "test"})
